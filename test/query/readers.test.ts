import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_LOCK_KEY } from '../../server/db/locks.ts';
import { migrate } from '../../server/db/migrate.ts';
import { currentReaderRoles, DEFAULT_READER_LIMITS, grantWarehouseSchema } from '../../server/db/roles.ts';
import { quoteIdent } from '../../server/db/sql.ts';
import { createSecretBox } from '../../server/lib/crypto.ts';
import { createBiUser, revokeBiUser, type BiCredentials } from '../../server/query/biUsers.ts';
import { QueryRunner } from '../../server/query/runner.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * Issue 22, items 3–5: what the roles that read (the query API's, one per caller, and BI users) can no
 * longer do to exact-sync or to each other, on a real PostgreSQL that exact-sync owns (the embedded
 * server's case: exact-sync's user is a superuser).
 */

let db: TestDatabase;
let runner: QueryRunner;
let bi: BiCredentials;
const limits = { timeoutMs: 20_000, maxRows: 100_000, maxRowBytes: 8 * 1024 * 1024 };
const tight = { ...DEFAULT_READER_LIMITS.query, tempFileLimitMb: 1, workMemMb: 1 };

async function run(sql: string, caller?: string, params: (string | number)[] = []): Promise<string[][]> {
  const rows: string[][] = [];
  await runner.run(
    { sql, params, schema: 'exact_online', limits, ...(caller ? { caller } : {}) },
    { columns: () => undefined, rows: (b) => void rows.push(...b.map((r) => r.map(String))) },
  );
  return rows;
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string },
  );

async function biClient(): Promise<pg.Client> {
  const url = new URL(db.url);
  url.username = bi.roleName;
  url.password = bi.password;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  return c;
}

beforeAll(async () => {
  db = await createTestDatabase('readers');
  await migrate(db.pool);
  await db.pool.query('CREATE SCHEMA exact_online');
  await db.pool.query(
    'CREATE TABLE exact_online.lines AS SELECT n, md5(n::text) AS h FROM generate_series(1, 200000) n',
  );
  await grantWarehouseSchema(db.pool, 'exact_online');
  runner = await QueryRunner.open(db.url, db.pool, createSecretBox(randomBytes(32)), undefined, {
    query: tight,
    bi: { ...DEFAULT_READER_LIMITS.bi, tempFileLimitMb: 1, workMemMb: 1 },
  });
  bi = await createBiUser(db.pool, `tool_${randomBytes(3).toString('hex')}`, {
    ...DEFAULT_READER_LIMITS.bi,
    tempFileLimitMb: 1,
    workMemMb: 1,
  });
});
afterAll(async () => {
  await runner.close();
  await revokeBiUser(db.pool, bi.id).catch(() => undefined);
  await db.drop();
});

describe("readers cannot take exact-sync's locks, signal, or write", () => {
  it.each([
    ['SELECT pg_advisory_lock(1)'],
    [`SELECT pg_advisory_lock(${MIGRATIONS_LOCK_KEY})`],
    ['SELECT pg_try_advisory_lock(1, 2)'],
    ['SELECT pg_advisory_xact_lock(1)'],
    ["SELECT pg_notify('exact_sync', 'x')"],
    ["SELECT pg_logical_emit_message(false, 'x', repeat('x', 1000))"],
    ["SELECT set_config('work_mem', '2GB', true)"],
    ['SELECT lo_create(0)'],
  ])('the query API refuses %s', async (sql) => {
    expect(await failure(run(sql, 'k1'))).toMatchObject({ code: 'permission_denied' });
  });

  it('a BI user is refused the same functions and temporary tables', async () => {
    const c = await biClient();
    try {
      for (const sql of [
        `SELECT pg_advisory_lock(${MIGRATIONS_LOCK_KEY})`,
        "SELECT pg_logical_emit_message(false, 'x', 'y')",
        "SELECT pg_notify('x', 'y')",
      ]) {
        expect(await failure(c.query(sql)), sql).toMatchObject({ code: '42501' });
      }
      await c.query('SET default_transaction_read_only = off');
      expect(await failure(c.query('CREATE TEMP TABLE t (x int)'))).toMatchObject({ code: '42501' });
      // The migration lock is free: every exact-sync process can still start.
      expect((await migrate(db.pool, { lockWaitMs: 1000 })).applied).toEqual([]);
    } finally {
      await c.end();
    }
  });
});

describe('limits a reader cannot lift', () => {
  it('a query that needs more temporary disk than READER_TEMP_FILE_LIMIT_MB stops with resource_limit', async () => {
    const err = await failure(run('SELECT h FROM lines ORDER BY h DESC', 'k1'));
    expect(err).toMatchObject({
      code: 'resource_limit',
      message: expect.stringContaining('READER_TEMP_FILE_LIMIT_MB'),
    });
    // A BI user too, even after raising work_mem (a user setting) to stay in memory: temp_file_limit is a superuser's.
    const c = await biClient();
    try {
      expect(await failure(c.query("SET temp_file_limit = '10GB'"))).toMatchObject({ code: '42501' });
      expect(await failure(c.query('SELECT h FROM exact_online.lines ORDER BY h DESC'))).toMatchObject({
        code: '53400',
      });
    } finally {
      await c.end();
    }
  });

  it('every reader role starts with the limits (statement and idle-in-transaction timeouts, connections)', async () => {
    const { query } = await currentReaderRoles(db.pool);
    await run('SELECT 1', 'k7');
    const { rows } = await db.pool.query<{ rolname: string; rolconnlimit: number; rolconfig: string[] }>(
      'SELECT rolname, rolconnlimit, rolconfig FROM pg_roles WHERE rolname = ANY ($1) ORDER BY rolname',
      [[query, `${query}_k7`, bi.roleName]],
    );
    expect(rows.map((r) => r.rolname)).toEqual([bi.roleName, query, `${query}_k7`].sort());
    for (const r of rows) {
      expect(r.rolconnlimit, r.rolname).toBeGreaterThan(0);
      expect(r.rolconfig, r.rolname).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^statement_timeout=/),
          expect.stringMatching(/^idle_in_transaction_session_timeout=/),
          'temp_file_limit=1MB',
          'work_mem=1MB',
        ]),
      );
    }
  });
});

describe('callers are apart', () => {
  it("one key neither sees another's SQL nor can cancel it", async () => {
    const secret = `SELECT pg_sleep(1.5), 'literal only k1 should see' AS s`;
    const slow = run(secret, 'k1');
    const { query } = await currentReaderRoles(db.pool);
    // Wait until k1's query is running, as seen by exact-sync.
    for (let i = 0; i < 50; i++) {
      const { rows } = await db.pool.query('SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND state = $2', [
        `${query}_k1`,
        'active',
      ]);
      if (rows.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const seen = await run(`SELECT coalesce(query, '') FROM pg_stat_activity WHERE usename = $1`, 'k2', [
      `${query}_k1`,
    ]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.flat().join(' ')).not.toContain('literal only k1 should see');
    const cancel = await failure(
      run(`SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE usename = $1`, 'k2', [`${query}_k1`]),
    );
    expect(cancel).toMatchObject({ code: 'permission_denied' });
    expect((await slow).flat()).toContain('literal only k1 should see');
  });
});

describe('where readers keep the lock functions (a DATABASE_URL without a superuser)', () => {
  it('a lock a query took is gone when the query ends: the session is reset before it goes back to the pool', async () => {
    const { group } = await currentReaderRoles(db.pool);
    await db.pool.query(`GRANT EXECUTE ON FUNCTION pg_advisory_lock(bigint) TO ${quoteIdent(group)}`);
    try {
      expect(await run('SELECT pg_advisory_lock(4242) IS NOT NULL', 'k3')).toEqual([['t']]);
      const { rows } = await db.pool.query(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted`,
      );
      expect(rows).toEqual([]);
    } finally {
      await db.pool.query(`REVOKE EXECUTE ON FUNCTION pg_advisory_lock(bigint) FROM ${quoteIdent(group)}`);
    }
  });
});

describe('a revoked key', () => {
  it('loses its role and every session of it', async () => {
    const { query } = await currentReaderRoles(db.pool);
    await run('SELECT 1', 'k9');
    const roles = async () =>
      (await db.pool.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [`${query}_k9`])).rows.length;
    expect(await roles()).toBe(1);
    await runner.forgetCaller('k9');
    expect(await roles()).toBe(0);
    // Should the key be used again (it cannot: the API refuses it), the role would be made afresh.
    expect(await run('SELECT 2', 'k9')).toEqual([['2']]);
  });
});

describe("exact-sync's own locks never wait without bound", () => {
  it('a lock held by another role is reported with its pid and user after the wait', async () => {
    // With a DATABASE_URL the functions may not be revoked: a role that kept them holds the migration lock.
    const role = `holder_${randomBytes(3).toString('hex')}`;
    await db.pool.query(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD 'pw'`);
    await db.pool.query(`GRANT EXECUTE ON FUNCTION pg_advisory_lock(bigint) TO ${quoteIdent(role)}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = 'pw';
    const holder = new pg.Client({ connectionString: url.toString(), application_name: 'a BI tool' });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATIONS_LOCK_KEY]);
      const { rows } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const started = Date.now();
      const err = await failure(migrate(db.pool, { lockWaitMs: 800 }));
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(err).toMatchObject({ code: 'lock_busy' });
      expect(err!.message).toContain(`pid ${rows[0]!.pid} (user ${role}, a BI tool)`);
      expect(err!.message).toContain("exact-sync's migrations");
    } finally {
      await holder.end();
      await db.pool.query(`DROP OWNED BY ${quoteIdent(role)}; DROP ROLE ${quoteIdent(role)}`);
    }
    expect((await migrate(db.pool, { lockWaitMs: 1000 })).applied).toEqual([]);
  });
});
