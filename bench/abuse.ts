import { readFileSync } from 'node:fs';
import type pg from 'pg';
import { createApiKey } from '../server/auth/apiKeys.ts';
import type { startSandbox } from '../server/sandbox/index.ts';
import { connect, withSandboxServer } from './sandboxServer.ts';
import { newestRunsSince } from '../server/state/runs.ts';

/**
 * `bench abuse`: minutes of mixed traffic from read keys against `exact-sync serve` (its own process)
 * while full syncs of a sandbox run one after the other: normal queries and table pages (which must all
 * answer), downloads cut off after the first bytes, slow readers, results with a 20 MB value, advisory
 * lock attempts, wrong keys. Samples the server's memory and PostgreSQL's connections every 5 s; at the
 * end the last sync must have finished and the warehouse must hold what the sandbox holds.
 */

export interface AbuseResult {
  minutes: number;
  syncs: { finished: number; failed: number };
  traffic: Record<string, { requests: number; statuses: Record<string, number> }>;
  normalFailures: number;
  normalSlowestMs: number;
  rssMb: { first: number; last: number; max: number; perMinute: number[] };
  connections: { maxTotal: number; maxIdleInTransaction: number; last: number };
  warehouseEqualsSandbox: boolean;
  detail: string[];
}

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

interface Ctx {
  base: string;
  keys: { admin: string; read: string[] };
  until: number;
  traffic: AbuseResult['traffic'];
  normal: { failures: number; slowestMs: number };
}

function record(ctx: Ctx, kind: string, status: number | string): void {
  const t = (ctx.traffic[kind] ??= { requests: 0, statuses: {} });
  t.requests++;
  t.statuses[String(status)] = (t.statuses[String(status)] ?? 0) + 1;
}

const query = (ctx: Ctx, key: string, body: object, signal?: AbortSignal) =>
  fetch(`${ctx.base}/api/v1/query`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BIG = 'SELECT t.*, g FROM transactionlines t, generate_series(1, 20) g';

/** The kinds of traffic, each a loop until the end. */
const WORKERS: Record<string, (ctx: Ctx, key: string) => Promise<void>> = {
  async normal(ctx, key) {
    const started = performance.now();
    const res =
      Math.random() < 0.5
        ? await query(ctx, key, {
            sql: 'SELECT division, count(*) AS n, sum(amountdc) AS total FROM transactionlines GROUP BY 1',
          })
        : await fetch(`${ctx.base}/api/v1/tables/glaccounts/rows?limit=200`, {
            headers: { Authorization: `Bearer ${key}` },
          });
    await res.arrayBuffer();
    record(ctx, 'normal', res.status);
    if (res.status !== 200) ctx.normal.failures++;
    ctx.normal.slowestMs = Math.max(ctx.normal.slowestMs, performance.now() - started);
    await pause(50);
  },
  async aborted(ctx, key) {
    const abort = new AbortController();
    const format = ['csv', 'json', 'ndjson'][Math.floor(Math.random() * 3)]!;
    const body = Math.random() < 0.5 ? { sql: BIG, format } : { sql: `${BIG} WHERE g > $1`, params: [0], format };
    try {
      const res = await query(ctx, key, body, abort.signal);
      const reader = res.body!.getReader();
      await reader.read();
      record(ctx, 'aborted download', res.status);
    } catch (err) {
      record(ctx, 'aborted download', (err as Error).name);
    }
    abort.abort();
    await pause(100);
  },
  async slow(ctx, key) {
    const abort = new AbortController();
    try {
      const res = await query(ctx, key, { sql: BIG, format: 'csv' }, abort.signal);
      const reader = res.body!.getReader();
      const end = Date.now() + 3000;
      while (Date.now() < end && !(await reader.read()).done) await pause(250);
      record(ctx, 'slow reader', res.status);
    } catch (err) {
      record(ctx, 'slow reader', (err as Error).name);
    }
    abort.abort();
  },
  async oversized(ctx, key) {
    const res = await query(ctx, key, { sql: "SELECT repeat('x', 20000000) AS v", format: 'ndjson' });
    await res.arrayBuffer();
    record(ctx, 'oversized value', res.status);
    await pause(1000);
  },
  async locks(ctx, key) {
    const res = await query(ctx, key, { sql: 'SELECT pg_advisory_lock(1), pg_sleep(5)' });
    await res.arrayBuffer();
    record(ctx, 'advisory lock', res.status);
    await pause(500);
  },
  async wrongKey(ctx) {
    const res = await query(ctx, 'esk_wrong', { sql: 'SELECT 1' });
    await res.arrayBuffer();
    record(ctx, 'wrong key', res.status);
    await pause(200);
  },
};

async function loop(ctx: Ctx, kind: string, key: string): Promise<void> {
  while (Date.now() < ctx.until) {
    await WORKERS[kind]!(ctx, key).catch((err: unknown) => record(ctx, kind, `error: ${(err as Error).message}`));
  }
}

/** Full syncs one after the other until the end; answers how many runs succeeded and failed. */
async function syncLoop(ctx: Ctx, pool: pg.Pool, id: number, log: (l: string) => void) {
  const counts = { finished: 0, failed: 0 };
  let logged = Date.now();
  do {
    const res = await fetch(`${ctx.base}/api/v1/connections/${id}/sync`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ctx.keys.admin}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ full: true }),
    });
    const start = (await res.json()) as { started?: number[]; requestedAt?: string };
    const started = start.started ?? [];
    for (;;) {
      const runs = await newestRunsSince(pool, id, started, new Date(start.requestedAt ?? 0));
      const done = runs.filter((r) => r.status !== 'running' && r.status !== 'interrupted');
      if (done.length === started.length) {
        for (const r of done) counts[r.status === 'succeeded' ? 'finished' : 'failed']++;
        break;
      }
      await pause(500);
    }
    if (Date.now() - logged > 60_000 || Date.now() >= ctx.until) {
      logged = Date.now();
      log(`syncs so far: ${counts.finished} division runs succeeded, ${counts.failed} failed`);
    }
  } while (Date.now() < ctx.until);
  return counts;
}

async function warehouseEqualsSandbox(
  pool: pg.Pool,
  sb: Awaited<ReturnType<typeof startSandbox>>,
  detail: string[],
): Promise<boolean> {
  let equal = true;
  for (const d of sb.sandbox.divisions) {
    for (const [table, entity] of [
      ['transactionlines', 'TransactionLines'],
      ['glaccounts', 'GLAccounts'],
      ['accounts', 'Accounts'],
    ] as const) {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM exact_online.${table} WHERE division = $1`,
        [d.code],
      );
      const expected = sb.sandbox.table(d.code, entity).size;
      if (rows[0]!.n !== expected) equal = false;
      detail.push(`division ${d.code} ${table}: warehouse ${rows[0]!.n}, sandbox ${expected}`);
    }
  }
  return equal;
}

export async function runAbuse(o: { minutes: number; scale: number; log: (l: string) => void }): Promise<AbuseResult> {
  const sandbox = { autoApprove: true, seed: 22, divisions: 2, scale: o.scale, limits: false as const };
  return withSandboxServer({ label: 'abuse', sandbox, env: { QUERY_TIMEOUT_SECONDS: '10' } }, async (t) => {
    const read = await Promise.all(
      Array.from({ length: 6 }, (_, i) => createApiKey(t.db.pool, { name: `bench reader ${i}`, admin: false })),
    );
    const id = await connect(t.base, t.admin);
    const ctx: Ctx = {
      base: t.base,
      keys: { admin: t.admin, read: read.map((k) => k.key) },
      until: Date.now(),
      traffic: {},
      normal: { failures: 0, slowestMs: 0 },
    };
    o.log('first sync (before the traffic starts, so that there is data to query)');
    await syncLoop(ctx, t.db.pool, id, o.log);
    return trafficPhase(ctx, { pool: t.db.pool, id, sb: t.sb, pid: t.server.pid!, minutes: o.minutes, log: o.log });
  });
}

/** The minutes of traffic while syncs run, sampled every 5 s; then the checks. */
async function trafficPhase(
  ctx: Ctx,
  o: {
    pool: pg.Pool;
    id: number;
    sb: Awaited<ReturnType<typeof startSandbox>>;
    pid: number;
    minutes: number;
    log: (l: string) => void;
  },
): Promise<AbuseResult> {
  const samples: { rss: number; total: number; idleInTx: number }[] = [];
  const connections = `SELECT count(*)::int AS total, count(*) FILTER (WHERE state = 'idle in transaction')::int AS idle_in_tx
      FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`;
  ctx.until = Date.now() + o.minutes * 60_000;
  const sampler = setInterval(() => {
    void o.pool
      .query<{ total: number; idle_in_tx: number }>(connections)
      .then(({ rows }) => samples.push({ rss: rssMb(o.pid), total: rows[0]!.total, idleInTx: rows[0]!.idle_in_tx }));
  }, 5000);
  o.log(`${o.minutes} minutes of traffic from 6 read keys while full syncs run`);
  const kinds = ['normal', 'normal', 'aborted', 'slow', 'oversized', 'locks', 'wrongKey'];
  const [syncs] = await Promise.all([
    syncLoop(ctx, o.pool, o.id, o.log),
    ...kinds.map((k, i) => loop(ctx, k, ctx.keys.read[i % ctx.keys.read.length]!)),
  ]);
  clearInterval(sampler);
  await pause(15_000); // past the connection checks and the idle pools' timeouts
  const { rows: last } = await o.pool.query<{ total: number }>(connections);
  const detail: string[] = [];
  const equal = await warehouseEqualsSandbox(o.pool, o.sb, detail);
  const minute = Math.max(1, Math.floor(samples.length / o.minutes));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  return {
    minutes: o.minutes,
    syncs,
    traffic: ctx.traffic,
    normalFailures: ctx.normal.failures,
    normalSlowestMs: Math.round(ctx.normal.slowestMs),
    rssMb: {
      first: Math.round(median(samples.slice(0, minute).map((s) => s.rss))),
      last: Math.round(median(samples.slice(-minute).map((s) => s.rss))),
      max: Math.round(Math.max(...samples.map((s) => s.rss))),
      perMinute: Array.from({ length: Math.ceil(samples.length / minute) }, (_, i) =>
        Math.round(median(samples.slice(i * minute, (i + 1) * minute).map((s) => s.rss))),
      ),
    },
    connections: {
      maxTotal: Math.max(...samples.map((s) => s.total)),
      maxIdleInTransaction: Math.max(...samples.map((s) => s.idleInTx)),
      last: last[0]!.total,
    },
    warehouseEqualsSandbox: equal,
    detail,
  };
}
