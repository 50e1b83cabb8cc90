import { AppError } from '../server/lib/errors.ts';
import { availableParallelism, loadavg } from 'node:os';
import { machine } from './machine.ts';

const cpus = availableParallelism();

/** `exact-sync bench <name>`: runs one benchmark and prints what BENCHMARKS.md records. */

/** The options of `exact-sync bench` (server/cli.ts declares them), as commander hands them over. */
export type BenchOptions = {
  rows: string;
  scale: string;
  timeScale: string;
  minutes: string;
  divisions: string;
  concurrency: string;
  replay?: boolean;
  rounds: string;
  changes: string;
  interval: string;
  callMs: string;
};

const BENCHMARKS: Record<string, (options: BenchOptions) => Promise<void>> = {
  'sandbox-sync': (o) => rowBenchmark('sandbox-sync', o, sandboxSync),
  'sync-full': (o) => rowBenchmark('sync-full', o, (rows, p) => syncFull(rows, p, o.replay === true)),
  'sync-incremental': syncIncremental,
  pacing,
  'parallel-divisions': parallelDivisions,
  'many-divisions': manyDivisions,
  'query-stream': queryStream,
  abuse,
  webhooks,
};

async function webhooks(options: BenchOptions): Promise<void> {
  const changes = Number(options.changes);
  const minutes = Number(options.minutes);
  const intervalSeconds = Number(options.interval);
  const callMs = Number(options.callMs);
  const whole = (name: string, v: number, min: number, max: number, given: string) => {
    if (!Number.isInteger(v) || v < min || v > max)
      throw new AppError(
        'invalid_option',
        `--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(given)})`,
      );
  };
  whole('changes', changes, 10, 100_000, options.changes);
  whole('minutes', minutes, 1, 60, options.minutes);
  whole('interval', intervalSeconds, 0, 3600, options.interval);
  whole('call-ms', callMs, 0, 10_000, options.callMs);
  const { runWebhooks } = await import('./webhooks.ts');
  const r = await runWebhooks({
    changes,
    minutes,
    intervalSeconds,
    callMs,
    log: (l) => process.stdout.write(`  ${l}\n`),
  });
  const lag = (l: { median: number; p95: number } | null) =>
    l ? `lag median ${l.median.toFixed(1)} s, p95 ${l.p95.toFixed(1)} s` : 'no lag measured';
  const out = [
    `webhooks: WEBHOOK_MIN_INTERVAL_SECONDS=${r.intervalSeconds}; the real stack (sandbox with Exact's limits, a spawned serve)`,
    `  poll of the five tables, nothing changed:  ${r.polls.idle.calls} calls, ${r.polls.idle.ms} ms`,
    `  poll with ${r.polls.busy.changes} changes (median busy 1/4 h):   ${r.polls.busy.calls} calls, ${r.polls.busy.ms} ms`,
    `  replayed ${r.slice.from} + ${r.slice.minutes} min, ${r.slice.changes} changes through webhooks:`,
    `    measured: ${r.slice.measured.runs} runs, ${r.slice.measured.calls} calls, ${lag(r.slice.measured.lag)} (from arrival)`,
    `    model:    ${r.slice.modelled.runs} runs, ${r.slice.modelled.calls} calls, ${lag(r.slice.modelled.lag)}`,
    ...r.days.flatMap((d) => [
      `  the model's day: ${d.changes} changes in one division, ${d.callMs} ms per call to Exact assumed`,
      ...d.rows.map(
        (row) =>
          `    ${row.label.padEnd(58)} ${String(row.outcome.calls).padStart(5)} calls ${String(row.outcome.runs).padStart(5)} runs  ${lag(row.outcome.lag)}, max ${row.outcome.lag.max.toFixed(0)} s`,
      ),
    ]),
  ];
  process.stdout.write(`${out.join('\n')}\n  machine: ${machine()}\n`);
}

async function abuse(options: BenchOptions): Promise<void> {
  const minutes = Number(options.minutes);
  const scale = Number(options.scale);
  if (!(minutes > 0 && minutes <= 120))
    throw new AppError('invalid_option', `--minutes must be from 0 to 120 (got ${JSON.stringify(options.minutes)})`);
  if (!Number.isInteger(scale) || scale < 100)
    throw new AppError(
      'invalid_option',
      `--scale must be a whole number >= 100 (got ${JSON.stringify(options.scale)})`,
    );
  const { runAbuse } = await import('./abuse.ts');
  const r = await runAbuse({ minutes, scale, log: (l) => process.stdout.write(`  ${l}\n`) });
  const traffic = Object.entries(r.traffic)
    .map(
      ([kind, t]) => `    ${kind.padEnd(18)} ${String(t.requests).padStart(6)} requests: ${JSON.stringify(t.statuses)}`,
    )
    .join('\n');
  process.stdout.write(
    `abuse: ${r.minutes} minutes of read-key traffic while full syncs of 2 divisions (${scale} lines in the larger) run\n` +
      `${traffic}\n` +
      `  normal requests failed:   ${r.normalFailures} (slowest ${r.normalSlowestMs} ms)\n` +
      `  syncs:                    ${r.syncs.finished} finished, ${r.syncs.failed} failed; warehouse equals sandbox: ${r.warehouseEqualsSandbox}\n` +
      `  server RSS:               first minute ${r.rssMb.first} MB, last minute ${r.rssMb.last} MB, max ${r.rssMb.max} MB\n` +
      `  RSS median per minute:    ${r.rssMb.perMinute.join(', ')} MB\n` +
      `  PostgreSQL connections:   max ${r.connections.maxTotal}, max idle in transaction ${r.connections.maxIdleInTransaction}, 15 s after the end ${r.connections.last}\n` +
      `${r.detail.map((d) => `    ${d}`).join('\n')}\n` +
      `  machine:                  ${machine()}\n`,
  );
}

export async function runBench(name: string, options: BenchOptions): Promise<void> {
  const run = BENCHMARKS[name];
  if (!run)
    throw new AppError(
      'unknown_benchmark',
      `No benchmark named ${JSON.stringify(name)}. Available: ${Object.keys(BENCHMARKS).join(', ')}.`,
    );
  // Every benchmark says how busy the machine was when it started: a run on a busy machine is not comparable.
  process.stdout.write(`bench ${name}: load before ${loadavg()[0]!.toFixed(2)} (1-minute average), ${machine()}\n`);
  await run(options);
}

async function queryStream(options: BenchOptions): Promise<void> {
  const rows = Number(options.rows);
  if (!Number.isInteger(rows) || rows < 1)
    throw new AppError('invalid_option', `--rows must be a whole number >= 1 (got ${JSON.stringify(options.rows)})`);
  const rounds = Number(options.rounds);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20)
    throw new AppError(
      'invalid_option',
      `--rounds must be a whole number from 1 to 20 (got ${JSON.stringify(options.rounds)})`,
    );
  const { runQueryStream } = await import('./queryStream.ts');
  const r = await runQueryStream({
    rows,
    rounds,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    log: (l) => process.stdout.write(`  ${l}\n`),
  });
  const cpu = (c: { server?: number; postgres: number; client: number }) =>
    `CPU s: ${c.server !== undefined ? `server ${c.server.toFixed(1)}, ` : ''}PostgreSQL ${c.postgres.toFixed(1)}, client ${c.client.toFixed(1)}`;
  const show = (label: 'csv' | 'json' | 'ndjson', m: typeof r.csv) =>
    `  ${label.padEnd(6)} ${m.seconds.toFixed(2)} s (runs ${r.runs[label].map((x) => x.seconds.toFixed(2)).join(', ')}), ${m.rowsPerSecond.toLocaleString('en-US')} rows/s, ${m.megabytes} MB, ${m.ratio.toFixed(2)}x the floor, server RSS growth ${r.runs[label].map((x) => `+${x.serverRssPeakMb - x.serverRssBeforeMb}`).join(', ')} MB; ${cpu(m.cpu)}\n`;
  const floor = r.floors.find((f) => f.seconds === r.floorSeconds)!;
  process.stdout.write(
    `query-stream: ${rows.toLocaleString('en-US')} rows x 15 columns through POST /api/v1/query, ${r.rounds} rounds in shuffled order, a fresh server per format\n` +
      `  floor  ${r.floorSeconds.toFixed(2)} s median (runs ${r.floors.map((f) => f.seconds.toFixed(2)).join(', ')}; psql \\copy (query) to stdout csv); ${cpu(floor.cpu)}\n` +
      show('csv', r.csv) +
      show('json', r.json) +
      show('ndjson', r.ndjson) +
      `  targets (issue 24): csv <= 1.1x, json <= 1.5x, ndjson <= 2x, server RSS growth < 50 MB\n` +
      `  machine: ${machine()}\n`,
  );
}

async function parallelDivisions(options: BenchOptions): Promise<void> {
  const scale = Number(options.scale);
  const timeScale = Number(options.timeScale);
  if (!Number.isInteger(scale) || scale < 100)
    throw new AppError(
      'invalid_option',
      `--scale must be a whole number >= 100 (got ${JSON.stringify(options.scale)})`,
    );
  if (!(timeScale >= 1 && timeScale <= 60))
    throw new AppError(
      'invalid_option',
      `--time-scale must be from 1 to 60 (got ${JSON.stringify(options.timeScale)})`,
    );
  const { runParallelDivisions } = await import('./parallelDivisions.ts');
  const show = (m: { sandboxMinutes: number; realSeconds: number; apiCalls: number; throttled: number }) =>
    `${m.sandboxMinutes.toFixed(2)} Exact minutes (${m.realSeconds.toFixed(1)} s here), ${m.apiCalls} API calls, ${m.throttled} answered 429`;
  process.stdout.write(
    `parallel-divisions: 10 divisions, the largest with ${scale} transaction lines, 60 calls a minute per division, sandbox time ${timeScale}x\n`,
  );
  const r = await runParallelDivisions({
    scale,
    timeScale,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    onMeasured: (label, m) => process.stdout.write(`  ${`${label}:`.padEnd(38)}${show(m)}\n`),
  });
  process.stdout.write(
    `  divisions (lines):                    ${r.divisions.map((d) => d.lines).join(', ')}\n` +
      `  side by side / largest alone:         ${r.ratio.toFixed(3)} (target <= 1.3)\n` +
      `  one after the other / side by side:   ${(r.sequential.sandboxMinutes / r.parallel.sandboxMinutes).toFixed(2)}\n` +
      `  machine:                              ${machine()}\n`,
  );
}

/** A whole number within [min, max] from an option, or an invalid_option error naming it. */
function wholeOption(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new AppError(
      'invalid_option',
      `--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  return n;
}

async function manyDivisions(options: BenchOptions): Promise<void> {
  const divisions = wholeOption('divisions', options.divisions, 2, 500);
  const scale = wholeOption('scale', options.scale, 100, 10_000_000);
  const timeScale = wholeOption('time-scale', options.timeScale, 1, 60);
  const concurrency = wholeOption('concurrency', options.concurrency, 1, 100);
  const { runManyDivisions } = await import('./manyDivisions.ts');
  process.stdout.write(
    `many-divisions: ${divisions} divisions, the largest with ${scale} transaction lines, Exact's limits, sandbox time ${timeScale}x, ${concurrency} jobs side by side\n`,
  );
  const show = (m: import('./parallelDivisions.ts').Measurement) =>
    `${m.sandboxMinutes.toFixed(2)} Exact minutes (${m.realSeconds.toFixed(1)} s here), ${m.apiCalls} API calls, ${m.throttled} answered 429, peak RSS ${m.peakRssMb} MB, ${m.cores.toFixed(2)} cores; the largest started after ${m.first.startedAfter.toFixed(2)} and took ${m.first.took.toFixed(2)} Exact minutes`;
  const r = await runManyDivisions({
    divisions,
    scale,
    timeScale,
    concurrency,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
    onMeasured: (label, m) => process.stdout.write(`  ${`${label}:`.padEnd(26)}${show(m)}\n`),
  });
  process.stdout.write(
    `  all / largest alone:      ${r.ratio.toFixed(3)} (target <= 1.2; the sync process under 500 MB and one core)\n` +
      `  machine:                  ${machine()}\n`,
  );
}

async function pacing(): Promise<void> {
  const { runPacing } = await import('./pacing.ts');
  const r = await runPacing({ calls: 600, workers: 4, timeScale: 30 });
  process.stdout.write(
    `pacing: ${r.calls} calls from 4 workers at 60 a minute (sandbox time 30x)\n` +
      `  took:               ${r.minutes.toFixed(2)} sandbox minutes (calls / limit: ${r.ideal.toFixed(2)}; fastest the limit allows from this start: ${r.fastest.toFixed(2)})\n` +
      `  ratio:              ${r.ratio.toFixed(3)}x the fastest possible\n` +
      `  429 answers:        ${r.throttled}\n` +
      `  machine:            ${machine()}\n`,
  );
}

/** A benchmark over `--rows` transaction lines, with a progress bar. */
async function rowBenchmark(
  name: string,
  options: BenchOptions,
  run: (rows: number, onProgress: (n: number) => void) => Promise<string>,
): Promise<void> {
  const rows = Number(options.rows);
  if (!Number.isInteger(rows) || rows < 2)
    throw new AppError('invalid_option', `--rows must be a whole number >= 2 (got ${JSON.stringify(options.rows)})`);
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar(
    { format: `${name} [{bar}] {value}/{total} rows | {duration}s`, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(rows, 0);
  let report: string;
  try {
    report = await run(rows, (n: number) => bar.update(n));
  } finally {
    bar.stop();
  }
  process.stdout.write(report);
}

async function sandboxSync(rows: number, onProgress: (n: number) => void): Promise<string> {
  const { runSandboxSync } = await import('./sandboxSync.ts');
  const result = await runSandboxSync({ rows, onProgress });
  return (
    `sandbox-sync: ${result.rows} transaction lines in ${result.pages} pages through sync/Financial/TransactionLines\n` +
    `  wall time:          ${result.seconds.toFixed(1)} s (${result.rowsPerSecond} rows/s)\n` +
    `  sandbox peak RSS:   ${result.sandboxPeakRssMb} MB\n` +
    `  CPU time:           sandbox ${result.sandboxCpuSeconds.toFixed(1)} s, client ${result.clientCpuSeconds.toFixed(1)} s\n` +
    `  machine:            ${machine()}\n`
  );
}

async function syncFull(rows: number, onProgress: (n: number) => void, replay: boolean): Promise<string> {
  const { runSyncFull } = await import('./syncFull.ts');
  const result = await runSyncFull({
    rows,
    onProgress,
    replay,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  });
  const perMillion = (s: number | undefined) => (s === undefined ? '?' : ((s * 1e6) / result.rows).toFixed(1));
  return (
    `sync-full${replay ? ' --replay' : ''}: ${result.rows} transaction lines ${replay ? 'replayed (recorded from the sandbox first)' : 'from the sandbox'} into the warehouse\n` +
    `  sync:               ${result.syncSeconds.toFixed(1)} s (${result.rowsPerSecond} rows/s)\n` +
    `  COPY floor:         ${result.copySeconds.toFixed(1)} s (the same rows as CSV into an empty table)\n` +
    `  ratio:              ${result.ratio.toFixed(2)}x the floor\n` +
    `  peak RSS (sync):    ${result.peakRssMb} MB\n` +
    `  CPU during sync:    sync ${result.cpu.sync.toFixed(1)} s, sandbox ${result.cpu.sandbox?.toFixed(1) ?? '?'} s, PostgreSQL ${result.cpu.postgres?.toFixed(1) ?? '?'} s${result.cpu.replay !== undefined ? `, replay proxy ${result.cpu.replay.toFixed(1)} s` : ''} (${cpus} cores: ${(cpus * result.syncSeconds).toFixed(1)} s available)\n` +
    `  CPU per 1M rows:    engine ${perMillion(result.cpu.sync)} s, PostgreSQL ${perMillion(result.cpu.postgres)} s\n` +
    (result.replay
      ? `  replay:             ${result.replay.replayed} pages replayed (${result.replay.megabytes} MB), ${result.replay.forwarded} requests sent on to the sandbox\n`
      : '') +
    `  machine:            ${machine()}\n`
  );
}

async function syncIncremental(options: BenchOptions): Promise<void> {
  const rows = Number(options.rows);
  if (!Number.isInteger(rows) || rows < 1000)
    throw new AppError('invalid_option', `--rows must be a whole number >= 1000 (got ${JSON.stringify(options.rows)})`);
  const { runSyncIncremental } = await import('./syncIncremental.ts');
  const r = await runSyncIncremental({
    rows,
    ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
  });
  process.stdout.write(
    `sync-incremental: ${r.rows} transaction lines synced (${r.fullSeconds.toFixed(1)} s), then ${r.changed} changed and ${r.deleted} deleted in Exact\n` +
      `  next run:           ${r.run.seconds.toFixed(1)} s, ${r.run.cpuSeconds.toFixed(1)} s CPU, ${r.run.calls} calls (fewest possible: ${r.run.minimumCalls})\n` +
      `  nothing changed:    ${r.idle.seconds.toFixed(2)} s, ${r.idle.calls} calls (fewest possible: ${r.idle.minimumCalls})\n` +
      `  warehouse right:    ${r.warehouseRight ? 'yes' : 'NO'} (changed rows carry the change, deleted rows gone)\n` +
      `  machine:            ${machine()}\n`,
  );
}
