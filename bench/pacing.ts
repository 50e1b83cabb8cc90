import { ExactClient, Pacer } from '../server/exact/client.ts';
import { startSandbox } from '../server/sandbox/index.ts';
import { consent } from './sandboxProcess.ts';

/**
 * How close the client runs to Exact's minutely limit without going over: `calls` GETs from `workers`
 * side by side against the sandbox at 60 calls a minute, its time running `timeScale` times faster.
 * The limit is per clock minute, so the fastest possible run sends the first 60 calls at once and the
 * last batch as soon as its minute begins: (time to the next whole minute) + (⌈calls ÷ 60⌉ − 2) minutes.
 * Reports the time in sandbox minutes, calls ÷ 60 (the figure the issue names), the ratio to the fastest
 * possible run, and the 429s (which must be none).
 */
export interface PacingResult {
  calls: number;
  minutes: number;
  /** calls ÷ minutely limit. */
  ideal: number;
  /** The fastest run the limit allows, given the minute the run started in. */
  fastest: number;
  ratio: number;
  throttled: number;
}

export async function runPacing(options: { calls: number; workers: number; timeScale: number }): Promise<PacingResult> {
  const sb = await startSandbox({
    autoApprove: true,
    scale: 100,
    divisions: 1,
    limits: { minutely: 60, daily: 100_000 },
    timeScale: options.timeScale,
  });
  try {
    const token = await consent(sb.url);
    const client = new ExactClient({
      baseUrl: sb.url,
      clientId: 'sandbox-client',
      tokens: {
        accessToken: async () => token.access_token,
        refreshedAt: () => undefined,
        invalidate: async () => 'too_young' as const,
      },
      // The usual 1 s margin after a reset, in sandbox time.
      pacer: new Pacer({ marginMs: 1000 / options.timeScale }),
    });
    const division = sb.sandbox.divisions[0]!.code;
    const started = sb.sandbox.clock.now();
    let left = options.calls;
    await Promise.all(
      Array.from({ length: options.workers }, async () => {
        while (left-- > 0) await client.get(division, 'financial/Journals', { $select: 'ID' });
      }),
    );
    const minutes = (sb.sandbox.clock.now() - started) / 60_000;
    const ideal = options.calls / 60;
    const fastest = (60_000 - (started % 60_000)) / 60_000 + Math.max(0, Math.ceil(options.calls / 60) - 2);
    const throttled = sb.sandbox.calls.filter((c) => c.status === 429).length;
    return { calls: options.calls, minutes, ideal, fastest, ratio: minutes / fastest, throttled };
  } finally {
    await sb.close();
  }
}
