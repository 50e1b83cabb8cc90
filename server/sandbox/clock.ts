/**
 * The sandbox's clock. Sandbox time runs `timeScale` times faster than real time (30: a sandbox minute
 * lasts 2 real seconds) and can be moved forward by tests, so tokens expire and rate-limit windows reset
 * without waiting. Everything time-dependent in the sandbox reads this clock, never Date.now().
 */
export interface SandboxClock {
  /** Sandbox time in epoch ms (UTC). */
  now(): number;
  advance(ms: number): void;
  set(epochMs: number): void;
  readonly timeScale: number;
  /** Real milliseconds for a span of sandbox milliseconds. */
  toRealMs(sandboxMs: number): number;
  /**
   * The real moment (epoch ms) at which sandbox time reaches `sandboxEpochMs`, as things stand: a pure
   * function of the clock's setting, so the same instant maps to the same real time whenever it is asked.
   */
  toRealEpoch(sandboxEpochMs: number): number;
}

export function createClock(
  options: { start?: number; timeScale?: number; realNow?: () => number } = {},
): SandboxClock {
  const realNow = options.realNow ?? Date.now;
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('timeScale must be > 0');
  let realBase = realNow();
  let base = options.start ?? realBase;
  return {
    timeScale,
    now: () => base + (realNow() - realBase) * timeScale,
    advance(ms) {
      base += ms;
    },
    set(epochMs) {
      realBase = realNow();
      base = epochMs;
    },
    toRealMs: (sandboxMs) => sandboxMs / timeScale,
    toRealEpoch: (sandboxEpochMs) => realBase + (sandboxEpochMs - base) / timeScale,
  };
}
