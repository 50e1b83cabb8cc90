import type pg from 'pg';
import { tableFrequencies } from '../state/tableSettings.ts';
import {
  costWarning,
  estimateDailyCost,
  median,
  type BudgetVerdict,
  type TableCost,
  type TableSchedule,
} from './decide.ts';

/**
 * What the scheduler reads from exact_sync: the divisions that sync, and per table its frequency and
 * how its last attempt in that division ended.
 */

export interface DivisionSchedule {
  connectionId: number;
  division: number;
  /** Exact's daily budget of the division is spent until then. */
  pausedUntil: Date | null;
  tables: TableSchedule[];
}

/**
 * Every division that syncs (active connections; the division active and selected), with its tables'
 * schedules; `connectionId` limits it to one connection, `division` to one division of it.
 */
export async function divisionSchedules(
  db: pg.Pool,
  filter: { connectionId?: number; division?: number } = {},
): Promise<DivisionSchedule[]> {
  const { rows: divisions } = await db.query<{ connection_id: number; division: number; paused_until: Date | null }>(
    `SELECT d.connection_id, d.division, d.paused_until
     FROM exact_sync.divisions d JOIN exact_sync.connections c ON c.id = d.connection_id
     WHERE c.state = 'active' AND d.active AND (c.divisions_mode = 'all' OR d.sync_enabled)
       AND ($1::int IS NULL OR c.id = $1) AND ($2::int IS NULL OR d.division = $2)
     ORDER BY d.connection_id, d.division`,
    [filter.connectionId ?? null, filter.division ?? null],
  );
  if (divisions.length === 0) return [];
  const connectionIds = [...new Set(divisions.map((d) => d.connection_id))];
  const { rows: attempts } = await db.query<{
    connection_id: number;
    division: number;
    table_name: string;
    last_attempt_at: Date;
    last_status: 'succeeded' | 'failed';
    failures: number;
  }>(
    `SELECT connection_id, division, table_name, last_attempt_at, last_status, failures FROM exact_sync.table_syncs
     WHERE connection_id = ANY ($1::int[]) AND ($2::int IS NULL OR division = $2)`,
    [connectionIds, filter.division ?? null],
  );
  const attempt = new Map(attempts.map((a) => [`${a.connection_id}:${a.division}:${a.table_name}`, a]));
  const frequencies = new Map<number, { name: string; frequencyMinutes: number }[]>();
  for (const id of connectionIds) frequencies.set(id, await tableFrequencies(db, id));
  return divisions.map((d) => ({
    connectionId: d.connection_id,
    division: d.division,
    pausedUntil: d.paused_until,
    tables: frequencies.get(d.connection_id)!.map((t) => {
      const a = attempt.get(`${d.connection_id}:${d.division}:${t.name}`);
      return {
        ...t,
        lastAttemptAt: a?.last_attempt_at ?? null,
        lastStatus: a?.last_status ?? null,
        failures: a?.failures ?? 0,
      };
    }),
  }));
}

/**
 * Calls one incremental run of each enabled table takes, per division: the median of the pages its
 * last ten successful runs read, leaving out its first run (the full sync, which says nothing about the
 * runs after it); the highest over the connection's divisions; 1 for a table with no run after its
 * first (one call finds nothing new).
 */
export async function tableCosts(db: pg.Pool, connectionId: number): Promise<TableCost[]> {
  const { rows } = await db.query<{ table_name: string; division: number; pages: number[] }>(
    `SELECT table_name, division, array_agg(pages ORDER BY run_id DESC) AS pages FROM (
       SELECT t.table_name, r.division, t.run_id, t.pages,
         row_number() OVER (PARTITION BY t.table_name, r.division ORDER BY t.run_id DESC) AS newest,
         row_number() OVER (PARTITION BY t.table_name, r.division ORDER BY t.run_id) AS oldest
       FROM exact_sync.run_tables t JOIN exact_sync.runs r ON r.id = t.run_id
       WHERE r.connection_id = $1 AND t.status = 'succeeded'
     ) recent WHERE newest <= 10 AND oldest > 1 GROUP BY table_name, division`,
    [connectionId],
  );
  const perRun = new Map<string, number>();
  for (const r of rows) perRun.set(r.table_name, Math.max(perRun.get(r.table_name) ?? 1, Math.ceil(median(r.pages))));
  return (await tableFrequencies(db, connectionId)).map((t) => ({ ...t, callsPerRun: perRun.get(t.name) ?? 1 }));
}

/** The estimated daily API calls per division of the connection's schedule, with a warning when it is too much. */
export async function dailyCostOf(
  db: pg.Pool,
  connectionId: number,
): Promise<{
  total: number;
  budget: number;
  share: number;
  verdict: BudgetVerdict;
  warning: string | null;
  tables: { name: string; callsPerDay: number }[];
}> {
  const cost = estimateDailyCost(await tableCosts(db, connectionId));
  return { ...cost, warning: costWarning(cost) };
}
