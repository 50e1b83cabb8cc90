/**
 * The Exact client's decisions as pure functions of plain data: when to refresh a token, what a token
 * error means, how long to wait after a response's rate-limit headers, whether to retry a failure.
 * The code around them does the I/O (docs/exact-online.md 1-3 give the facts behind each rule).
 */

/** Exact refuses refreshes earlier than 570 s into a 600 s token: refresh in the last 30 s, never before. */
export const REFRESH_WINDOW_MS = 30_000;

/** Exact refuses a refresh in the first 570 s of a token's 600 (docs/exact-online.md 1.2). */
export const EARLIEST_REFRESH_MS = 570_000;

export type TokenAction = 'use' | 'refresh';

export function tokenAction(expiresAt: number | null, now: number): TokenAction {
  return expiresAt !== null && expiresAt - now > REFRESH_WINDOW_MS ? 'use' : 'refresh';
}

export type TokenErrorKind =
  /** The chain is gone: only a new consent helps (never retry). */
  | 'reauth'
  /** Refused because the current token is not old enough: keep using it. */
  | 'too_early'
  /** The app's id or secret is wrong: a configuration problem. */
  | 'bad_client'
  /** Worth another try later. */
  | 'transient';

/** What an error answer of /api/oauth2/token means (docs/exact-online.md 1.3, 1.2, 12). */
export function classifyTokenError(
  status: number,
  body: { error?: string; error_description?: string } | undefined,
): TokenErrorKind {
  const description = body?.error_description ?? '';
  if (/access_token not expired/i.test(description)) return 'too_early';
  if (/old refresh token used/i.test(description)) return 'reauth';
  if (body?.error === 'invalid_grant' || body?.error === 'unauthorized_client') return 'reauth';
  // "Rate limit exceeded: maximum of 200 token requests per day" and the like: tomorrow it works again.
  if (/rate limit exceeded/i.test(description)) return 'transient';
  if (/refresh token expired/i.test(description)) return 'reauth';
  if (status >= 500 || status === 429 || status === 0) return 'transient';
  if (status === 400 && body?.error === 'invalid_request' && description === '') return 'bad_client';
  if (status === 400 || status === 401) return 'reauth';
  return 'transient';
}

/** What a person is told when a connection needs a new consent. */
export function reauthMessage(description: string | undefined): string {
  const why = description ? ` (Exact said: "${description}")` : '';
  return `Exact refused the refresh token${why}: the connection must be made again. Reconnect it at /connect/exact.`;
}

export interface RateLimitState {
  minutelyRemaining?: number;
  minutelyReset?: number;
  dailyRemaining?: number;
  dailyReset?: number;
}

/**
 * Reads X-RateLimit-* (epoch ms resets) into the known state. Absent headers leave the previous values
 * (a 429 carries only one kind). Answers can arrive out of order when calls overlap, so within one window
 * the remaining count only goes down, and an answer from an older window changes nothing.
 */
export function readRateLimitHeaders(
  get: (name: string) => string | null,
  previous: RateLimitState = {},
): RateLimitState {
  const num = (name: string) => {
    const v = get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const merge = (
    remaining: number | undefined,
    reset: number | undefined,
    prevRemaining: number | undefined,
    prevReset: number | undefined,
  ) => {
    if (remaining === undefined) return { remaining: prevRemaining, reset: prevReset };
    if (reset === undefined || prevReset === undefined || reset > prevReset)
      return { remaining, reset: reset ?? prevReset };
    if (reset === prevReset) return { remaining: Math.min(remaining, prevRemaining ?? remaining), reset };
    return { remaining: prevRemaining, reset: prevReset };
  };
  const m = merge(
    num('x-ratelimit-minutely-remaining'),
    num('x-ratelimit-minutely-reset'),
    previous.minutelyRemaining,
    previous.minutelyReset,
  );
  const d = merge(num('x-ratelimit-remaining'), num('x-ratelimit-reset'), previous.dailyRemaining, previous.dailyReset);
  const out: RateLimitState = {};
  if (m.remaining !== undefined) out.minutelyRemaining = m.remaining;
  if (m.reset !== undefined) out.minutelyReset = m.reset;
  if (d.remaining !== undefined) out.dailyRemaining = d.remaining;
  if (d.reset !== undefined) out.dailyReset = d.reset;
  return out;
}

/**
 * The known budget after an answer: its headers merged in (decisions.ts readRateLimitHeaders), and then
 * the calls still in flight taken off what the answer says is left. They were sent before this answer
 * was made and may not be in its count; a call sent at the end of one window can even be counted in the
 * next, after that window's first answer. Counting them as spent can only make the pacer wait a little
 * early; not counting them spends more than the window has (a 429 under load).
 */
export function afterAnswer(
  known: RateLimitState,
  get: (name: string) => string | null,
  inflight: number,
): RateLimitState {
  const merged = readRateLimitHeaders(get, known);
  const said = (name: string) => {
    const v = get(name);
    return v === null || v === '' || !Number.isFinite(Number(v)) ? undefined : Number(v);
  };
  // Only an answer from the window the pacer now counts in says anything about it.
  const minutely = said('x-ratelimit-minutely-remaining');
  if (
    minutely !== undefined &&
    merged.minutelyRemaining !== undefined &&
    said('x-ratelimit-minutely-reset') === merged.minutelyReset
  )
    merged.minutelyRemaining = Math.max(0, Math.min(merged.minutelyRemaining, minutely - inflight));
  const daily = said('x-ratelimit-remaining');
  if (daily !== undefined && merged.dailyRemaining !== undefined && said('x-ratelimit-reset') === merged.dailyReset)
    merged.dailyRemaining = Math.max(0, Math.min(merged.dailyRemaining, daily - inflight));
  return merged;
}

/** A margin after a reset, as clients that hit fewer 429s use (PICQER waits 1 s). */
export const RESET_MARGIN_MS = 1000;

export type PaceDecision = { kind: 'go' } | { kind: 'wait'; ms: number } | { kind: 'daily_limit'; resetsAt: number };

/**
 * Before a call: go, wait for the minute window to reset, or stop for the day. A reset in the past
 * (clock skew) is a go; waits are never negative.
 */
export function paceDecision(state: RateLimitState, now: number, marginMs: number = RESET_MARGIN_MS): PaceDecision {
  if (
    state.dailyRemaining !== undefined &&
    state.dailyRemaining <= 0 &&
    state.dailyReset !== undefined &&
    state.dailyReset > now
  ) {
    return { kind: 'daily_limit', resetsAt: state.dailyReset };
  }
  if (
    state.minutelyRemaining !== undefined &&
    state.minutelyRemaining <= 0 &&
    state.minutelyReset !== undefined &&
    state.minutelyReset + marginMs > now
  ) {
    return { kind: 'wait', ms: state.minutelyReset - now + marginMs };
  }
  return { kind: 'go' };
}

export type RetryDecision = { retry: true; waitMs: number } | { retry: false };

export const MAX_ATTEMPTS = 6;

/**
 * After a failed call (HTTP status, or 0 for a network error): retry 429, 5xx and network errors with
 * exponential backoff (0.5 s, 1 s, 2 s, … capped at 30 s, ±20 % jitter from `random`); a 429 waits for its
 * reset instead. Other 4xx are answers, not accidents: no retry.
 */
export function retryDecision(
  attempt: number,
  status: number,
  state: RateLimitState,
  now: number,
  random: number,
): RetryDecision {
  if (attempt >= MAX_ATTEMPTS) return { retry: false };
  if (status === 429) {
    const pace = paceDecision(state, now);
    if (pace.kind === 'daily_limit') return { retry: false };
    if (pace.kind === 'wait') return { retry: true, waitMs: pace.ms };
  } else if (!(status === 0 || status >= 500)) {
    return { retry: false };
  }
  const base = Math.min(30_000, 500 * 2 ** (attempt - 1));
  return { retry: true, waitMs: Math.round(base * (0.8 + 0.4 * random)) };
}

/**
 * What a call does after its `count`-th 401 (docs/exact-online.md 1.2): first a short pause (a token can be
 * refused for a while right after a refresh, or expire on the way); then, for a token old enough to be
 * refreshed, one refresh; for a token Exact would refuse to refresh ("too early", it is still valid), one
 * back-off of 30–60 s with the same token, never marking it expired; then the call fails.
 */
export type UnauthorizedStep = { kind: 'pause'; ms: number } | { kind: 'refresh' } | { kind: 'give_up' };

export function unauthorizedStep(
  count: number,
  token: 'too_young' | 'refreshable',
  done: { refreshed: boolean; backedOff: boolean },
  random: number,
): UnauthorizedStep {
  if (count === 1) return { kind: 'pause', ms: 2000 };
  if (token === 'too_young' && !done.backedOff) return { kind: 'pause', ms: 30_000 + Math.floor(random * 30_000) };
  if (token === 'refreshable' && !done.refreshed) return { kind: 'refresh' };
  return { kind: 'give_up' };
}

/**
 * The field a 400 says the endpoint does not have, in either of Exact's phrasings (docs/exact-online.md
 * 13): `Type 'X' does not have a property named 'F'.` and `Property 'F' does not exist on type 'X'.`;
 * undefined for any other message.
 */
export function missingProperty(message: string): string | undefined {
  const m =
    /does not have a property named '([^']+)'/.exec(message) ??
    /Property '([^']+)' does not exist on type/.exec(message);
  return m?.[1];
}
