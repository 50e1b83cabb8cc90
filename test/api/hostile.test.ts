import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantWarehouseSchema } from '../../server/db/roles.ts';
import { currentReaderRoles } from '../../server/db/roles.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import pg from 'pg';
import { divisionRunLockKey } from '../../server/db/locks.ts';
import { quoteIdent } from '../../server/db/sql.ts';
import { apiCall, connectAndSync, keys, startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Issue 22: a client holding only a read key must not be able to crash the server, leak its
 * connections, or hold them past the deadline. Real PostgreSQL, real HTTP, real aborts.
 */

let sb: RunningSandbox;
let t: TestServer;
let readKey: string;
let adminKey: string;
let queryRole: string;

const post = (path: string, body: object, key = readKey) =>
  fetch(`${t.url}/api/v1${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });

/** Sessions of the query roles (the shared one and each caller's), by state. */
async function querySessions(): Promise<Record<string, number>> {
  const { rows } = await t.db.pool.query<{ state: string; n: number }>(
    `SELECT coalesce(state, '?') AS state, count(*)::int AS n FROM pg_stat_activity
      WHERE usename LIKE $1 || '%' AND pid <> pg_backend_pid() GROUP BY 1`,
    [queryRole],
  );
  return Object.fromEntries(rows.map((r) => [r.state, r.n]));
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

beforeAll(async () => {
  sb = await startSandbox({ autoApprove: true, seed: 22, divisions: 1, scale: 100, limits: false });
  t = await startTestServer('hostile', sb, { QUERY_TIMEOUT_SECONDS: '30', QUERY_MAX_ROW_BYTES: String(1024 * 1024) });
  ({ read: readKey, admin: adminKey } = await keys(t));
  queryRole = (await currentReaderRoles(t.db.pool)).query;
  await t.db.pool.query('CREATE SCHEMA exact_online');
  await t.db.pool.query(
    'CREATE TABLE exact_online.big AS SELECT n, md5(n::text) AS h FROM generate_series(1, 300000) n',
  );
  await grantWarehouseSchema(t.db.pool, 'exact_online');
}, 60_000);
afterAll(async () => {
  await t.close();
  await sb.close();
});

describe('values too large to send', () => {
  it("SELECT repeat('x', 600000000) gets value_too_large naming the setting on both paths, and the server keeps serving", async () => {
    const res = await post('/query', { sql: "SELECT repeat('x', 600000000)", format: 'ndjson' });
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(413);
    expect(error.code).toBe('value_too_large');
    expect(error.message).toContain('QUERY_MAX_ROW_BYTES');
    // Without parameters exact-sync counts the row's bytes as they stream, and stops at the cap.
    expect(error.message).toMatch(/larger than the 1\.0 MB one row may hold/);
    // With them PostgreSQL checks the row before sending it, and says its size.
    const cursor = await post('/query', { sql: "SELECT repeat('x', 600000000 + $1)", params: [0] });
    expect(cursor.status).toBe(413);
    expect(((await cursor.json()) as { error: { message: string } }).error.message).toMatch(/572 MB/);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  }, 60_000);

  it('is refused in every format and on the cursor path (parameters), before anything was sent', async () => {
    for (const format of ['json', 'csv', 'ndjson']) {
      const copy = await post('/query', { sql: "SELECT 1 AS n, repeat('€', 500000) AS v", format });
      expect([format, copy.status]).toEqual([format, 413]);
      const cursor = await post('/query', {
        sql: "SELECT $1::int AS n, repeat('x', 2000000) AS v",
        params: [1],
        format,
      });
      expect([format, cursor.status]).toEqual([format, 413]);
      expect(((await cursor.json()) as { error: { code: string } }).error.code).toBe('value_too_large');
    }
  });

  it('on the cursor path, many large rows together are refused too (one FETCH never holds more than 4 × the cap)', async () => {
    const res = await post('/query', {
      sql: "SELECT n, repeat('x', 100000) AS v FROM generate_series(1, $1::int) n",
      params: [2000],
    });
    expect(res.status).toBe(413);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error).toMatchObject({ code: 'value_too_large', message: expect.stringContaining('consecutive rows') });
    // The same rows stream one at a time without parameters.
    const copy = await post('/query', {
      sql: "SELECT n, repeat('x', 100000) AS v FROM generate_series(1, 200) n",
      format: 'csv',
    });
    expect(copy.status).toBe(200);
    expect((await copy.text()).split('\n').length).toBe(202);
  });

  it('rows under the cap are untouched', async () => {
    const res = await post('/query', { sql: "SELECT repeat('ab', 400000) AS v", format: 'ndjson' });
    expect(res.status).toBe(200);
    expect(JSON.parse(await res.text())).toEqual({ v: 'ab'.repeat(400000) });
  });
});

describe('clients that go away or read slowly', () => {
  it('50 downloads cut off mid-stream leave no connection behind, and the next query succeeds', async () => {
    for (let i = 0; i < 50; i++) {
      const abort = new AbortController();
      const format = ['csv', 'json', 'ndjson'][i % 3]!;
      // Every third with a parameter: the cursor path.
      const body =
        i % 2 === 0
          ? { sql: 'SELECT * FROM big, generate_series(1, 20)', format }
          : { sql: 'SELECT * FROM big, generate_series(1, $1::int)', params: [20], format };
      const res = await fetch(`${t.url}/api/v1/query`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${readKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: abort.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      abort.abort();
      await reader.cancel().catch(() => undefined);
    }
    expect(
      await until(async () => {
        const s = await querySessions();
        return (s['idle in transaction'] ?? 0) === 0 && (s.active ?? 0) === 0;
      }, 10_000),
    ).toBe(true);
    const next = await post('/query', { sql: 'SELECT count(*) AS n FROM big' });
    expect(next.status).toBe(200);
    expect(((await next.json()) as { rows: unknown[][] }).rows).toEqual([[300000]]);
  }, 120_000);

  it('a reader that stops reading is cut off at the deadline, and so is its query', async () => {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(`${t.url}/api/v1/query`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${readKey}`, 'Content-Type': 'application/json' },
      });
      req.on('response', resolve).on('error', reject);
      req.end(JSON.stringify({ sql: 'SELECT * FROM big, generate_series(1, 50)', format: 'csv' }));
    });
    response.pause(); // never read: the server's writes back up
    expect(await until(async () => (await querySessions()).active === 1, 5000)).toBe(true);
    const closed = new Promise<void>((resolve) => response.on('close', () => resolve()));
    // QUERY_TIMEOUT_SECONDS is 30 (a 600 MB value takes seconds to make); the deadline covers the whole
    // response, with a few seconds' grace.
    expect(await until(async () => Object.keys(await querySessions()).length === 0, 45_000)).toBe(true);
    response.resume();
    await closed;
    expect(response.complete).toBe(false);
  }, 60_000);
});

describe('column metadata', () => {
  it('X-Columns carries any Unicode name as ASCII JSON; /query/columns answers any number of columns', async () => {
    const res = await post('/query', { sql: 'SELECT 1 AS "€", 2 AS "日付", 3 AS "a""b"', format: 'csv' });
    expect(res.status).toBe(200);
    const header = res.headers.get('x-columns')!;
    expect(header).toMatch(/^[\x20-\x7e]+$/);
    expect((JSON.parse(header) as { name: string }[]).map((c) => c.name)).toEqual(['€', '日付', 'a"b']);
    expect(await res.text()).toBe('€,日付,"a""b"\n1,2,3\n');

    const wide = Array.from({ length: 400 }, (_, i) => `${i} AS "column number ${i}"`).join(', ');
    const many = await post('/query', { sql: `SELECT ${wide}`, format: 'ndjson' });
    expect(many.status).toBe(200);
    expect(many.headers.get('x-columns')).toBeNull();
    expect(Object.keys(JSON.parse(await many.text()) as object)).toHaveLength(400);
    const described = await post('/query/columns', { sql: `SELECT ${wide}` });
    expect(described.status).toBe(200);
    const { columns } = (await described.json()) as { columns: { name: string; kind: string }[] };
    expect(columns).toHaveLength(400);
    expect(columns[399]).toEqual({ name: 'column number 399', type: 'integer', kind: 'integer' });
  });

  it('NDJSON written by PostgreSQL equals NDJSON written by exact-sync (the cursor path)', async () => {
    const sql = `SELECT n, h, n * 1.5 AS x, n % 2 = 0 AS even, timestamptz '2026-03-02 08:00:00.5+00' AS at,
                 date '2026-03-02' AS day, jsonb_build_object('n', n) AS j, NULL::text AS nothing,
                 'NaN'::float8 AS nan FROM big WHERE n <= 5`;
    const copy = await (await post('/query', { sql, format: 'ndjson' })).text();
    const cursor = await (await post('/query', { sql: `${sql} AND n > $1`, params: [0], format: 'ndjson' })).text();
    expect(copy.split('\n')).toHaveLength(6);
    expect(cursor.split('\n').map((l) => (l ? JSON.parse(l) : l))).toEqual(
      copy.split('\n').map((l) => (l ? JSON.parse(l) : l)),
    );
  });
});

describe('GET /api/v1/tables', () => {
  it('counts small tables exactly and estimates large ones (no full count of a large table per request)', async () => {
    await t.db.pool.query('ANALYZE exact_online.big');
    await t.db.pool.query('CREATE TABLE exact_online.small AS SELECT n FROM generate_series(1, 7) n');
    await grantWarehouseSchema(t.db.pool, 'exact_online');
    const { body } = await apiCall(t, readKey, 'GET', '/tables');
    const byName = new Map(
      (body.tables as { name: string; rows: number; rowsEstimated: boolean }[]).map((x) => [x.name, x]),
    );
    expect(byName.get('small')).toMatchObject({ rows: 7, rowsEstimated: false });
    const big = byName.get('big')!;
    expect(big.rowsEstimated).toBe(true);
    expect(Math.abs(big.rows - 300_000)).toBeLessThan(30_000);
  });
});

describe('sync now and locks held by others', () => {
  it('answers 409 naming the session when something other than a sync holds the division lock', async () => {
    const id = await connectAndSync(t, adminKey);
    const { rows: runs } = await t.db.pool.query<{ division: number }>(
      'SELECT division FROM exact_sync.runs WHERE connection_id = $1 LIMIT 1',
      [id],
    );
    const division = runs[0]!.division;
    // With a DATABASE_URL the lock functions may not be revoked: a role that kept them takes the run lock.
    const role = `holder_${Date.now()}`;
    await t.db.pool.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD 'pw'`);
    await t.db.pool.query(`GRANT EXECUTE ON FUNCTION pg_advisory_lock(bigint) TO ${quoteIdent(role)}`);
    const url = new URL(t.db.url);
    url.username = role;
    url.password = 'pw';
    const holder = new pg.Client({ connectionString: url.toString(), application_name: 'psql' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [divisionRunLockKey(id, division)]);
      const refused = await apiCall(t, adminKey, 'POST', `/connections/${id}/sync`, {});
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('division_locked');
      expect(refused.body.error.message).toContain(`user ${role}, psql`);
    } finally {
      await holder.end();
      await t.db.pool.query(`DROP OWNED BY ${quoteIdent(role)}; DROP ROLE ${quoteIdent(role)}`);
    }
    const started = await apiCall(t, adminKey, 'POST', `/connections/${id}/sync`, {});
    expect(started.status).toBe(202);
  }, 120_000);
});
