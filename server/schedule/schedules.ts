import type pg from 'pg';
import { tableAttempts } from '../state/attempts.ts';
import { syncingDivisions } from '../state/divisions.ts';
import { largestTablePages, recentTablePages } from '../state/runs.ts';
import { TABLE_BY_NAME } from '../catalog/tables.ts';
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
 * The schedules as the scheduler and the console see them, put together from the instance state
 * (server/state/): the divisions that sync, and per table its frequency and how its last attempt in that
 * division ended; what a connection's schedule costs of Exact's daily budget.
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
  const divisions = await syncingDivisions(db, filter);
  if (divisions.length === 0) return [];
  const connectionIds = [...new Set(divisions.map((d) => d.connectionId))];
  const attempts = await tableAttempts(db, connectionIds, filter.division);
  const attempt = new Map(attempts.map((a) => [`${a.connectionId}:${a.division}:${a.table}`, a]));
  const frequencies = new Map<number, { name: string; frequencyMinutes: number }[]>();
  for (const id of connectionIds) frequencies.set(id, await tableFrequencies(db, id));
  return divisions.map((d) => ({
    ...d,
    tables: frequencies.get(d.connectionId)!.map((t) => {
      const a = attempt.get(`${d.connectionId}:${d.division}:${t.name}`);
      return {
        ...t,
        lastAttemptAt: a?.lastAttemptAt ?? null,
        lastStatus: a?.lastStatus ?? null,
        failures: a?.failures ?? 0,
      };
    }),
  }));
}

/**
 * Calls one incremental run of each enabled table takes, per division: the median of the pages its
 * last ten successful runs read, leaving out its first run (the full sync, which says nothing about the
 * runs after it); the highest over the connection's divisions; 1 for a table with no run after its
 * first (one call finds nothing new). Tables swept for deletes add a sweep: as many calls as their full read.
 */
export async function tableCosts(db: pg.Pool, connectionId: number): Promise<TableCost[]> {
  const rows = await recentTablePages(db, connectionId);
  const perRun = new Map<string, number>();
  for (const r of rows) perRun.set(r.table, Math.max(perRun.get(r.table) ?? 1, Math.ceil(median(r.pages))));
  const largest = await largestTablePages(db, connectionId);
  return (await tableFrequencies(db, connectionId)).map((t) => {
    const days = TABLE_BY_NAME.get(t.name)?.sweepDays;
    return {
      ...t,
      callsPerRun: perRun.get(t.name) ?? 1,
      ...(days !== undefined ? { sweep: { calls: largest.get(t.name) ?? 1, days } } : {}),
    };
  });
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
