import { benchPostgres } from './database.ts';
import { measureSync, type Measurement, type SandboxHandle } from './parallelDivisions.ts';
import { startSandboxProcess } from './sandboxProcess.ts';

/**
 * An accountancy firm's first sync (issue 24): `divisions` administrations, a few large and many small
 * (the sandbox's sizes: the largest has `scale` transaction lines, division k about scale ÷ (1 + 2k²),
 * so with 100 divisions and 100,000 lines: 100,000, 33,333, 11,111, 5,263, … and 90 under 1,000), every
 * table, Exact's limits on (60 calls a minute and 5,000 a day per division), sandbox time `timeScale`
 * times faster than real time.
 *
 * The sandbox runs in its own process, so this process is the sync's alone: the workers of one
 * scheduler (pg-boss jobs, `concurrency` side by side, as `serve` runs them), the engine and its pools.
 * Its peak memory and the cores it used are measured with the time. Two measurements, each on a fresh
 * database from the top of a sandbox minute: the largest division alone, and all of them.
 */
export interface ManyDivisionsResult {
  divisions: number;
  largestAlone: Measurement;
  all: Measurement;
  /** all ÷ largest alone, in sandbox minutes (target ≤ 1.2). */
  ratio: number;
}

export async function runManyDivisions(options: {
  divisions: number;
  scale: number;
  timeScale: number;
  concurrency: number;
  databaseUrl?: string;
  onMeasured?: (label: string, m: Measurement) => void;
}): Promise<ManyDivisionsResult> {
  const postgres = await benchPostgres(options.databaseUrl);
  const sandbox = await startSandboxProcess(options.scale, {
    divisions: options.divisions,
    timeScale: options.timeScale,
    seed: 7,
  });
  try {
    const handle = await processHandle(sandbox.url, options.timeScale);
    const listed = (await (await fetch(`${sandbox.url}/_sandbox/divisions`)).json()) as {
      code: number;
      counts: Record<string, number>;
    }[];
    const codes = listed
      .sort((a, b) => (b.counts.TransactionLines ?? 0) - (a.counts.TransactionLines ?? 0))
      .map((d) => d.code);
    const measure = async (label: string, which: number[]) => {
      const m = await measureSync(postgres, handle, which, options.concurrency, options.timeScale);
      options.onMeasured?.(label, m);
      return m;
    };
    const largestAlone = await measure('largest division alone', codes.slice(0, 1));
    const all = await measure(`all ${codes.length} divisions`, codes);
    return {
      divisions: codes.length,
      largestAlone,
      all,
      ratio: all.sandboxMinutes / largestAlone.sandboxMinutes,
    };
  } finally {
    sandbox.stop();
    await postgres.stop();
  }
}

/**
 * The sandbox in another process: its clock read once and then followed (it runs `timeScale` times
 * real time), its calls over its control routes.
 */
async function processHandle(url: string, timeScale: number): Promise<SandboxHandle> {
  const readClock = async () =>
    (
      (await (
        await fetch(`${url}/_sandbox/clock`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ advanceMs: 0 }),
        })
      ).json()) as { now: number }
    ).now;
  const real0 = performance.now();
  const sandbox0 = await readClock();
  return {
    url,
    now: () => sandbox0 + (performance.now() - real0) * timeScale,
    calls: async (since) =>
      (
        (await (await fetch(`${url}/_sandbox/calls?since=${since}`)).json()) as {
          status: number;
          division: number | null;
        }[]
      ).filter((c) => c.division !== null),
  };
}
