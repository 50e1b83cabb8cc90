import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../server/db/migrate.ts';
import { pruneSheetsBudget, sheetsWriteBudget } from '../../server/state/sheetsBudget.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/** The Sheets write budget every process shares, on real PostgreSQL. */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('sheets_budget');
  await migrate(db.pool);
});
afterAll(async () => {
  await db.drop();
});

class Waited extends Error {
  readonly ms: number;
  constructor(ms: number) {
    super(`would wait ${ms} ms`);
    this.ms = ms;
  }
}

describe('sheetsWriteBudget', () => {
  it('two processes share one minute: 10 writes between them, the 11th waits for the next minute', async () => {
    await db.pool.query('DELETE FROM exact_sync.sheets_write_budget');
    // The sleep throws instead of waiting: the test sees that (and how long) a take would wait.
    const refuse = async (ms: number) => {
      throw new Waited(ms);
    };
    const a = sheetsWriteBudget(db.pool, 10, refuse);
    const b = sheetsWriteBudget(db.pool, 10, refuse);
    // Taken at the same moment from both: exactly 10 succeed, whatever the interleaving.
    const outcomes = await Promise.allSettled(Array.from({ length: 14 }, (_, i) => (i % 2 ? a : b).take()));
    const taken = outcomes.filter((o) => o.status === 'fulfilled').length;
    const waits = outcomes.flatMap((o) => (o.status === 'rejected' ? [(o.reason as Waited).ms] : []));
    // A minute boundary crossed during the test would allow a few more; never fewer, never over 10 a minute.
    const { rows } = await db.pool.query<{ writes: number }>('SELECT writes FROM exact_sync.sheets_write_budget');
    expect(rows.every((r) => r.writes <= 10)).toBe(true);
    expect(taken).toBe(rows.reduce((n, r) => n + r.writes, 0));
    expect(taken).toBeGreaterThanOrEqual(10);
    for (const ms of waits) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(60_000);
    }
  });

  it('forgets minutes older than an hour', async () => {
    await db.pool.query(
      `INSERT INTO exact_sync.sheets_write_budget VALUES (date_trunc('minute', now()) - interval '2 hours', 3)
       ON CONFLICT DO NOTHING`,
    );
    await pruneSheetsBudget(db.pool);
    const { rows } = await db.pool.query(
      `SELECT 1 FROM exact_sync.sheets_write_budget WHERE minute < now() - interval '1 hour'`,
    );
    expect(rows).toEqual([]);
  });
});
