import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../server/db/migrate.ts';
import { dailyCostOf, divisionSchedules, tableCosts } from '../../server/schedule/schedules.ts';
import { saveDivisions, selectDivisions } from '../../server/state/divisions.ts';
import { chooseTables, updateTable } from '../../server/state/tableSettings.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

let db: TestDatabase;
let id: number;

/** A finished run of `division` in which each named table read that many pages. */
async function run(division: number, pages: Record<string, number>, status = 'succeeded'): Promise<void> {
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO exact_sync.runs (connection_id, division, status, finished_at) VALUES ($1, $2, 'succeeded', now()) RETURNING id`,
    [id, division],
  );
  for (const [table, n] of Object.entries(pages)) {
    await db.pool.query(
      'INSERT INTO exact_sync.run_tables (run_id, table_name, status, pages) VALUES ($1, $2, $3, $4)',
      [rows[0]!.id, table, status, n],
    );
  }
}

beforeAll(async () => {
  db = await createTestDatabase('schedule_state');
  await migrate(db.pool);
  const { rows } = await db.pool.query<{ id: number }>(
    `INSERT INTO exact_sync.connections (country, base_url) VALUES ('nl', 'http://127.0.0.1:1') RETURNING id`,
  );
  id = rows[0]!.id;
  await saveDivisions(db.pool, id, [
    { division: 1, name: 'A', hid: null, isCurrent: true, active: true },
    { division: 2, name: 'B', hid: null, isCurrent: false, active: true },
    { division: 3, name: 'C', hid: null, isCurrent: false, active: false },
  ]);
  await chooseTables(db.pool, id, ['transactionlines', 'accounts']);
});
afterAll(async () => {
  await db.drop();
});

describe('tableCosts', () => {
  it('takes the median pages of the recent runs after the first (the full sync), the highest division, and 1 without history', async () => {
    await run(1, { transactionlines: 500, accounts: 40 });
    await run(1, { transactionlines: 2, accounts: 1 });
    await run(1, { transactionlines: 3, accounts: 1 });
    await run(1, { transactionlines: 2, accounts: 1 });
    await run(2, { transactionlines: 900 });
    await run(2, { transactionlines: 7 });
    await run(2, { transactionlines: 5, accounts: 9 }, 'failed');
    const costs = new Map((await tableCosts(db.pool, id)).map((c) => [c.name, c]));
    // Division 1: median 2 (500 is its first run); division 2: 7 (900 is its first). The highest: 7.
    expect(costs.get('transactionlines')).toEqual({ name: 'transactionlines', frequencyMinutes: 360, callsPerRun: 7 });
    expect(costs.get('accounts')!.callsPerRun).toBe(1);
    expect(costs.get('deleted')!.callsPerRun).toBe(1);
    expect(costs.has('items')).toBe(false);
  });

  it('turns into a daily estimate that follows the frequencies', async () => {
    await updateTable(db.pool, id, 'transactionlines', { frequencyMinutes: 15 });
    const cost = await dailyCostOf(db.pool, id);
    // transactionlines 96 runs × 7, accounts 4 × 1, deleted follows the fastest: 96 × 1.
    expect(Object.fromEntries(cost.tables.map((t) => [t.name, t.callsPerDay]))).toEqual({
      accounts: 4,
      transactionlines: 672,
      deleted: 96,
    });
    expect(cost.total).toBe(772);
    expect(cost.warning).toBeNull();
  });
});

describe('divisionSchedules', () => {
  it('lists the selected active divisions of active connections, with each enabled table and its last attempt', async () => {
    await db.pool.query(
      `INSERT INTO exact_sync.table_syncs (connection_id, division, table_name, last_attempt_at, last_status, failures) VALUES ($1, 1, 'accounts', '2026-03-02T08:00:00Z', 'failed', 2)`,
      [id],
    );
    const all = await divisionSchedules(db.pool);
    expect(all.map((d) => d.division)).toEqual([1, 2]);
    const accounts = all[0]!.tables.find((t) => t.name === 'accounts');
    expect(accounts).toEqual({
      name: 'accounts',
      frequencyMinutes: 360,
      lastAttemptAt: new Date('2026-03-02T08:00:00Z'),
      lastStatus: 'failed',
      failures: 2,
    });
    await selectDivisions(db.pool, id, { mode: 'selected', divisions: [2] });
    expect((await divisionSchedules(db.pool, { connectionId: id })).map((d) => d.division)).toEqual([2]);
    await db.pool.query(`UPDATE exact_sync.connections SET state = 'reauth_required' WHERE id = $1`, [id]);
    expect(await divisionSchedules(db.pool)).toEqual([]);
  });
});
