/**
 * Exact's API rate limits per (app, division): a minutely budget in windows aligned to the clock minute
 * and a daily budget that resets at 00:00 UTC (docs/exact-online.md 3). A pure decision over a small state
 * object; the caller stores the state and writes the headers.
 */
export interface Limits {
  minutely: number;
  daily: number;
}

export interface Budget {
  minuteStart: number;
  minuteCount: number;
  dayStart: number;
  dayCount: number;
}

export type Decision =
  | { allowed: true; remaining: { minutely: number; daily: number }; reset: { minutely: number; daily: number } }
  | { allowed: false; kind: 'minutely' | 'daily'; reset: { minutely: number; daily: number } };

const MINUTE = 60_000;
const DAY = 86_400_000;

export function newBudget(): Budget {
  return { minuteStart: 0, minuteCount: 0, dayStart: 0, dayCount: 0 };
}

/** Counts one call at `now` (sandbox ms) against `budget` (mutated) unless a limit is reached. */
export function spend(budget: Budget, limits: Limits, now: number): Decision {
  const minuteStart = Math.floor(now / MINUTE) * MINUTE;
  const dayStart = Math.floor(now / DAY) * DAY;
  if (budget.minuteStart !== minuteStart) {
    budget.minuteStart = minuteStart;
    budget.minuteCount = 0;
  }
  if (budget.dayStart !== dayStart) {
    budget.dayStart = dayStart;
    budget.dayCount = 0;
  }
  const reset = { minutely: minuteStart + MINUTE, daily: dayStart + DAY };
  // The daily limit is checked first: when it is spent, waiting for the next minute does not help.
  if (budget.dayCount >= limits.daily) return { allowed: false, kind: 'daily', reset };
  if (budget.minuteCount >= limits.minutely) return { allowed: false, kind: 'minutely', reset };
  budget.minuteCount++;
  budget.dayCount++;
  return {
    allowed: true,
    remaining: { minutely: limits.minutely - budget.minuteCount, daily: limits.daily - budget.dayCount },
    reset,
  };
}

/**
 * The X-RateLimit-* headers for a decision. Resets are epoch milliseconds; `toWire` maps sandbox time to
 * the time on the wire (real time when the sandbox clock runs faster), so a client that waits until the
 * reset waits the right real duration. A 429 carries only the headers of the limit that was hit.
 */
export function rateLimitHeaders(
  d: Decision,
  limits: Limits,
  toWire: (sandboxMs: number) => number,
): Record<string, string> {
  const daily = {
    'X-RateLimit-Limit': String(limits.daily),
    'X-RateLimit-Remaining': String(d.allowed ? d.remaining.daily : 0),
    'X-RateLimit-Reset': String(Math.round(toWire(d.reset.daily))),
  };
  const minutely = {
    'X-RateLimit-Minutely-Limit': String(limits.minutely),
    'X-RateLimit-Minutely-Remaining': String(d.allowed ? d.remaining.minutely : 0),
    'X-RateLimit-Minutely-Reset': String(Math.round(toWire(d.reset.minutely))),
  };
  if (d.allowed) return { ...daily, ...minutely };
  return d.kind === 'daily' ? daily : minutely;
}
