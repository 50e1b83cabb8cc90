import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../server/db/migrate.ts';
import { grantWarehouseSchema } from '../../server/db/roles.ts';
import { createSecretBox } from '../../server/lib/crypto.ts';
import { QueryRunner, type ResultColumn } from '../../server/query/runner.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let db: TestDatabase;
let runner: QueryRunner;
const limits = { timeoutMs: 10_000, maxRows: 1000, maxRowBytes: 8 * 1024 * 1024 };

async function collect(sql: string, params: (string | number | boolean | null)[] = [], l = limits) {
  let columns: readonly ResultColumn[] = [];
  const rows: (string | null)[][] = [];
  const outcome = await runner.run(
    { sql, params, schema: 'exact_online', limits: l },
    {
      columns: (c) => {
        columns = c;
      },
      rows: (b) => {
        rows.push(...b.map((r) => [...r]));
      },
    },
  );
  return { columns, rows, outcome };
}

async function refused(sql: string): Promise<{ code: string; message: string; position: number | undefined }> {
  const err = await collect(sql).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string; position: number | undefined },
  );
  expect(err, `${sql} ran`).toBeDefined();
  return { code: err!.code, message: err!.message, position: err!.position };
}

beforeAll(async () => {
  db = await createTestDatabase('query_runner');
  await migrate(db.pool);
  await db.pool.query('CREATE SCHEMA exact_online');
  await db.pool.query(
    `CREATE TABLE exact_online.accounts (division integer, id uuid, name text, balance numeric, created timestamptz, active boolean)`,
  );
  await db.pool.query(
    `INSERT INTO exact_online.accounts SELECT 1, gen_random_uuid(), 'Account ' || n, n * 1.5, '2026-01-01T10:00:00Z'::timestamptz + n * interval '1 day', n % 2 = 0 FROM generate_series(1, 2500) n`,
  );
  await grantWarehouseSchema(db.pool, 'exact_online');
  runner = await QueryRunner.open(db.url, db.pool, createSecretBox(randomBytes(32)));
});
afterAll(async () => {
  await runner.close();
  await db.drop();
});

/**
 * What a statement that slipped through could change, as data: the warehouse's rows, its tables and
 * their grants, roles and their settings, sequences, large objects, and the database's own settings.
 */
async function everythingItCouldChange(): Promise<unknown> {
  const q = async (sql: string) => (await db.pool.query(sql)).rows;
  return {
    rows: await q(
      `SELECT count(*)::int AS n, md5(string_agg(a::text, ',' ORDER BY a::text)) AS hash FROM exact_online.accounts a`,
    ),
    relations: await q(
      `SELECT n.nspname, c.relname, c.relkind, c.relacl::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relpersistence <> 't' ORDER BY 1, 2`,
    ),
    namespaces: await q(`SELECT nspname, nspacl::text FROM pg_namespace ORDER BY 1`),
    roles: await q(`SELECT rolname, rolsuper, rolcreaterole, rolcanlogin, rolbypassrls FROM pg_roles ORDER BY 1`),
    roleSettings: await q(`SELECT setrole, setdatabase, setconfig FROM pg_db_role_setting ORDER BY 1, 2`),
    sequences: await q(`SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2`),
    largeObjects: await q(`SELECT count(*)::int AS n FROM pg_largeobject_metadata`),
  };
}

/** Backends of this database still running a pg_sleep from the tests, after a short wait for them to stop. */
async function sleepersLeft(): Promise<number> {
  let n = 0;
  for (let i = 0; i < 50; i++) {
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND state = 'active' AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()`,
    );
    n = rows[0]!.n;
    if (n === 0) return 0;
    await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

describe('the query runner', () => {
  it('streams a result in batches as PostgreSQL text, with column types, under the search path of the warehouse schema', async () => {
    const r = await collect(
      'SELECT name, balance, created, active FROM accounts WHERE balance > $1 ORDER BY balance',
      [3],
      { timeoutMs: 10_000, maxRows: 5000, maxRowBytes: 8 * 1024 * 1024 },
    );
    expect(r.outcome.rows).toBe(2498);
    expect(r.columns.map((c) => [c.name, c.type, c.kind])).toEqual([
      ['name', 'text', 'text'],
      ['balance', 'numeric', 'number'],
      ['created', 'timestamptz', 'datetime'],
      ['active', 'boolean', 'boolean'],
    ]);
    expect(r.rows[0]).toEqual(['Account 3', '4.5', '2026-01-04 10:00:00+00', 'f']);
  });

  it('describes the columns of an empty result', async () => {
    const r = await collect('SELECT id, name FROM accounts WHERE false');
    expect(r.rows).toEqual([]);
    expect(r.columns.map((c) => c.name)).toEqual(['id', 'name']);
  });

  it.each([
    ['INSERT INTO accounts (division) VALUES (1)', 'not_a_query'],
    ['UPDATE accounts SET name = $$x$$', 'not_a_query'],
    ['DELETE FROM accounts', 'not_a_query'],
    ['CREATE TABLE x (a int)', 'not_a_query'],
    ['DROP TABLE accounts', 'not_a_query'],
    ['TRUNCATE accounts', 'not_a_query'],
    ['COPY accounts TO STDOUT', 'not_a_query'],
    ['COPY accounts FROM STDIN', 'not_a_query'],
    ["COPY (SELECT 1) TO PROGRAM 'true'", 'not_a_query'],
    ['SET ROLE postgres', 'not_a_query'],
    ['RESET ROLE', 'not_a_query'],
    ['SET statement_timeout = 0', 'not_a_query'],
    ['GRANT SELECT ON accounts TO PUBLIC', 'not_a_query'],
    ['DO $$ BEGIN PERFORM 1; END $$', 'not_a_query'],
    ['VACUUM accounts', 'not_a_query'],
    ['SELECT 1; DELETE FROM accounts', 'multiple_statements'],
    ['SELECT 1; SELECT 2', 'multiple_statements'],
    ['WITH gone AS (DELETE FROM accounts RETURNING *) SELECT * FROM gone', 'not_a_query'],
    ["SELECT set_config('role', 'postgres', false)", 'permission_denied'],
    ['SELECT * FROM exact_sync.connections', 'permission_denied'],
    ['SELECT * FROM exact_sync.api_keys', 'permission_denied'],
    ["SELECT pg_read_file('/etc/passwd')", 'permission_denied'],
    ['SELECT nextval($$exact_sync.runs_id_seq$$)', 'permission_denied'],
    ["SELECT lo_import('/etc/passwd')", 'permission_denied'],
  ])('refuses %s (%s) and changes nothing', async (sql, code) => {
    const before = await everythingItCouldChange();
    const err = await refused(sql);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(/PostgreSQL|statement/);
    expect(await everythingItCouldChange()).toEqual(before);
  });

  it('the "changes nothing" check sees a grant, a row and a sequence change (so a pass means something)', async () => {
    const before = await everythingItCouldChange();
    await db.pool.query('GRANT SELECT ON exact_online.accounts TO PUBLIC');
    expect(await everythingItCouldChange()).not.toEqual(before);
    await db.pool.query('REVOKE SELECT ON exact_online.accounts FROM PUBLIC');
    expect(await everythingItCouldChange()).toEqual(before);
    await db.pool.query(`UPDATE exact_online.accounts SET name = name || '!' WHERE name = 'Account 1'`);
    expect(await everythingItCouldChange()).not.toEqual(before);
    await db.pool.query(`UPDATE exact_online.accounts SET name = 'Account 1' WHERE name = 'Account 1!'`);
    expect(await everythingItCouldChange()).toEqual(before);
  });

  it('cancels a query that runs past the time limit, even one that lifts statement_timeout itself', async () => {
    const err = await collect('SELECT pg_sleep(60)', [], {
      timeoutMs: 1500,
      maxRows: 10,
      maxRowBytes: 8 * 1024 * 1024,
    }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'query_timeout' });
    expect((err as { message: string }).message).toMatch(/longer than 2 s|longer than 1 s/);
    // Lifting the limit from inside the query: set_config is not the readers' to call (exact-sync owns the
    // cluster here); where it is (a DATABASE_URL without a superuser) the deadline cancels from outside.
    const sneaky = await collect("SELECT set_config('statement_timeout', '0', false), pg_sleep(60)", [], {
      timeoutMs: 1500,
      maxRows: 10,
      maxRowBytes: 8 * 1024 * 1024,
    }).catch((e: unknown) => e as { code: string; message: string });
    expect(sneaky).toMatchObject({ code: 'permission_denied', message: expect.stringContaining('set_config') });
    // Cancelled in PostgreSQL, not merely abandoned: no backend is still sleeping.
    expect(await sleepersLeft()).toBe(0);
    // The connection is usable again afterwards.
    expect((await collect('SELECT 1 AS one')).rows).toEqual([['1']]);
  });

  it('stops at the row cap and says so', async () => {
    const err = await collect('SELECT * FROM accounts', [], {
      timeoutMs: 10_000,
      maxRows: 1000,
      maxRowBytes: 8 * 1024 * 1024,
    }).catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'row_limit' });
    expect((err as { message: string }).message).toContain('QUERY_MAX_ROWS');
  });

  it('reports a syntax error inside a query with where it is', async () => {
    const err = await refused('SELECT name FROM accounts WHER name = 1');
    expect(err.code).toBe('query_syntax');
    expect(err.message).toMatch(/at character \d+/);
  });

  it("gives the position in the user's own SQL, blank lines before it or not, for any error PostgreSQL places", async () => {
    // PostgreSQL counts in the statement exact-sync wraps around the SQL; the editor needs the SQL's own.
    for (const [sql, word] of [
      ['SELECT name FROM accounts WHER name = 1', 'name = 1'],
      ['\n\n   SELECT nme FROM accounts', 'nme'],
      ['SELECT name FROM nowhere_at_all', 'nowhere_at_all'],
      ['SELECT ünïcode, name FROM accounts', 'ünïcode'],
    ] as const) {
      const err = await refused(sql);
      const trimmed = sql.trim();
      expect(err.position, sql).toBeDefined();
      // 1-based characters, as PostgreSQL counts (not bytes).
      expect(trimmed.slice(err.position! - 1).startsWith(word), `${sql} at ${err.position}`).toBe(true);
    }
    // Not every error has a place: a division by zero happens while rows are made.
    expect((await refused('SELECT 1 / 0')).position).toBeUndefined();
  });
});
