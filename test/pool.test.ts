import { describe, expect, it } from 'vitest';
import {
  connectionsWarning,
  describeConnectError,
  embeddedMaxConnections,
  openPool,
  poolSizeFor,
  redactUrl,
} from '../server/db/pool.ts';

const url = 'postgres://app:hunter2@db.example:5432/exact';

describe('describeConnectError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, 'connection refused. Is the server running'],
    [{ code: 'ENOTFOUND' }, 'the host name does not resolve'],
    [{ code: 'CONNECT_TIMEOUT' }, 'no answer within the time limit'],
    [
      { code: '28P01', message: 'password authentication failed for user "app"' },
      'refused the login: password authentication failed',
    ],
    [{ code: '3D000', message: 'database "exact" does not exist' }, 'has no such database'],
    [{ code: 'XX000', message: 'odd' }, ': odd'],
  ])('%j', (err, expected) => {
    const text = describeConnectError(err, url);
    expect(text).toContain(expected);
    expect(text).toContain('postgres://app:***@db.example:5432/exact');
    expect(text).not.toContain('hunter2');
  });

  it('redacts only the password', () => {
    expect(redactUrl(url)).toBe('postgres://app:***@db.example:5432/exact');
    expect(redactUrl('postgres://db/x')).toBe('postgres://db/x');
  });
});

describe('openPool', () => {
  it('fails with one clear, redacted message when nothing listens', async () => {
    await expect(openPool('postgres://u:hunter2@127.0.0.1:1/x', { connectTimeoutMs: 3000 })).rejects.toMatchObject({
      code: 'database_unreachable',
      message:
        'Cannot connect to PostgreSQL at postgres://u:***@127.0.0.1:1/x: connection refused. Is the server running, and is the port right?',
    });
  });
});

describe('connectionsWarning: PostgreSQL must allow what WORKER_CONCURRENCY may open', () => {
  it.each([
    // PostgreSQL's defaults (100, 3 reserved) and the default 10 syncs: 30 + 22 fit.
    [100, 3, 10, undefined],
    [100, 3, 32, undefined],
    // 2 × 33 + 10 + 22 = 98 > 97.
    [100, 3, 33, 'up to 98 with WORKER_CONCURRENCY=33'],
    [100, 3, 100, 'Raise max_connections to at least 235, or lower WORKER_CONCURRENCY to 32'],
    [20, 3, 1, 'PostgreSQL allows 17 connections'],
  ])('max_connections %i, %i reserved, %i syncs', (max, reserved, concurrency, want) => {
    const warning = connectionsWarning(max, reserved, concurrency);
    if (want === undefined) expect(warning).toBeUndefined();
    else expect(warning).toContain(want);
  });

  it('counts the pool serve opens, and starts the embedded server with room for it', () => {
    expect(poolSizeFor(10)).toBe(30);
    expect(embeddedMaxConnections(10)).toBe(100);
    expect(embeddedMaxConnections(100)).toBe(235);
    // What the embedded server is started with never draws the warning.
    for (const c of [1, 10, 33, 60, 100]) expect(connectionsWarning(embeddedMaxConnections(c), 3, c)).toBeUndefined();
  });
});
