import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { changedTables } from '../../server/sync/runner.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { apiCall, connectAndSync, keys, startTestServer, syncNow, type TestServer } from '../helpers/server.ts';

/**
 * Published views against a synced sandbox: made from a saved query, read as a table (query API,
 * GET /api/v1/tables and its rows, a BI login), a materialized one refreshed after a sync that changed
 * a table it reads and only then, a view gone reported broken and made again, nothing readers may not read.
 */

let sb: RunningSandbox;
let t: TestServer;
let admin: string;
let read: string;
let connection: number;
let division: number;

beforeAll(async () => {
  // Exact's rate limits off: the test syncs three times in a row, and pacing is tested elsewhere.
  sb = await sandboxForFile({ divisions: 1, scale: 200, autoApprove: true, limits: false });
  t = await startTestServer('views', sb);
  ({ admin, read } = await keys(t));
  connection = await connectAndSync(t, admin);
  const { rows } = await t.db.pool.query<{ division: number }>('SELECT DISTINCT division FROM exact_online.glaccounts');
  division = rows[0]!.division;
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sb?.close();
});

const accountsSql = 'SELECT code, description FROM glaccounts ORDER BY code';

describe('published views', () => {
  it('publishes a saved query as a view that the query API, the tables API and its rows read like a table', async () => {
    const saved = await apiCall(t, admin, 'POST', '/queries', {
      name: 'Accounts',
      sql: accountsSql,
      connectionId: connection,
    });
    const made = await apiCall(t, admin, 'POST', '/views', { name: 'accounts_list', savedQueryId: saved.body.id });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({
      name: 'accounts_list',
      materialized: false,
      status: 'ok',
      savedQueryId: saved.body.id,
    });
    const viaQuery = await fetch(`${t.url}/api/v1/query`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${read}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT count(*)::int AS n FROM accounts_list' }),
    });
    const { rows: want } = await t.db.pool.query('SELECT count(*)::int AS n FROM exact_online.glaccounts');
    expect(((await viaQuery.json()) as { rows: number[][] }).rows).toEqual([[want[0]!.n]]);
    const listed = await apiCall(t, read, 'GET', `/tables?connection=${connection}`);
    const entry = listed.body.tables.find((x: { name: string }) => x.name === 'accounts_list');
    expect(entry).toMatchObject({ view: 'view', columns: [{ name: 'code' }, { name: 'description' }] });
    const rows = await apiCall(t, read, 'GET', `/tables/accounts_list/rows?connection=${connection}&limit=3`);
    expect(rows.status).toBe(200);
    expect(rows.body.rows).toHaveLength(3);
    // A read key may list them, not publish or remove them.
    expect((await apiCall(t, read, 'GET', '/views')).body.views.map((v: { name: string }) => v.name)).toContain(
      'accounts_list',
    );
    expect((await apiCall(t, read, 'POST', '/views', { name: 'x', sql: 'SELECT 1' })).status).toBe(403);
    expect((await apiCall(t, read, 'DELETE', '/views/accounts_list')).status).toBe(403);
  });

  it('refuses what a reader may not read, a bad name, a taken name, and SQL that is not a query, with nothing made', async () => {
    const cases: [object, number, string][] = [
      [{ name: 'secrets', sql: 'SELECT key_hash FROM exact_sync.api_keys' }, 403, 'permission_denied'],
      [{ name: 'files', sql: "SELECT pg_read_file('/etc/passwd')" }, 403, 'permission_denied'],
      [{ name: 'Bad-Name', sql: 'SELECT 1' }, 400, 'invalid_view_name'],
      [{ name: 'accounts_list', sql: 'SELECT 1' }, 409, 'name_taken'],
      [{ name: 'writes', sql: 'DELETE FROM glaccounts' }, 400, 'not_a_query'],
      [{ name: 'broken_sql', sql: 'SELECT nope FROM glaccounts' }, 400, 'query_failed'],
      [{ name: 'both', sql: 'SELECT 1', savedQueryId: 1 }, 400, 'invalid_request'],
    ];
    for (const [body, status, code] of cases) {
      const res = await apiCall(t, admin, 'POST', '/views', { connection, ...body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      if (code !== 'invalid_request') expect(res.body.error.code, JSON.stringify(body)).toBe(code);
    }
    const { rows } = await t.db.pool.query(
      "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'reports' ORDER BY 1",
    );
    expect(rows.map((r) => r.relname)).toEqual(['accounts_list']);
  });

  it(
    'refreshes a materialized view after a sync that changed a table it reads, and only then',
    { timeout: 120_000 },
    async () => {
      const made = await apiCall(t, admin, 'POST', '/views', {
        name: 'account_names',
        sql: accountsSql,
        connection,
        materialized: true,
      });
      expect(made.status).toBe(201);
      const other = await apiCall(t, admin, 'POST', '/views', {
        name: 'line_count',
        sql: 'SELECT count(*) AS n FROM transactionlines',
        connection,
        materialized: true,
      });
      expect(other.status).toBe(201);
      const refreshedAt = async (name: string) => (await apiCall(t, read, 'GET', `/views/${name}`)).body.refreshedAt;
      const before = { names: await refreshedAt('account_names'), lines: await refreshedAt('line_count') };
      // A sync that changes nothing refreshes nothing.
      await syncNow(t, admin, connection);
      expect(await refreshedAt('account_names')).toBe(before.names);
      // A changed account: the view reading glaccounts is refreshed (and shows it); the other is not.
      const { rows } = await t.db.pool.query<{ id: string; code: string }>(
        'SELECT id::text, code FROM exact_online.glaccounts ORDER BY code LIMIT 1',
      );
      sb.sandbox.update(division, 'GLAccounts', rows[0]!.id, { Description: 'Renamed for the view' });
      await syncNow(t, admin, connection);
      expect(await refreshedAt('account_names')).not.toBe(before.names);
      expect(await refreshedAt('line_count')).toBe(before.lines);
      const { rows: inView } = await t.db.pool.query('SELECT description FROM reports.account_names WHERE code = $1', [
        rows[0]!.code,
      ]);
      expect(inView).toEqual([{ description: 'Renamed for the view' }]);
    },
  );

  it('reports a view that is gone as broken, makes it again on refresh, and removes one', async () => {
    await t.db.pool.query('DROP VIEW reports.accounts_list');
    const broken = await apiCall(t, read, 'GET', '/views/accounts_list');
    expect(broken.body).toMatchObject({ status: 'broken', error: expect.stringContaining('gone') });
    // Not offered as a table while it is broken.
    const listed = await apiCall(t, read, 'GET', `/tables?connection=${connection}`);
    expect(listed.body.tables.map((x: { name: string }) => x.name)).not.toContain('accounts_list');
    const again = await apiCall(t, admin, 'POST', '/views/accounts_list/refresh');
    expect(again.body).toMatchObject({ status: 'ok', error: null });
    expect((await t.db.pool.query('SELECT count(*) FROM reports.accounts_list')).rowCount).toBe(1);
    expect((await apiCall(t, admin, 'DELETE', '/views/accounts_list')).status).toBe(204);
    expect((await t.db.pool.query("SELECT to_regclass('reports.accounts_list') AS r")).rows[0].r).toBeNull();
    expect((await apiCall(t, read, 'GET', '/views/accounts_list')).status).toBe(404);
  });

  it('lists the starter models and publishes one on request; names what to sync when its tables are not there', async () => {
    const list = await apiCall(t, read, 'GET', '/starter-models');
    expect(list.body.starters.map((m: { name: string }) => m.name)).toEqual([
      'pl_by_month',
      'balance_by_month',
      'receivables_ageing',
      'payables_ageing',
      'revenue_by_customer_month',
    ]);
    expect((await apiCall(t, read, 'POST', '/starter-models/revenue_by_customer_month', {})).status).toBe(403);
    const made = await apiCall(t, admin, 'POST', '/starter-models/revenue_by_customer_month', { connection });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ name: 'revenue_by_customer_month', status: 'ok' });
    const again = await apiCall(t, read, 'GET', '/starter-models');
    expect(again.body.starters.find((m: { name: string }) => m.name === 'revenue_by_customer_month').published).toBe(
      true,
    );
    expect((await apiCall(t, admin, 'POST', '/starter-models/nope', {})).body.error.code).toBe('starter_not_found');
    // A table the model reads that is not in the warehouse: nothing is made, and the answer names it.
    await t.db.pool.query('ALTER TABLE exact_online.receivableslist RENAME TO receivableslist_away');
    try {
      const refused = await apiCall(t, admin, 'POST', '/starter-models/receivables_ageing', {});
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain('receivableslist');
    } finally {
      await t.db.pool.query('ALTER TABLE exact_online.receivableslist_away RENAME TO receivableslist');
    }
  });

  it('is owned by the query role, so a BI login can read a view but not drop it', async () => {
    const { rows } = await t.db.pool.query<{ owner: string }>(
      "SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = 'reports.account_names'::regclass",
    );
    expect(rows[0]!.owner).toMatch(/^exact_sync_query_/);
  });
});

describe('changedTables', () => {
  const r = (table: string, inserted = 0, updated = 0, deleted = 0, error?: string) => ({
    table,
    division: 1,
    rows: 0,
    inserted,
    updated,
    deleted,
    pages: 1,
    ...(error ? { error } : {}),
  });
  it.each([
    [[r('accounts', 1), r('items')], ['accounts']],
    [[r('accounts'), r('items', 0, 2)], ['items']],
    [[r('accounts', 3, 0, 0, 'failed')], []],
    // Exact's deletes name no table: every table of the run counts.
    [
      [r('accounts'), r('items'), r('deleted', 0, 0, 4)],
      ['accounts', 'items'],
    ],
    [[r('accounts'), r('deleted')], []],
  ])('%j', (results, tables) => {
    expect(changedTables(results)).toEqual(tables);
  });
});
