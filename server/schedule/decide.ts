/**
 * The scheduler's decisions, as pure functions of times and settings (table tests in
 * test/schedule/decide.test.ts): when a table of a division is due, how long a failing table waits before
 * it is tried again, and what a configuration costs of Exact's daily API budget.
 */

/** The scheduler looks for due work once a minute (a pg-boss cron). */
export const TICK_MS = 60_000;
/**
 * A table counts as due this much before its time: the last attempt is stamped with the moment its run
 * started, a few seconds after the tick that queued it, and without slack a 15-minute table would slip
 * to every 16 minutes.
 */
export const DUE_SLACK_MS = TICK_MS / 2;
/** The first retry of a failed table waits this long; each further failure doubles it, up to the table's own frequency. */
export const FIRST_RETRY_MINUTES = 5;
/** Exact's daily limit per app and division (docs/exact-online.md 3). */
export const DAILY_BUDGET = 5000;
/** Webhook events of a division gather this long after one arrives, so a header and its lines are one pass. */
export const WEBHOOK_GATHER_MS = 1000;

/**
 * Milliseconds from `now` (an event arrived, or the division's run ended with events pending) until the
 * division's pending webhook events are acted on: a moment to gather the burst, and no sooner than
 * `minIntervalMs` after the previous time they started a run (`lastActedAt`; null: never), so a steady
 * stream of changes becomes one incremental run every `minIntervalMs` rather than one run per change.
 */
export function webhookActDelay(now: number, lastActedAt: number | null, minIntervalMs: number): number {
  if (lastActedAt === null) return WEBHOOK_GATHER_MS;
  // Never longer than the interval, even when the clock went back since the last run.
  return Math.max(WEBHOOK_GATHER_MS, Math.min(lastActedAt + minIntervalMs - now, minIntervalMs));
}

export interface TableSchedule {
  name: string;
  frequencyMinutes: number;
  /** Start of the run that last synced this table to its end (failed or not); null: never. */
  lastAttemptAt: Date | null;
  lastStatus: 'succeeded' | 'failed' | null;
  /** Failed attempts in a row. */
  failures: number;
}

/** Minutes a table that failed `failures` times in a row waits before the next try: 5, 10, 20, … never more than its frequency. */
export function retryAfterMinutes(failures: number, frequencyMinutes: number): number {
  if (failures <= 0) return frequencyMinutes;
  return Math.min(frequencyMinutes, FIRST_RETRY_MINUTES * 2 ** Math.min(failures - 1, 20));
}

/** When the table is next due; null when it has never been synced (due at once). */
export function nextDueAt(t: TableSchedule): Date | null {
  if (t.lastAttemptAt === null) return null;
  const wait = t.lastStatus === 'failed' ? retryAfterMinutes(t.failures, t.frequencyMinutes) : t.frequencyMinutes;
  return new Date(t.lastAttemptAt.getTime() + wait * 60_000);
}

/** The tables due at `now`, in the order given. */
export function dueTables(now: Date, tables: readonly TableSchedule[]): string[] {
  return tables
    .filter((t) => {
      const due = nextDueAt(t);
      return due === null || due.getTime() <= now.getTime() + DUE_SLACK_MS;
    })
    .map((t) => t.name);
}

/** The earliest next due time of the tables; null when one is due now or never ran. */
export function nextRunAt(tables: readonly TableSchedule[]): Date | null {
  let first: Date | null | undefined;
  for (const t of tables) {
    const due = nextDueAt(t);
    if (due === null) return null;
    if (first === undefined || (first !== null && due < first)) first = due;
  }
  return first ?? null;
}

/** When a division syncs next: its first due table, or the end of a daily-limit pause when that is later. */
export function divisionNextSync(d: { pausedUntil: Date | null; tables: readonly TableSchedule[] }): Date | null {
  const due = nextRunAt(d.tables);
  return d.pausedUntil && (due === null || d.pausedUntil > due) ? d.pausedUntil : due;
}

export interface TableCost {
  name: string;
  frequencyMinutes: number;
  /** API calls one incremental run of the table takes (measured: median pages of its recent runs; 1 before any). */
  callsPerRun: number;
  /** Tables without a delete feed: calls of one key sweep (its full read's pages) and days between sweeps. */
  sweep?: { calls: number; days: number } | undefined;
}

export type BudgetVerdict = 'ok' | 'high' | 'exhausts';

export interface DailyCost {
  /** Per table: calls a day in one division. */
  tables: { name: string; callsPerDay: number }[];
  /** `deleted` runs with every division run (deletes are propagated each time), so it follows the fastest table. */
  total: number;
  budget: number;
  share: number;
  verdict: BudgetVerdict;
}

/** Share of the daily budget above which the console warns that little is left for other apps and for catching up. */
export const HIGH_SHARE = 0.5;

/**
 * Estimated API calls a day in one division for tables synced at their frequencies. Every run of a
 * division also reads `deleted`, so `deleted` runs as often as the most frequent table. A table's key
 * sweeps count as their calls spread over the days between them.
 */
export function estimateDailyCost(tables: readonly TableCost[], budget = DAILY_BUDGET): DailyCost {
  const fastest = Math.min(...tables.map((t) => t.frequencyMinutes));
  const perDay = (t: TableCost) => {
    const freq = t.name === 'deleted' && Number.isFinite(fastest) ? fastest : t.frequencyMinutes;
    const sweeps = t.sweep ? Math.max(1, t.sweep.calls) / t.sweep.days : 0;
    return Math.ceil((1440 / freq) * Math.max(1, t.callsPerRun) + sweeps);
  };
  const rows = tables.map((t) => ({ name: t.name, callsPerDay: perDay(t) }));
  const total = rows.reduce((s, r) => s + r.callsPerDay, 0);
  const share = total / budget;
  return { tables: rows, total, budget, share, verdict: share > 1 ? 'exhausts' : share > HIGH_SHARE ? 'high' : 'ok' };
}

/** The median of the numbers (0 for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** What the console, the API and the CLI say about a schedule's cost; null when it is comfortably within the budget. */
export function costWarning(cost: DailyCost): string | null {
  const n = (x: number) => x.toLocaleString('en-US');
  const percent = Math.round(cost.share * 100);
  if (cost.verdict === 'exhausts') {
    return (
      `This schedule needs about ${n(cost.total)} API calls a day per division, more than the ${n(cost.budget)} Exact allows: ` +
      "each division would stop at the daily limit and wait for Exact's reset at midnight UTC. Sync the large or slow tables less often."
    );
  }
  if (cost.verdict === 'high') {
    return (
      `This schedule uses about ${n(cost.total)} of Exact's ${n(cost.budget)} daily API calls per division (${percent} %), ` +
      'leaving little for other apps on the same administrations and for catching up after large changes.'
    );
  }
  return null;
}
