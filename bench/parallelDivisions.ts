import { connectionTokenStore } from '../server/state/tokens.ts';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Pacer } from '../server/exact/client.ts';
import { openPool, poolSizeFor } from '../server/db/pool.ts';
import { TokenManager } from '../server/exact/tokens.ts';
import { createSecretBox } from '../server/lib/crypto.ts';
import { createLogger } from '../server/lib/logger.ts';
import { startSandbox } from '../server/sandbox/index.ts';
import { DEFAULT_JOB_OPTIONS } from '../server/schedule/jobs.ts';
import { Scheduler } from '../server/schedule/scheduler.ts';
import { selectDivisions } from '../server/state/divisions.ts';
import { listRuns } from '../server/state/runs.ts';
import { createConnection, loadConnection } from '../server/state/connections.ts';
import { refreshDivisions } from '../server/sync/divisionList.ts';
import { benchPostgres, type BenchPostgres } from './database.ts';
import { consent } from './sandboxProcess.ts';

/**
 * Ten divisions of different sizes (the sandbox's: the largest has `scale` transaction lines, each next
 * one about a third to a half of the one before), first full sync of every table, through the real
 * worker path (pg-boss jobs, one per division) under Exact's limits of 60 calls a minute per division.
 * Sandbox time runs `timeScale` times faster than real time (its rate-limit resets are sent in real time,
 * token lifetimes are read on its clock), so the figures are in the minutes a real Exact would take.
 *
 * Three measurements, each on a fresh database and starting at the top of a sandbox minute (the limit
 * counts per clock minute): the largest division alone; all ten with 10 jobs side by side; all ten one
 * after the other (concurrency 1).
 */
export interface ParallelResult {
  divisions: { code: number; lines: number }[];
  largestAlone: Measurement;
  parallel: Measurement;
  sequential: Measurement;
  /** parallel ÷ largest alone (the target is ≤ 1.3). */
  ratio: number;
}

export interface Measurement {
  sandboxMinutes: number;
  realSeconds: number;
  apiCalls: number;
  throttled: number;
  /** This process (the workers' side: scheduler, engine, pools), sampled every 100 ms. */
  peakRssMb: number;
  /** CPU seconds of this process ÷ real seconds: how many cores the sync used. */
  cores: number;
  /** The first division's run (the largest): when a worker took it and how long it took, in Exact minutes. */
  first: { startedAfter: number; took: number };
}

/** What a measurement needs of the sandbox, in this process or another. */
export interface SandboxHandle {
  url: string;
  /** Sandbox time (epoch ms). */
  now(): number;
  /** Calls to a division's API from `since` (sandbox ms) on: their HTTP statuses. */
  calls(since: number): Promise<{ status: number }[]>;
}

const quiet = createLogger({
  level: 'error',
  format: 'json',
  destination: new Writable({
    write(_c, _e, cb) {
      cb();
    },
  }),
});

export async function runParallelDivisions(options: {
  scale: number;
  timeScale: number;
  databaseUrl?: string;
  onMeasured?: (label: string, m: Measurement) => void;
}): Promise<ParallelResult> {
  const postgres = await benchPostgres(options.databaseUrl);
  const sb = await startSandbox({
    seed: 7,
    divisions: 10,
    scale: options.scale,
    timeScale: options.timeScale,
    autoApprove: true,
    limits: { minutely: 60, daily: 100_000 },
  });
  try {
    const divisions = sb.sandbox.divisions
      .map((d) => ({ code: d.code, lines: d.lines }))
      .sort((a, b) => b.lines - a.lines);
    const handle: SandboxHandle = {
      url: sb.url,
      now: () => sb.sandbox.clock.now(),
      calls: async (since) => sb.sandbox.calls.filter((c) => c.at >= since && c.division !== null),
    };
    const measure = async (label: string, codes: number[], concurrency: number) => {
      const m = await measureSync(postgres, handle, codes, concurrency, options.timeScale);
      options.onMeasured?.(label, m);
      return m;
    };
    const largestAlone = await measure('largest division alone', [divisions[0]!.code], 10);
    const parallel = await measure(
      'ten divisions side by side',
      divisions.map((d) => d.code),
      10,
    );
    const sequential = await measure(
      'ten divisions one after the other',
      divisions.map((d) => d.code),
      1,
    );
    return {
      divisions,
      largestAlone,
      parallel,
      sequential,
      ratio: parallel.sandboxMinutes / largestAlone.sandboxMinutes,
    };
  } finally {
    await sb.close();
    await postgres.stop();
  }
}

/**
 * A first full sync of `codes` through the worker path (`concurrency` jobs side by side) on a fresh
 * database, from the top of a sandbox minute.
 */
export async function measureSync(
  postgres: BenchPostgres,
  sb: SandboxHandle,
  codes: number[],
  concurrency: number,
  timeScale: number,
): Promise<Measurement> {
  const database = await postgres.database();
  // The pool `serve` opens, not the benchmark's: its size is part of what is measured.
  const db = { ...database, pool: await openPool(database.url, { max: poolSizeFor(concurrency) }) };
  const sandboxNow = () => sb.now();
  const app = { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' };
  const tokens = new TokenManager({
    store: connectionTokenStore,
    pool: db.pool,
    box: createSecretBox(randomBytes(32)),
    app,
    now: sandboxNow,
  });
  // The sandbox puts real time on the wire in its rate-limit resets; the usual 1 s margin after a reset, in sandbox time.
  const pacer = new Pacer({ marginMs: 1000 / timeScale });
  const connectionId = await createConnection(db.pool, 'nl', sb.url);
  await tokens.saveTokens(db.pool, connectionId, await consent(sb.url));
  const deps = { pool: db.pool, tokens, pacer, clientId: app.clientId, log: quiet };
  await refreshDivisions(deps, await loadConnection(db.pool, connectionId), 0);
  await selectDivisions(db.pool, connectionId, { mode: 'selected', divisions: codes });
  const scheduler = await Scheduler.start(db.url, deps, {
    ...DEFAULT_JOB_OPTIONS,
    concurrency,
    pollingSeconds: 0.5,
    work: true,
    tick: false,
  });
  try {
    // Start at the top of a sandbox minute, as every measurement does: the limit counts per clock minute.
    await new Promise((r) => setTimeout(r, (60_000 - (sandboxNow() % 60_000)) / timeScale));
    const t0 = sandboxNow();
    const real0 = performance.now();
    const cpu0 = process.cpuUsage();
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    const requested = new Date();
    const start = await scheduler.requestSync({ connectionId, divisions: codes, trigger: 'bench' });
    const runs = await scheduler.settled(start, 60 * 60_000).finally(() => clearInterval(sampler));
    const sandboxMinutes = (sandboxNow() - t0) / 60_000;
    const realSeconds = (performance.now() - real0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const failed = runs.filter((r) => r.status !== 'succeeded');
    if (failed.length) throw new Error(`runs did not succeed: ${JSON.stringify(failed)}`);
    const calls = await sb.calls(t0);
    const [firstRun] = await listRuns(db.pool, { connectionId, division: codes[0]!, limit: 1 });
    const exactMinutes = (ms: number) => (ms * timeScale) / 60_000;
    return {
      sandboxMinutes,
      realSeconds,
      apiCalls: calls.length,
      throttled: calls.filter((c) => c.status === 429).length,
      peakRssMb: Math.round(peak / 2 ** 20),
      cores: (cpu.user + cpu.system) / 1e6 / realSeconds,
      first: {
        startedAfter: exactMinutes(firstRun!.startedAt.getTime() - requested.getTime()),
        took: exactMinutes(firstRun!.finishedAt!.getTime() - firstRun!.startedAt.getTime()),
      },
    };
  } finally {
    await scheduler.stop(1000);
    await db.pool.end();
    await database.drop();
  }
}
