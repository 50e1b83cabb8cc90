import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../server/db/migrate.ts';
import { syncHealth } from '../../server/state/health.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/** The sync-health report from a run history written as the sync writes it. */

let db: TestDatabase;
let connection: number;
const now = new Date('2026-11-29T09:00:00Z');

async function run(
  division: number,
  startedAt: string,
  calls: number,
  tables: [string, 'succeeded' | 'failed' | 'skipped', number, string?][],
) {
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO exact_sync.runs (connection_id, division, status, started_at, finished_at, api_calls)
     VALUES ($1, $2, 'succeeded', $3, $3, $4) RETURNING id`,
    [connection, division, startedAt, calls],
  );
  for (const [table, status, changed, error] of tables)
    await db.pool.query(
      `INSERT INTO exact_sync.run_tables (run_id, table_name, status, inserted, updated, error_code, error_message)
       VALUES ($1, $2, $3, $4, 1, $5, $6)`,
      [rows[0]!.id, table, status, changed - 1, error ? 'exact_error' : null, error ?? null],
    );
}

beforeAll(async () => {
  db = await createTestDatabase('health');
  await migrate(db.pool);
  const { rows } = await db.pool.query<{ id: number }>(
    `INSERT INTO exact_sync.connections (country, base_url, exact_user_id, exact_user_name) VALUES ('nl', 'http://x', gen_random_uuid(), 'Anna') RETURNING id`,
  );
  connection = rows[0]!.id;
  // 20 days ago: outside the 14 days.
  await run(101, '2026-11-09T08:00:00Z', 4000, [['accounts', 'failed', 1, 'old failure']]);
  await run(101, '2026-11-27T06:00:00Z', 300, [
    ['accounts', 'failed', 1, 'Exact answered 500'],
    ['items', 'succeeded', 10],
  ]);
  await run(101, '2026-11-28T06:00:00Z', 200, [
    ['accounts', 'succeeded', 5],
    ['items', 'failed', 1, 'Forbidden'],
  ]);
  // A later run that skipped items does not hide that its last attempt failed.
  await run(101, '2026-11-29T06:00:00Z', 50, [['items', 'skipped', 1]]);
  await run(202, '2026-11-29T07:00:00Z', 70, [['accounts', 'failed', 1, 'Timeout']]);
  await run(202, '2026-11-29T08:00:00Z', 30, [['items', 'succeeded', 3]]);
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

describe('syncHealth', () => {
  it('adds up calls per UTC day and division over the last 14 days', async () => {
    const h = await syncHealth(db.pool, connection, now);
    expect(h.callsPerDay).toEqual([
      { day: '2026-11-27', division: 101, calls: 300 },
      { day: '2026-11-28', division: 101, calls: 200 },
      { day: '2026-11-29', division: 101, calls: 50 },
      { day: '2026-11-29', division: 202, calls: 100 },
    ]);
  });
  it('lists the tables whose latest attempt failed, with the words and the run, and not those that recovered', async () => {
    const h = await syncHealth(db.pool, connection, now);
    expect(h.failingTables.map((f) => [f.division, f.table, f.errorMessage])).toEqual([
      [101, 'items', 'Forbidden'],
      [202, 'accounts', 'Timeout'],
    ]);
    expect(h.failingTables[0]!.runId).toBeGreaterThan(0);
  });
  it('sums the rows each table changed per day, leaving out days with none', async () => {
    const h = await syncHealth(db.pool, connection, now);
    expect(h.rowsPerDay).toEqual([
      { day: '2026-11-27', table: 'accounts', changed: 1 },
      { day: '2026-11-27', table: 'items', changed: 10 },
      { day: '2026-11-28', table: 'accounts', changed: 5 },
      { day: '2026-11-28', table: 'items', changed: 1 },
      { day: '2026-11-29', table: 'accounts', changed: 1 },
      { day: '2026-11-29', table: 'items', changed: 4 },
    ]);
  });
});
