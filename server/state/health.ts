import type pg from 'pg';
import type { SyncHealth } from './types.ts';

export type { SyncHealth };

/**
 * What an admin checks each morning, per connection, from the run history: Exact API calls per day and
 * division (against the 5,000 a division may make a day), the tables whose latest attempt failed (with
 * Exact's or PostgreSQL's words), and the rows each table changed per day.
 */

export async function syncHealth(db: pg.Pool, connectionId: number, now: Date, days = 14): Promise<SyncHealth> {
  const since = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const [calls, failing, rows] = await Promise.all([
    db.query<{ day: string; division: number; calls: number }>(
      `SELECT to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, division, sum(api_calls)::int AS calls
       FROM exact_sync.runs WHERE connection_id = $1 AND started_at >= $2
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [connectionId, since],
    ),
    // Per division and table, the latest run that did something with it: failing when that one failed.
    db.query<{
      division: number;
      table_name: string;
      error_code: string | null;
      error_message: string | null;
      started_at: Date;
      run_id: number;
    }>(
      `SELECT * FROM (
         SELECT DISTINCT ON (r.division, t.table_name) r.division, t.table_name, t.status, t.error_code,
                t.error_message, r.started_at, r.id AS run_id
         FROM exact_sync.run_tables t JOIN exact_sync.runs r ON r.id = t.run_id
         WHERE r.connection_id = $1 AND t.status <> 'skipped'
         ORDER BY r.division, t.table_name, r.started_at DESC, r.id DESC) latest
       WHERE status = 'failed' ORDER BY division, table_name`,
      [connectionId],
    ),
    db.query<{ day: string; table_name: string; changed: string }>(
      `SELECT to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, t.table_name,
              sum(t.inserted + t.updated + t.deleted) AS changed
       FROM exact_sync.run_tables t JOIN exact_sync.runs r ON r.id = t.run_id
       WHERE r.connection_id = $1 AND r.started_at >= $2
       GROUP BY 1, 2 HAVING sum(t.inserted + t.updated + t.deleted) > 0 ORDER BY 1, 2`,
      [connectionId, since],
    ),
  ]);
  return {
    days,
    callsPerDay: calls.rows,
    failingTables: failing.rows.map((f) => ({
      division: f.division,
      table: f.table_name,
      errorCode: f.error_code,
      errorMessage: f.error_message,
      failedAt: f.started_at,
      runId: Number(f.run_id),
    })),
    rowsPerDay: rows.rows.map((r) => ({ day: r.day, table: r.table_name, changed: Number(r.changed) })),
  };
}
