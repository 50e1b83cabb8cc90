import type pg from 'pg';
import { SANDBOX_WEBHOOK_SECRET, type RunningSandbox } from '../server/sandbox/index.ts';
import { connect, withSandboxServer } from './sandboxServer.ts';
import { getRun, listRuns, newestRunsSince } from '../server/state/runs.ts';
import { pendingWebhookEvents } from '../server/state/webhookEvents.ts';
import {
  DAY_TABLES,
  pollDay,
  seeded,
  typicalDay,
  webhookDay,
  type Change,
  type DayOutcome,
  type RunCost,
} from './webhookDay.ts';

/**
 * Near-real-time against polling (issue 23). The real stack — a spawned `serve` with the sandbox as Exact,
 * Exact's rate limits on, webhooks delivered by the sandbox — measures what a run costs (an idle poll of
 * the five tables, a poll with a quarter hour's changes, the runs webhook events start) and replays a
 * stretch of the typical day at real speed through the webhook path, measuring calls and lag. The model
 * (bench/webhookDay.ts, the scheduler's own decision function) is checked against that stretch and then
 * plays whole days: webhooks against polling every 15 and every 5 minutes.
 *
 * Exact's own round trip cannot be measured from here: the day's lags add an assumed `callMs` per call to
 * the measured run time, the same for both ways.
 */
export interface WebhookBenchResult {
  intervalSeconds: number;
  /** Runs on the real stack. */
  polls: { idle: RunMeasured; busy: RunMeasured & { changes: number } };
  slice: {
    from: string;
    minutes: number;
    changes: number;
    /** Runs webhook events started, their calls and mean wall time; the lag the server reports (GET …/webhooks). */
    measured: { calls: number; runs: number; runMs: number; lag: { median: number; p95: number } | null };
    modelled: DayOutcome;
  };
  /** The model's day with the cost measured here and `callMs` per call. */
  days: { changes: number; callMs: number; rows: { label: string; outcome: DayOutcome }[] }[];
}

interface RunMeasured {
  calls: number;
  ms: number;
}

const HOUR = 3_600_000;
const pause = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runWebhooks(o: {
  changes: number;
  minutes: number;
  intervalSeconds: number;
  callMs: number;
  log: (line: string) => void;
}): Promise<WebhookBenchResult> {
  // Exact's limits on: the runs are paced as they would be at Exact. Plain-HTTP callbacks: the server is local.
  const sandbox = { autoApprove: true, seed: 23, divisions: 1, scale: 300, webhooks: { allowHttp: true } };
  const env = {
    EXACT_WEBHOOK_SECRET: SANDBOX_WEBHOOK_SECRET,
    WEBHOOK_MIN_INTERVAL_SECONDS: String(o.intervalSeconds),
  };
  return withSandboxServer({ label: 'webhooks', sandbox, env }, async ({ db, sb, base, admin }) => {
    const api = apiOf(base, admin);
    const id = await connect(base, admin);
    const division = sb.sandbox.divisions[0]!.code;
    const ctx: Ctx = { api, pool: db.pool, sb, id, division, random: seeded(5) };
    await onlyDayTables(ctx);
    o.log('first sync of the five tables');
    await syncAndWait(ctx);
    const day = typicalDay(o.changes);
    const busyChanges = medianQuarterHour(day);
    o.log(`polls: one with nothing changed, one with ${busyChanges} changes (the median busy quarter hour)`);
    const idle = await syncAndWait(ctx);
    for (let i = 0; i < busyChanges; i++) change(ctx, DAY_TABLES[i % DAY_TABLES.length]!.entity);
    const busy = { ...(await syncAndWait(ctx)), changes: busyChanges };
    const on = await api('PUT', `/connections/${id}/webhooks`, { enabled: true });
    if (on.status !== 200) throw new Error(`near-real-time did not turn on: ${JSON.stringify(on.body)}`);
    const from = busiestStretch(day, o.minutes);
    const slice = day.filter((c) => c.at >= from && c.at < from + o.minutes * 60_000);
    o.log(`replaying ${clock(from)} + ${o.minutes} minutes of the day at real speed: ${slice.length} changes`);
    const measured = await replay(ctx, slice, from);
    // The model, given how long a webhook run took here (its calls to the local sandbox included).
    const localCost: RunCost = { extraCalls: 0, overheadMs: measured.runMs, callMs: 0 };
    const modelled = webhookDay(
      slice.map((c) => ({ ...c, at: c.at - from })),
      o.intervalSeconds,
      localCost,
      0,
    );
    const extraCalls = idle.calls - DAY_TABLES.length;
    const days = [o.changes, Math.round(o.changes / 4)].map((n) =>
      dayRows(typicalDay(n), n, { extraCalls, overheadMs: measured.runMs, callMs: o.callMs }, o.intervalSeconds),
    );
    return {
      intervalSeconds: o.intervalSeconds,
      polls: { idle, busy },
      slice: { from: clock(from), minutes: o.minutes, changes: slice.length, measured, modelled },
      days,
    };
  });
}

type Api = (method: string, url: string, body?: unknown) => Promise<{ status: number; body: any }>;

interface Ctx {
  api: Api;
  pool: pg.Pool;
  sb: RunningSandbox;
  id: number;
  division: number;
  random: () => number;
}

function apiOf(base: string, key: string): Api {
  return async (method, url, body) => {
    const res = await fetch(`${base}/api/v1${url}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json() };
  };
}

/** The connection syncs the day's five tables and nothing else (besides `deleted`, which every poll reads). */
async function onlyDayTables(ctx: Ctx): Promise<void> {
  const { body } = await ctx.api('GET', `/connections/${ctx.id}/tables`);
  const wanted = new Set(DAY_TABLES.map((t) => t.table));
  for (const t of body.tables as { name: string; enabled: boolean; required: boolean }[]) {
    if (t.required || t.enabled === wanted.has(t.name)) continue;
    const res = await ctx.api('PATCH', `/connections/${ctx.id}/tables/${t.name}`, { enabled: wanted.has(t.name) });
    if (res.status !== 200) throw new Error(`table ${t.name}: ${JSON.stringify(res.body)}`);
  }
}

/** "Sync now" of the connection, waited for: the run's calls and wall time. */
async function syncAndWait(ctx: Ctx): Promise<RunMeasured> {
  const since = new Date();
  const start = await ctx.api('POST', `/connections/${ctx.id}/sync`, {});
  const started: number[] = start.body.started ?? [];
  if (started.length !== 1) throw new Error(`sync did not start: ${JSON.stringify(start.body)}`);
  for (;;) {
    const [run] = await newestRunsSince(ctx.pool, ctx.id, started, since);
    if (run && run.status !== 'running') {
      if (run.status !== 'succeeded') throw new Error(`the run ${run.status}: ${run.message}`);
      const info = await getRun(ctx.pool, run.runId);
      return { calls: info.apiCalls, ms: info.finishedAt!.getTime() - info.startedAt.getTime() };
    }
    await pause(200);
  }
}

/** A change in the sandbox to a random record of `entity` (its audit fields change; the sandbox reports it). */
function change(ctx: Ctx, entity: string): void {
  const table = ctx.sb.sandbox.table(ctx.division, entity);
  const row = table.get(Math.floor(ctx.random() * table.size))!;
  ctx.sb.sandbox.update(ctx.division, entity, String(row.ID ?? row.OrderID ?? row.InvoiceID), {});
}

const ENTITY = new Map(DAY_TABLES.map((t) => [t.table, t.entity]));

/** The changes of [from, …) made at their times from now on; then until every event was acted on. */
async function replay(
  ctx: Ctx,
  slice: readonly Change[],
  from: number,
): Promise<WebhookBenchResult['slice']['measured']> {
  const t0 = Date.now();
  const since = new Date();
  for (const c of slice) {
    await pause(t0 + (c.at - from) - Date.now());
    change(ctx, ENTITY.get(c.table)!);
  }
  const runs = async () =>
    (await listRuns(ctx.pool, { connectionId: ctx.id, limit: 1000 })).filter((r) => r.startedAt >= since);
  for (let quiet = 0; quiet < 3;) {
    await pause(1000);
    const pending = (await pendingWebhookEvents(ctx.pool, ctx.division)).length;
    quiet = pending + (await runs()).filter((r) => r.status === 'running').length ? 0 : quiet + 1;
  }
  const hooked = (await runs()).filter((r) => r.trigger === 'webhook');
  const ms = hooked.reduce((sum, r) => sum + r.finishedAt!.getTime() - r.startedAt.getTime(), 0);
  const measured = {
    calls: hooked.reduce((sum, r) => sum + r.apiCalls, 0),
    runs: hooked.length,
    runMs: Math.round(ms / Math.max(1, hooked.length)),
  };
  const state = await ctx.api('GET', `/connections/${ctx.id}/webhooks`);
  return { ...measured, lag: state.body.events.lagSeconds };
}

/** The start of the `minutes` (whole minutes) with the most changes: the model's coalescing is put to the test. */
function busiestStretch(day: readonly Change[], minutes: number): number {
  let best = 0;
  let most = -1;
  for (let start = 0; start + minutes * 60_000 <= 24 * HOUR; start += 60_000) {
    const n = day.filter((c) => c.at >= start && c.at < start + minutes * 60_000).length;
    if (n > most) [best, most] = [start, n];
  }
  return best;
}

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** The changes of the median quarter hour between 08:00 and 18:00 that had any. */
function medianQuarterHour(day: readonly Change[]): number {
  const counts = new Map<number, number>();
  for (const c of day)
    if (c.at >= 8 * HOUR && c.at < 18 * HOUR)
      counts.set(Math.floor(c.at / 900_000), (counts.get(Math.floor(c.at / 900_000)) ?? 0) + 1);
  const sorted = [...counts.values()].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function dayRows(day: Change[], changes: number, cost: RunCost, intervalSeconds: number) {
  const webhookCost = { ...cost, extraCalls: 0 };
  return {
    changes,
    callMs: cost.callMs,
    rows: [
      { label: 'polling every 15 minutes', outcome: pollDay(day, 15, cost) },
      { label: 'polling every 5 minutes', outcome: pollDay(day, 5, cost) },
      ...[0, intervalSeconds, 2 * intervalSeconds, 5 * intervalSeconds]
        .filter((s, i, all) => all.indexOf(s) === i)
        .map((s) => ({
          label: `webhooks, runs ${s === 0 ? 'a second after each event' : `at most every ${s} s`}${s === intervalSeconds ? ' (the setting)' : ''}`,
          outcome: webhookDay(day, s, webhookCost),
        })),
    ],
  };
}
