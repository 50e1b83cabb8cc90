import { describe, expect, it } from 'vitest';
import { describeConnectError, openPool, redactUrl } from '../server/db/pool.ts';

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
