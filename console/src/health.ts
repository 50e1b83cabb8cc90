import type { SyncHealthResponse } from '../../server/api/types.ts';

/** The sync-health panel's figures from GET /connections/:id/health. Pure, so the rules have table tests. */

/** What Exact allows one division a day. */
export const DAILY_CALLS = 5000;

export interface HealthDay {
  day: string;
  /** The division that made the most calls that day: what counts against Exact's 5,000. */
  busiest: number;
  total: number;
}

/** The last `days` UTC days up to `today` (YYYY-MM-DD), oldest first, days without runs as zeros. */
export function callDays(calls: SyncHealthResponse['callsPerDay'], days: number, today: string): HealthDay[] {
  const end = Date.parse(`${today}T00:00:00Z`);
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(end - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    const on = calls.filter((c) => c.day === day);
    return {
      day,
      busiest: on.reduce((m, c) => Math.max(m, c.calls), 0),
      total: on.reduce((s, c) => s + c.calls, 0),
    };
  });
}

/** Rows changed per table over the period, most first. */
export function changedTables(rows: SyncHealthResponse['rowsPerDay']): { table: string; changed: number }[] {
  const sums = new Map<string, number>();
  for (const r of rows) sums.set(r.table, (sums.get(r.table) ?? 0) + r.changed);
  return [...sums]
    .map(([table, changed]) => ({ table, changed }))
    .sort((a, b) => b.changed - a.changed || (a.table < b.table ? -1 : 1));
}
