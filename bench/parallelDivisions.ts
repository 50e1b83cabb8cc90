import { connectionTokenStore } from '../server/state/tokens.ts';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { Pacer } from '../server/exact/client.ts';
import { TokenManager } from '../server/exact/tokens.ts';
import { createSecretBox } from '../server/lib/crypto.ts';
import { createLogger } from '../server/lib/logger.ts';
import { startSandbox, type RunningSandbox } from '../server/sandbox/index.ts';
import { DEFAULT_JOB_OPTIONS } from '../server/schedule/jobs.ts';
import { Scheduler } from '../server/schedule/scheduler.ts';
import { selectDivisions } from '../server/state/divisions.ts';
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
    const measure = async (label: string, codes: number[], concurrency: number) => {
      const m = await measureSync(postgres, sb, codes, concurrency, options.timeScale);
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

async function measureSync(
  postgres: BenchPostgres,
  sb: RunningSandbox,
  codes: number[],
  concurrency: number,
  timeScale: number,
): Promise<Measurement> {
  const db = await postgres.database();
  const sandboxNow = () => sb.sandbox.clock.now();
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
    const start = await scheduler.requestSync({ connectionId, divisions: codes, trigger: 'bench' });
    const runs = await scheduler.settled(start, 30 * 60_000);
    const failed = runs.filter((r) => r.status !== 'succeeded');
    if (failed.length) throw new Error(`runs did not succeed: ${JSON.stringify(failed)}`);
    const calls = sb.sandbox.calls.filter((c) => c.at >= t0 && c.division !== null);
    return {
      sandboxMinutes: (sandboxNow() - t0) / 60_000,
      realSeconds: (performance.now() - real0) / 1000,
      apiCalls: calls.length,
      throttled: calls.filter((c) => c.status === 429).length,
    };
  } finally {
    await scheduler.stop(1000);
    await db.drop();
  }
}
