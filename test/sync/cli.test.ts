import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { TABLES } from '../../server/catalog/tables.ts';
import { runCli, tempWorkDir } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertWarehouseEqualsSandbox, setUpSync } from '../helpers/syncSetup.ts';

let db: TestDatabase;
let sb: RunningSandbox;
let env: Record<string, string>;
let connectionId: number;
let cwd: string;

beforeAll(async () => {
  db = await createTestDatabase('sync_cli');
  sb = await startSandbox({ autoApprove: true, scale: 800, divisions: 2, limits: false, seed: 5 });
  const setup = await setUpSync(db, sb);
  connectionId = setup.connectionId;
  cwd = await tempWorkDir('sync-cli');
  env = {
    DATABASE_URL: db.url,
    SECRET_KEY: setup.secretKeyHex,
    EXACT_CLIENT_ID: 'sandbox-client',
    EXACT_CLIENT_SECRET: 'sandbox-secret',
  };
});
afterAll(async () => {
  await sb?.close();
  await db?.drop();
});

describe('exact-sync sync', () => {
  it('syncs every division of the connection, says what it did, and records the runs', async () => {
    const run = runCli(['sync', '--connection', String(connectionId)], { cwd, env });
    const { code } = await run.exited;
    expect(code, run.stdout() + run.stderr()).toBe(0);
    for (const d of sb.sandbox.divisions) {
      expect(run.stdout()).toMatch(new RegExp(`division ${d.code}: done \\(run \\d+, \\d+ API calls\\)`));
      expect(run.stdout()).toMatch(
        new RegExp(`division ${d.code} transactionlines: ${d.lines} rows read, ${d.lines} new, 0 updated, 0 deleted`),
      );
      await assertWarehouseEqualsSandbox(db.pool, sb, d.code);
    }
    const runs = await db.pool.query(
      `SELECT division, status, api_calls, rows_inserted FROM exact_sync.runs ORDER BY id`,
    );
    expect(runs.rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(runs.rows.every((r) => r.api_calls > 0 && Number(r.rows_inserted) > 0)).toBe(true);
    const divisions = await db.pool.query(
      `SELECT division, code, description, divisionmovedate FROM exact_online.divisions ORDER BY division`,
    );
    expect(divisions.rows.map((d) => [d.division, d.code, d.description, d.divisionmovedate])).toEqual(
      [...sb.sandbox.divisions].sort((a, b) => a.code - b.code).map((d) => [d.code, d.code, d.description, null]),
    );
    const perTable = await db.pool.query(
      `SELECT count(*)::int AS n FROM exact_sync.run_tables WHERE status = 'succeeded'`,
    );
    // The tables a connection syncs by default, in both divisions.
    expect(perTable.rows[0].n).toBe(2 * TABLES.filter((t) => t.byDefault).length);
  });

  it('lists the connection with the last run of each division', async () => {
    const run = runCli(['connections'], { cwd, env });
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(run.stdout()).toContain(`connection ${connectionId}: active`);
    expect(run.stdout()).toContain(`${sb.url} (nl), warehouse schema exact_online`);
    for (const d of sb.sandbox.divisions)
      expect(run.stdout()).toMatch(
        new RegExp(
          `division ${d.code}: last run succeeded \\(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, \\d+ API calls\\), \\d+ tables, \\d+ rows synced in all`,
        ),
      );
  });

  it("syncs only what it is asked for, and applies Exact's deletes on that run too", async () => {
    const division = sb.sandbox.divisions[1]!.code;
    sb.sandbox.insert(division, 'Accounts', { Name: 'Only this one', Code: '7777' });
    // A transaction line deleted in Exact: gone from the warehouse after a run of accounts alone.
    const { rows: stored } = await db.pool.query<{ id: string }>(
      'SELECT id FROM exact_online.transactionlines WHERE division = $1 ORDER BY id LIMIT 1',
      [division],
    );
    const gone = stored[0]!.id;
    expect(sb.sandbox.remove(division, 'TransactionLines', gone)).toBe(true);
    const run = runCli(
      ['sync', '--connection', String(connectionId), '--divisions', String(division), '--tables', 'accounts'],
      { cwd, env },
    );
    expect((await run.exited).code, run.stderr()).toBe(0);
    expect(run.stdout()).toContain(`division ${division} accounts: 1 rows read, 1 new, 0 updated, 0 deleted`);
    expect(run.stdout()).not.toContain('transactionlines');
    expect(run.stdout()).toMatch(
      new RegExp(`division ${division} deleted: \\d+ rows read, \\d+ new, 0 updated, 1 deleted`),
    );
    const { rows: after } = await db.pool.query('SELECT 1 FROM exact_online.transactionlines WHERE id = $1', [gone]);
    expect(after).toEqual([]);
  });

  it('reads a division whole again after Exact regenerated its Timestamps (DivisionMoveDate)', async () => {
    const moved = sb.sandbox.divisions[0]!;
    const other = sb.sandbox.divisions[1]!;
    sb.sandbox.regenerateTimestamps(moved.code);
    const run = runCli(['sync', '--connection', String(connectionId)], { cwd, env });
    expect((await run.exited).code, run.stdout() + run.stderr()).toBe(0);
    expect(run.stdout()).toContain(`division ${moved.code} transactionlines: ${moved.lines} rows read`);
    expect(run.stdout()).toContain(`division ${other.code} transactionlines: 0 rows read`);
    await assertWarehouseEqualsSandbox(db.pool, sb, moved.code);
    const stored = await db.pool.query(`SELECT divisionmovedate FROM exact_online.divisions WHERE code = $1`, [
      moved.code,
    ]);
    expect(stored.rows[0].divisionmovedate).toBeInstanceOf(Date);
  });

  it.each([
    [['--tables', 'nope'], 'exact-sync has no table "nope"'],
    [['--divisions', 'x'], '--divisions must be a comma-separated list of numbers (got "x")'],
    [['--connection', '999'], 'There is no connection 999.'],
  ])('refuses %j with a clear message and exit 1', async (args, message) => {
    const run = runCli(
      ['sync', ...(args[0] === '--connection' ? [] : ['--connection', String(connectionId)]), ...args],
      { cwd, env },
    );
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain(message);
    expect(run.stderr()).not.toMatch(/^\s+at /m);
  });

  it('exits 1 and tells the admin to reconnect when the token chain is gone', async () => {
    sb.sandbox.oauth.revoke('demo');
    // Ten minutes on, on both sides (the CLI reads real time, the sandbox its own clock): the stored token
    // has expired and a refresh is due, and the refresh finds the chain gone.
    sb.sandbox.clock.advance(600_000);
    await db.pool.query(
      `UPDATE exact_sync.connections SET token_refreshed_at = token_refreshed_at - interval '10 minutes',
         access_expires_at = access_expires_at - interval '10 minutes' WHERE id = $1`,
      [connectionId],
    );
    const run = runCli(['sync', '--connection', String(connectionId)], { cwd, env });
    expect((await run.exited).code).toBe(1);
    expect(run.stdout() + run.stderr()).toContain('Reconnect it at /connect/exact');
    const state = await db.pool.query('SELECT state FROM exact_sync.connections WHERE id = $1', [connectionId]);
    expect(state.rows[0].state).toBe('reauth_required');
  });
});
