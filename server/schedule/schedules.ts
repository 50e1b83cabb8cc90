import type pg from 'pg';
import { tableAttempts } from '../state/attempts.ts';
import { syncingDivisions } from '../state/divisions.ts';
import { callsOfRuns, largestTablePages, recentTablePages } from '../state/runs.ts';
import { TABLE_BY_NAME } from '../catalog/tables.ts';
import { tableFrequencies } from '../state/tableSettings.ts';
import { webhookSettings } from '../state/webhookSubscriptions.ts';
import { tablesOfTopic, topicsForTables } from '../catalog/webhookTopics.ts';
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
  for (const id of connectionIds)
    frequencies.set(id, safetyNet(await tableFrequencies(db, id), await safetyNetMinutes(db, id)));
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
 * With webhooks on, a table whose changes Exact reports (a topic covers it) needs polling only as a safety
 * net for a lost event (docs/exact-online.md 14.5: no replay): at most every `netMinutes` (the connection's
 * setting, a day by default), or its own frequency when that is rarer. Tables no topic covers keep theirs;
 * `netMinutes` null (webhooks off) changes nothing.
 */
export function safetyNet<T extends { name: string; frequencyMinutes: number }>(
  tables: T[],
  netMinutes: number | null,
): T[] {
  if (netMinutes === null) return tables;
  const covered = coveredTables(tables.map((t) => t.name));
  return tables.map((t) =>
    covered.has(t.name) ? { ...t, frequencyMinutes: Math.max(t.frequencyMinutes, netMinutes) } : t,
  );
}

/** The tables among `names` whose changes Exact reports through a webhook topic. */
function coveredTables(names: string[]): Set<string> {
  return new Set(
    topicsForTables(names)
      .flatMap(tablesOfTopic)
      .filter((n) => names.includes(n)),
  );
}

/** The connection's safety-net interval in minutes; null when webhooks are off. */
async function safetyNetMinutes(db: pg.Pool, connectionId: number): Promise<number | null> {
  const w = await webhookSettings(db, connectionId);
  return w.enabled ? w.safetyNetHours * 60 : null;
}

/**
 * Calls one incremental run of each enabled table takes, per division: the median of the pages its
 * last ten successful runs read, leaving out its first run (the full sync, which says nothing about the
 * runs after it); the highest over the connection's divisions; 1 for a table with no run after its
 * first (one call finds nothing new). Tables swept for deletes add a sweep: as many calls as their full read.
 */
export async function tableCosts(db: pg.Pool, connectionId: number, netMinutes?: number | null): Promise<TableCost[]> {
  const rows = await recentTablePages(db, connectionId);
  const perRun = new Map<string, number>();
  for (const r of rows) perRun.set(r.table, Math.max(perRun.get(r.table) ?? 1, Math.ceil(median(r.pages))));
  const largest = await largestTablePages(db, connectionId);
  const net = netMinutes === undefined ? await safetyNetMinutes(db, connectionId) : netMinutes;
  const frequencies = safetyNet(await tableFrequencies(db, connectionId), net);
  return frequencies.map((t) => {
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

/** What near-real-time costs and saves of Exact's daily budget, over all divisions of the connection. */
export interface WebhookCalls {
  /** Calls a day of the connection's schedule polling every table at its own frequency (estimate). */
  pollingPerDay: number;
  /** Calls a day of its schedule with the covered tables on the safety net (estimate). */
  safetyNetPerDay: number;
  /** Calls the runs webhook events started made in the last 24 hours (measured). */
  webhookRunsLastDay: number;
  /** polling − (safety net + webhook runs): negative when webhooks cost more than the polling they replace. */
  savedPerDay: number;
}

export async function webhookCalls(db: pg.Pool, connectionId: number, now: Date): Promise<WebhookCalls> {
  const w = await webhookSettings(db, connectionId);
  const divisions = (await syncingDivisions(db, { connectionId })).length;
  const polled = await tableCosts(db, connectionId, null);
  const pollingPerDay = Math.round(divisions * estimateDailyCost(polled).total);
  const safetyNetPerDay = Math.round(divisions * estimateDailyCost(safetyNet(polled, w.safetyNetHours * 60)).total);
  const webhookRunsLastDay = await callsOfRuns(db, connectionId, 'webhook', new Date(now.getTime() - 86_400_000));
  return {
    pollingPerDay,
    safetyNetPerDay,
    webhookRunsLastDay,
    savedPerDay: pollingPerDay - safetyNetPerDay - webhookRunsLastDay,
  };
}
