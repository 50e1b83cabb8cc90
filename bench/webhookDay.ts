import { webhookActDelay } from '../server/schedule/decide.ts';

/**
 * A day of changes in one division, and what bringing them into the warehouse costs (issue 23): by polling
 * every N minutes, or through webhook events with a safety-net poll once a day. A day cannot be run in a
 * benchmark, so it is played on a virtual clock, with the scheduler's own decision of when to act on
 * webhook events (webhookActDelay, server/schedule/decide.ts) and the calls and time a run takes as
 * measured on the real stack (bench/webhooks.ts calibrates them and checks this model against a real
 * stretch of the day). Everything here is pure and seeded: the same seed gives the same day.
 */

export interface Change {
  /** Milliseconds after midnight. */
  at: number;
  table: string;
}

/**
 * The five tables of the typical day, with their share of the changes and the Exact entity (the sandbox's)
 * whose change reaches them. All five are in a connection's default selection, and Exact reports each
 * through a webhook topic (the sandbox too: server/sandbox/webhooks.ts). `page`: rows a call reads of
 * the table's endpoint (the Sync API's 1,000; sales invoices come from the REST API, 60 a page:
 * docs/exact-online.md).
 */
export const DAY_TABLES: readonly { table: string; entity: string; share: number; page: number }[] = [
  { table: 'salesinvoices', entity: 'SalesInvoices', share: 0.3, page: 60 },
  { table: 'salesorderheaders', entity: 'SalesOrders', share: 0.2, page: 1000 },
  { table: 'accounts', entity: 'Accounts', share: 0.2, page: 1000 },
  { table: 'contacts', entity: 'Contacts', share: 0.15, page: 1000 },
  { table: 'items', entity: 'Items', share: 0.15, page: 1000 },
];
const PAGE = new Map(DAY_TABLES.map((t) => [t.table, t.page]));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A small seeded generator (mulberry32): the day is the same on every machine. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const exponential = (random: () => number, mean: number) => -mean * Math.log(1 - random());

function pickTable(random: () => number): string {
  let r = random();
  for (const t of DAY_TABLES) {
    if (r < t.share) return t.table;
    r -= t.share;
  }
  return DAY_TABLES[0]!.table;
}

/**
 * A typical office day: 85% of the changes in work sessions between 08:00 and 18:00 (someone books a
 * batch of entries or edits a few customers: one table, on average 8 changes about 30 s apart), the rest
 * from integrations, one at a time at any hour. Sorted by time.
 */
export function typicalDay(changes: number, seed = 23): Change[] {
  const random = seeded(seed);
  const out: Change[] = [];
  const inSessions = Math.round(changes * 0.85);
  while (out.length < inSessions) {
    const table = pickTable(random);
    let at = 8 * HOUR + random() * 10 * HOUR;
    const size = 1 + Math.floor(exponential(random, 7));
    for (let i = 0; i < size && out.length < inSessions && at < DAY; i++) {
      out.push({ at, table });
      at += exponential(random, 30_000);
    }
  }
  while (out.length < changes) out.push({ at: random() * DAY, table: pickTable(random) });
  return out.sort((a, b) => a.at - b.at);
}

/** What a run costs, from the real stack: calls per table read (a page per 1,000 changes, or 60, at least one), calls every run adds, time. */
export interface RunCost {
  /** Calls a run makes besides its tables' pages (sync/Deleted, the division list when it is due). */
  extraCalls: number;
  /** Wall time of a run besides its calls to Exact (jobs, warehouse writes). */
  overheadMs: number;
  /** One call's round trip to Exact. */
  callMs: number;
}

export interface DayOutcome {
  calls: number;
  runs: number;
  /** Seconds from a change's arrival (its event, or the change itself when polling) to its run's end. */
  lag: { median: number; p95: number; max: number };
}

function callsOf(changes: Map<string, number>, cost: RunCost): number {
  let calls = cost.extraCalls;
  for (const [table, n] of changes) calls += Math.max(1, Math.ceil(n / (PAGE.get(table) ?? 1000)));
  return calls;
}

function outcome(calls: number, runs: number, lags: number[]): DayOutcome {
  const sorted = [...lags].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { calls, runs, lag: { median: at(0.5) / 1000, p95: at(0.95) / 1000, max: at(1) / 1000 } };
}

/** Polling every `intervalMinutes`: each run reads every table, changed or not. */
export function pollDay(day: readonly Change[], intervalMinutes: number, cost: RunCost): DayOutcome {
  const interval = intervalMinutes * 60_000;
  const lags: number[] = [];
  let calls = 0;
  let runs = 0;
  let next = 0;
  for (let start = 0; start < DAY; start += interval) {
    const changed = new Map<string, number>(DAY_TABLES.map((t) => [t.table, 0]));
    const taken: Change[] = [];
    while (next < day.length && day[next]!.at <= start) taken.push(day[next++]!);
    for (const c of taken) changed.set(c.table, changed.get(c.table)! + 1);
    const runCalls = callsOf(changed, cost);
    const end = start + cost.overheadMs + runCalls * cost.callMs;
    for (const c of taken) lags.push(end - c.at);
    calls += runCalls;
    runs++;
  }
  // Changes after the last run of the day wait for the first of the next.
  for (; next < day.length; next++)
    lags.push(DAY + cost.overheadMs + callsOf(new Map(), cost) * cost.callMs - day[next]!.at);
  return outcome(calls, runs, lags);
}

/**
 * Webhooks: each change's event arrives at its time; the division's pending events are acted on when the
 * scheduler's decision says (a moment after they arrive, and no sooner than `minIntervalSeconds` after the
 * previous run they started), as one run of the tables they touch; events during a run wait for its end.
 * Plus the safety net: every table once a day.
 */
export function webhookDay(
  day: readonly Change[],
  minIntervalSeconds: number,
  cost: RunCost,
  safetyNetRuns = 1,
): DayOutcome {
  const lags: number[] = [];
  let calls = 0;
  let runs = 0;
  let lastActed: number | null = null;
  let busyUntil = 0;
  let next = 0;
  while (next < day.length) {
    const first = Math.max(day[next]!.at, busyUntil);
    const start: number = first + webhookActDelay(first, lastActed, minIntervalSeconds * 1000);
    const taken: Change[] = [];
    while (next < day.length && day[next]!.at <= start) taken.push(day[next++]!);
    const changed = new Map<string, number>();
    for (const c of taken) changed.set(c.table, (changed.get(c.table) ?? 0) + 1);
    const runCalls = callsOf(changed, cost);
    const end = start + cost.overheadMs + runCalls * cost.callMs;
    for (const c of taken) lags.push(end - c.at);
    calls += runCalls;
    runs++;
    lastActed = start;
    busyUntil = end;
  }
  const net = callsOf(new Map(DAY_TABLES.map((t) => [t.table, 0])), cost) * safetyNetRuns;
  return outcome(calls + net, runs + safetyNetRuns, lags);
}
