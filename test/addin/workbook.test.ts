/// <reference types="office-js" />
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { previewQuery, testConnection, type Connection } from '../../addin/src/api.ts';
import { insert, pivotOf, refresh, refreshSummary, workbookTables } from '../../addin/src/workbook.ts';
import { grantWarehouseSchema } from '../../server/db/roles.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { FakeContext, FakeWorkbookState } from '../helpers/fakeExcel.ts';
import { freePort } from '../helpers/cli.ts';
import { keys, startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * The task pane's actions (addin/src/workbook.ts and api.ts) against a real exact-sync server, with the
 * in-memory workbook behind Excel.run: what the user clicks, minus the browser.
 */

let sb: RunningSandbox;
let t: TestServer;
let c: Connection;
let state: FakeWorkbookState;

beforeAll(async () => {
  sb = await startSandbox({ autoApprove: true, seed: 31, divisions: 1, scale: 100, limits: false });
  t = await startTestServer('addin_flow', sb);
  c = { serverUrl: t.url, apiKey: (await keys(t)).read };
  await t.db.pool.query('CREATE SCHEMA exact_online');
  await t.db.pool.query(
    `CREATE TABLE exact_online.accounts (id integer PRIMARY KEY, name text, balance numeric, modified timestamptz)`,
  );
  await t.db.pool.query(
    `INSERT INTO exact_online.accounts SELECT n, 'Account ' || n, n * 10.5, '2026-03-02T08:00:00Z' FROM generate_series(1, 50) n`,
  );
  await grantWarehouseSchema(t.db.pool, 'exact_online');
});
afterAll(async () => {
  await t.close();
  await sb.close();
});
beforeEach(() => {
  state = new FakeWorkbookState();
  (globalThis as { Excel?: unknown }).Excel = {
    run: <T>(fn: (ctx: Excel.RequestContext) => Promise<T>) =>
      fn(new FakeContext(state) as unknown as Excel.RequestContext),
    ClearApplyTo: { contents: 'Contents' },
  };
});

describe('the task pane against a real server', () => {
  it('inserts a warehouse table, then refresh all brings in what changed, after the workbook was "reopened"', async () => {
    const bound = await insert(
      c,
      { kind: 'table', table: 'accounts', columns: ['id', 'name', 'balance'], filters: ['id:le:10'] },
      { name: 'accounts', newSheet: 'Accounts' },
    );
    expect(bound).toMatchObject({ name: 'accounts', rows: 10 });
    expect(state.tableValues('accounts').slice(0, 2)).toEqual([
      ['id', 'name', 'balance'],
      [1, 'Account 1', 10.5],
    ]);
    await insert(c, { kind: 'query', sql: 'SELECT count(*) AS n FROM accounts' }, { name: 'Count', newSheet: 'Count' });
    // The data changes (a sync); the pane is closed and opened again: all it has is the workbook.
    await t.db.pool.query(`UPDATE exact_online.accounts SET name = 'Renamed' WHERE id = 1`);
    await t.db.pool.query(`INSERT INTO exact_online.accounts VALUES (0, 'New', 1, now())`);
    expect((await workbookTables()).tables.map((b) => b.name).sort()).toEqual(['Count', 'accounts']);
    const outcomes = await refresh(c);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(state.tableValues('accounts').slice(0, 3)).toEqual([
      ['id', 'name', 'balance'],
      [0, 'New', 1],
      [1, 'Renamed', 10.5],
    ]);
    expect(state.tableValues('accounts')).toHaveLength(12);
    expect(state.tableValues('Count')).toEqual([['n'], [51]]);
  });

  it.each<[string, () => Connection, RegExp]>([
    ['a bad server URL', () => ({ serverUrl: 'not a url', apiKey: 'x' }), /is not a server address/],
    ['a wrong key', () => ({ serverUrl: t.url, apiKey: 'esk_wrong' }), /refused the API key/],
    [
      'a server that is down',
      () => ({ serverUrl: `http://127.0.0.1:${downPort}`, apiKey: 'esk_x' }),
      /Cannot reach http:\/\/127\.0\.0\.1:\d+: is the server running/,
    ],
    ['no key', () => ({ serverUrl: t.url, apiKey: ' ' }), /Enter an API key/],
  ])('%s: a clear message, and the workbook unchanged', async (_label, conn, message) => {
    await expect(testConnection(conn())).rejects.toThrow(message);
    await expect(insert(conn(), { kind: 'table', table: 'accounts' }, { name: 'x', newSheet: 'X' })).rejects.toThrow(
      message,
    );
    expect([...state.sheets.keys()]).toEqual(['Sheet1']);
    expect(state.syncs).toBe(0);
  });

  it('a SQL error and an empty result: a clear message, and the workbook unchanged', async () => {
    await expect(
      insert(c, { kind: 'query', sql: 'SELECT nope FROM accounts' }, { name: 'x', newSheet: 'X' }),
    ).rejects.toThrow(/column "nope" does not exist/);
    await expect(
      insert(c, { kind: 'query', sql: 'DELETE FROM accounts' }, { name: 'x', newSheet: 'X' }),
    ).rejects.toThrow(/Only a query can run here/);
    await expect(
      insert(c, { kind: 'query', sql: 'SELECT * FROM accounts WHERE false' }, { name: 'x', newSheet: 'X' }),
    ).rejects.toThrow(/result is empty/);
    expect([...state.sheets.keys()]).toEqual(['Sheet1']);
    expect(state.tables).toEqual([]);
  });

  it('previews the first rows of a query', async () => {
    const p = await previewQuery(c, 'SELECT id FROM accounts ORDER BY id;', { rows: 3 });
    expect(p.rows).toEqual([[0], [1], [2]]);
  });
});

let downPort = 0;
beforeAll(async () => {
  downPort = await freePort();
});

describe('saved queries in a workbook', () => {
  it('are inserted by reference: a change to the saved query on the server reaches the table at its next refresh', async () => {
    const admin = (await keys(t)).admin;
    const saved = await fetch(`${t.url}/api/v1/queries`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Top accounts', sql: 'SELECT id, name FROM accounts ORDER BY id LIMIT 3' }),
    });
    const { id } = (await saved.json()) as { id: number };
    const bound = await insert(c, { kind: 'saved', queryId: id }, { name: 'Top', newSheet: 'Top' });
    expect(bound.rows).toBe(3);
    // The workbook keeps the reference, not the SQL.
    expect(JSON.stringify([...state.settings.values()])).not.toContain('LIMIT 3');
    await fetch(`${t.url}/api/v1/queries/${id}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ sql: 'SELECT id, name FROM accounts ORDER BY id LIMIT 5' }),
    });
    const [outcome] = await refresh(c);
    expect(outcome).toMatchObject({ name: 'Top', ok: true, rows: 5 });
    // Deleted on the server: the refresh says so, and the table stays as it was.
    await fetch(`${t.url}/api/v1/queries/${id}`, { method: 'DELETE', headers: { Authorization: `Bearer ${admin}` } });
    const before = state.dump();
    const [gone] = await refresh(c);
    expect(gone).toMatchObject({ ok: false, message: expect.stringMatching(/saved query/i) });
    expect(state.dump()).toBe(before);
  });
});

describe('parameters bound to cells', () => {
  it('a name and an address feed $1 and $2: changing the cells and refreshing changes the data', async () => {
    const cells = state.sheets.get('Sheet1')!;
    // The user's inputs: a minimum balance in a named cell, a date in a sheet named with a space.
    state.sheets.set('My inputs', new Map([['1,1', { value: 46083, format: 'dd-mm-yyyy' }]]));
    cells.set('0,0', { value: 100, format: 'General' });
    state.names.set('MinBalance', { sheet: 'Sheet1', row: 0, column: 0 });
    state.selection = { sheet: 'Sheet1', row: 3, column: 0 };
    const sql = 'SELECT id, balance FROM accounts WHERE balance >= $1 AND modified >= $2::date ORDER BY id';
    const source = { kind: 'query' as const, sql, params: ['minbalance', "'My inputs'!B2"] };
    const bound = await insert(c, source, { name: 'Rich' });
    // 10.5 × n >= 100: n from 10 to 50.
    expect(bound.rows).toBe(41);
    cells.set('0,0', { value: 500, format: 'General' });
    const [grown] = await refresh(c);
    expect(grown).toMatchObject({ ok: true, rows: 3 });
    expect(
      state
        .tableValues('Rich')
        .slice(1)
        .map((r) => r[0]),
    ).toEqual([48, 49, 50]);
    // A date after every row's: none left; the table keeps its header and one empty row.
    state.sheets.get('My inputs')!.set('1,1', { value: 46084, format: 'dd-mm-yyyy' });
    expect((await refresh(c))[0]).toMatchObject({ ok: true, rows: 0 });
    // The name removed: the refresh says which parameter, and the table stays as it was.
    state.names.delete('MinBalance');
    const before = state.canonical();
    const [gone] = await refresh(c);
    expect(gone).toMatchObject({ ok: false, message: expect.stringContaining('minbalance (for $1)') });
    expect(state.canonical()).toBe(before);
  });

  it('a saved query takes its parameters from cells too', async () => {
    const admin = (await keys(t)).admin;
    const saved = await fetch(`${t.url}/api/v1/queries`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'One account', sql: 'SELECT id, name FROM accounts WHERE id = $1' }),
    });
    const { id } = (await saved.json()) as { id: number };
    state.sheets.get('Sheet1')!.set('0,3', { value: 7, format: 'General' });
    const bound = await insert(
      c,
      { kind: 'saved', queryId: id, params: ['Sheet1!D1'] },
      { name: 'One', newSheet: 'One' },
    );
    expect(state.tableValues(bound.name)[1]).toEqual([7, 'Account 7']);
  });
});

describe('a table the user deleted', () => {
  it('is listed as deleted, said once at the next refresh, then forgotten', async () => {
    await insert(c, { kind: 'query', sql: 'SELECT 1 AS one' }, { name: 'Kept', newSheet: 'Kept' });
    await insert(c, { kind: 'query', sql: 'SELECT 2 AS two' }, { name: 'Dropped', newSheet: 'Dropped' });
    state.tables = state.tables.filter((x) => x.name !== 'Dropped');
    expect((await workbookTables()).gone.map((g) => g.name)).toEqual(['Dropped']);
    expect(refreshSummary(await refresh(c))).toBe(
      'Refreshed Kept (1 row). Dropped was deleted from the workbook and is no longer refreshed.',
    );
    expect((await workbookTables()).gone).toEqual([]);
    expect(refreshSummary(await refresh(c))).toBe('Refreshed Kept (1 row).');
  });
});

describe('a PivotTable of an exact-sync table', () => {
  it('goes on a new sheet with the sum of the money column, and Refresh all brings it up to date', async () => {
    state.sheets.get('Sheet1')!.set('0,0', { value: 3, format: 'General' });
    const bound = await insert(
      c,
      {
        kind: 'query',
        sql: 'SELECT id, name, balance FROM accounts WHERE id BETWEEN 1 AND $1 ORDER BY id',
        params: ['Sheet1!A1'],
      },
      { name: 'Balances', newSheet: 'Balances' },
    );
    expect(bound.formats).toEqual(['0', '@', '#,##0.00']);
    const said = await pivotOf(bound.id!);
    expect(said).toContain('with the sum of balance');
    expect(state.pivots).toMatchObject([
      { name: 'Balances_pivot', sheet: 'Balances pivot', row: 2, column: 0, data: ['balance'] },
    ]);
    expect(state.active).toBe('Balances pivot');
    // A second one gets names of its own.
    await pivotOf(bound.id!);
    expect(state.pivots.map((p) => [p.name, p.sheet])).toEqual([
      ['Balances_pivot', 'Balances pivot'],
      ['Balances_pivot_2', 'Balances pivot (2)'],
    ]);
    // The table refreshed with more rows: the PivotTables read them too.
    state.sheets.get('Sheet1')!.set('0,0', { value: 5, format: 'General' });
    await refresh(c);
    const now = state.tableValues('Balances');
    expect(now).toHaveLength(6);
    for (const p of state.pivots) expect(p.cache).toEqual(now);
  });

  it('a PivotTable that cannot be made leaves no sheet behind', async () => {
    const bound = await insert(
      c,
      { kind: 'query', sql: 'SELECT id, balance FROM accounts WHERE id <= 2' },
      { name: 'P', newSheet: 'P' },
    );
    // Someone made a PivotTable of that name by hand.
    state.pivots.push({ name: 'P_pivot', sheet: 'P', row: 10, column: 10, source: bound.id!, data: [], cache: [] });
    await pivotOf(bound.id!);
    expect(state.pivots.map((p) => p.name)).toEqual(['P_pivot', 'P_pivot_2']);
    state.failAtSync = state.syncs + 3;
    const sheets = [...state.sheets.keys()];
    await expect(pivotOf(bound.id!)).rejects.toThrow(/Injected failure/);
    expect([...state.sheets.keys()]).toEqual(sheets);
    expect(state.pivots.map((p) => p.name)).toEqual(['P_pivot', 'P_pivot_2']);
  });
});

describe('GET /addin/manifest.xml', () => {
  it('is refused, with what to do, when the server is not on https (Office would install it and never open it)', async () => {
    const res = await fetch(`${t.url}/addin/manifest.xml`);
    expect(res.status).toBe(409);
    expect(await res.text()).toMatch(/only over HTTPS.*Set PUBLIC_URL to its https:\/\/ address/);
  });
});
