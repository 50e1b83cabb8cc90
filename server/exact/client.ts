import type { Logger } from '../lib/logger.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import {
  afterAnswer,
  paceDecision,
  RESET_MARGIN_MS,
  retryDecision,
  unauthorizedStep,
  type RateLimitState,
} from './decisions.ts';
import { DailyLimitError, ExactApiError } from './errors.ts';
import { unwrapCollection, unwrapEntity, type CollectionPage, type ExactRow } from './values.ts';

/**
 * The Exact Online REST client: every call goes through the same pacing (rate-limit headers read on
 * every response, per app and division), retries (429, 5xx, network) and token handling. It knows Exact
 * only by its base URL; the sandbox is reached the same way.
 */

/** Rate-limit state per (app, division), shared by every client of one process. */
export class Pacer {
  private readonly states = new Map<string, RateLimitState>();
  private readonly probes = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  /** Calls sent and not yet answered, per budget. */
  private readonly inflight = new Map<string, number>();
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly marginMs: number | undefined;

  /** `marginMs`: how long after a reset to wait (1 s by default; less when time runs faster in the sandbox). */
  constructor(options: { now?: () => number; sleep?: (ms: number) => Promise<void>; marginMs?: number } = {}) {
    this.now = options.now ?? Date.now;
    this.marginMs = options.marginMs;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  state(key: string): RateLimitState {
    return this.states.get(key) ?? {};
  }

  /**
   * Waits until a call may go out, then counts it against the known budget at once, so callers running
   * side by side in this process do not all spend the last call of a minute.
   */
  /** Resolves to true when this call is the window's probe (the first one sent before anything is known). */
  async acquire(key: string, division: number): Promise<boolean> {
    for (;;) {
      // A window whose reset has passed (with the same margin waits use, against rounding and skew) is a
      // new window: nothing is known of it yet.
      const known = this.state(key);
      if (known.minutelyReset !== undefined && this.now() >= known.minutelyReset + (this.marginMs ?? RESET_MARGIN_MS)) {
        const { minutelyRemaining: _r, minutelyReset: _t, ...rest } = known;
        this.states.set(key, rest);
      }
      // Until a first answer has told what is left, calls go one at a time: several blind calls at
      // once could spend more than the window has.
      const probe = this.probes.get(key);
      if (probe && this.state(key).minutelyRemaining === undefined) {
        await probe.promise;
        continue;
      }
      const state = this.state(key);
      const isProbe = state.minutelyRemaining === undefined;
      if (isProbe) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        this.probes.set(key, { promise, resolve });
      }
      // While another call is the probe, the known count does not include it yet: keep a call for it.
      const reserved =
        probe && !isProbe && state.minutelyRemaining !== undefined
          ? { ...state, minutelyRemaining: state.minutelyRemaining - 1 }
          : state;
      const decision = paceDecision(reserved, this.now(), this.marginMs);
      if (decision.kind === 'daily_limit') throw new DailyLimitError(division, decision.resetsAt);
      if (decision.kind === 'wait') {
        await this.sleep(decision.ms);
        continue;
      }
      if (state.minutelyRemaining !== undefined)
        this.states.set(key, {
          ...state,
          minutelyRemaining: state.minutelyRemaining - 1,
          ...(state.dailyRemaining !== undefined ? { dailyRemaining: state.dailyRemaining - 1 } : {}),
        });
      this.inflight.set(key, (this.inflight.get(key) ?? 0) + 1);
      return isProbe;
    }
  }

  /**
   * After a call: what its answer said (if there was one). Only the probe's own answer ends the probe: a
   * late answer from the previous window must not let blind calls through, each of which would be one
   * call more than the window has at its end.
   */
  settle(key: string, headers: Headers | undefined, wasProbe: boolean): void {
    const others = Math.max(0, (this.inflight.get(key) ?? 1) - 1);
    this.inflight.set(key, others);
    if (headers)
      this.states.set(
        key,
        afterAnswer(this.state(key), (n) => headers.get(n), others),
      );
    const probe = this.probes.get(key);
    if (probe && wasProbe) {
      this.probes.delete(key);
      probe.resolve();
    }
  }

  sleepFor(ms: number): Promise<void> {
    return this.sleep(ms);
  }

  /** The clock the pacer reads rate-limit resets against (epoch ms). */
  clock(): number {
    return this.now();
  }
}

export interface TokenSource {
  /** A valid access token (refreshed when it is about to expire). */
  accessToken(): Promise<string>;
  /** When the current token was issued or refreshed (epoch ms), to recognise a 401 right after a refresh. */
  refreshedAt(): number | undefined;
  /**
   * Exact keeps refusing the token: treat it as expired, so the next call refreshes (or learns the chain is
   * gone) — unless it is too young to be refreshed, which the answer says.
   */
  invalidate(): Promise<'too_young' | 'invalidated'>;
}

export interface ExactClientOptions {
  baseUrl: string;
  clientId: string;
  tokens: TokenSource;
  pacer: Pacer;
  log?: Logger;
  fetch?: typeof fetch;
  now?: () => number;
  random?: () => number;
  /** Per-request time limit; a slow answer counts as a network error and is retried. */
  timeoutMs?: number;
}

export interface ExactResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface ClientStats {
  calls: number;
  retries: number;
}

const JSON_HEADERS = {
  Accept: 'application/json',
  'Content-Type': 'application/json',
  Prefer: 'return=representation',
};

export class ExactClient {
  private readonly o: Required<Omit<ExactClientOptions, 'log'>> & { log: Logger | undefined };
  readonly stats: ClientStats = { calls: 0, retries: 0 };

  constructor(options: ExactClientOptions) {
    this.o = {
      fetch: globalThis.fetch.bind(globalThis),
      // Retry waits are read against the same clock as the pacer's (the sandbox's, when its time runs faster).
      now: () => options.pacer.clock(),
      random: Math.random,
      timeoutMs: 120_000,
      log: undefined,
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ''),
    };
  }

  /**
   * `/api/v1/{division}/{path}` with query parameters, or an absolute `__next` URL as given, but only on
   * the connection's own Exact host: the bearer token goes with every call, and a link in an answer must
   * not be able to send it anywhere else (Exact's `__next` is always on the host asked, docs/exact-online.md).
   */
  url(division: number | null, pathOrUrl: string, params?: Record<string, string>): string {
    if (/^https?:\/\//i.test(pathOrUrl)) {
      const own = new URL(this.o.baseUrl).origin;
      let origin: string;
      try {
        origin = new URL(pathOrUrl).origin;
      } catch {
        origin = 'an unreadable address';
      }
      if (origin !== own)
        throw new AppError(
          'exact_foreign_link',
          `Exact's answer links to ${origin}, not to this connection's Exact host ${own}; exact-sync sends its token only there and stopped.`,
        );
      return pathOrUrl;
    }
    const base =
      division === null ? `${this.o.baseUrl}/api/v1/${pathOrUrl}` : `${this.o.baseUrl}/api/v1/${division}/${pathOrUrl}`;
    if (!params || Object.keys(params).length === 0) return base;
    // Exact's own links write $-options unescaped; both forms are accepted.
    return `${base}?${Object.entries(params)
      .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/g, ',').replace(/%27/g, "'")}`)
      .join('&')}`;
  }

  /**
   * One call with pacing and retries. `division` selects the rate-limit budget (null: the user's
   * current division, for current/Me). Returns the answer for 2xx; throws ExactApiError for the rest.
   * `once`: a call that must not be sent twice (a POST that creates): only a 429, which Exact answers
   * before doing anything, is retried; a network error or 5xx is thrown for the caller to check what
   * happened before trying again.
   */
  async request(
    method: string,
    division: number | null,
    pathOrUrl: string,
    options: {
      params?: Record<string, string>;
      body?: unknown;
      budgetDivision?: number;
      once?: boolean;
      raw?: boolean;
    } = {},
  ): Promise<ExactResponse> {
    const url = this.url(division, pathOrUrl, options.params);
    const budget = options.budgetDivision ?? division ?? 0;
    const key = `${this.o.clientId}:${budget}`;
    let unauthorized = 0;
    const afterRefusals = { refreshed: false, backedOff: false };
    for (let attempt = 1; ; attempt++) {
      const { res, networkError } = await this.send(method, url, key, budget, options.body);
      const status = res?.status ?? 0;
      if (res && status >= 200 && status < 300) {
        // raw: the bytes (attachment downloads), not JSON.
        if (options.raw) return { status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
        // A page is ~2 MB of text: Node makes it an external string (outside V8's heap), which keeps V8's own
        // heap from growing with dead pages (BENCHMARKS.md, sync-full).
        const text = await res.text();
        return { status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
      }
      const errorText = res ? await res.text().catch(() => '') : '';
      if (status === 401 && (await this.afterUnauthorized(url, ++unauthorized, afterRefusals))) continue;
      const decision = retryDecision(attempt, status, this.o.pacer.state(key), this.o.now(), this.o.random());
      if (status === 429) {
        const pace = paceDecision(this.o.pacer.state(key), this.o.now());
        if (pace.kind === 'daily_limit') throw new DailyLimitError(budget, pace.resetsAt);
      }
      if (decision.retry && (!options.once || status === 429)) {
        this.stats.retries++;
        this.o.log?.debug(
          {
            url: redactUrl(url),
            status,
            wait: decision.waitMs,
            attempt,
            err: networkError ? messageOf(networkError) : undefined,
          },
          'retrying Exact call',
        );
        await this.o.pacer.sleepFor(decision.waitMs);
        continue;
      }
      if (networkError) throw new ExactApiError(0, `no answer (${messageOf(networkError)})`, redactUrl(url));
      // A 403 may say why in a Reason header: BlockedUser, NoDivisionAccess, … (docs/exact-online.md 1.5).
      const reason = status === 403 ? res?.headers.get('reason') : null;
      const said = exactErrorMessage(errorText) ?? (errorText.slice(0, 200) || httpStatusText(status));
      throw new ExactApiError(status, reason ? `${said} (Reason: ${reason})` : said, redactUrl(url));
    }
  }

  /** One paced attempt: waits for the budget, sends with a fresh token, and reports the headers back. */
  private async send(
    method: string,
    url: string,
    key: string,
    budget: number,
    body: unknown,
  ): Promise<{ res: Response | undefined; networkError: unknown }> {
    const probe = await this.o.pacer.acquire(key, budget);
    let res: Response | undefined;
    let networkError: unknown;
    try {
      // Inside the try: a token that cannot be had must still end this call's probe.
      const token = await this.o.tokens.accessToken();
      this.stats.calls++;
      res = await this.o
        .fetch(url, {
          method,
          headers: { ...JSON_HEADERS, Authorization: `Bearer ${token}` },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(this.o.timeoutMs),
        })
        .catch((err: unknown) => {
          networkError = err;
          return undefined;
        });
    } finally {
      this.o.pacer.settle(key, res?.headers, probe);
    }
    return { res, networkError };
  }

  /**
   * What the `count`-th 401 of a call does (decisions.ts unauthorizedStep): true when the call is tried
   * again, false when it fails.
   */
  private async afterUnauthorized(
    url: string,
    count: number,
    done: { refreshed: boolean; backedOff: boolean },
  ): Promise<boolean> {
    const refreshed = this.o.tokens.refreshedAt();
    const where = {
      url: redactUrl(url),
      recentlyRefreshed: refreshed !== undefined && this.o.now() - refreshed < 120_000,
    };
    if (count === 1) {
      this.o.log?.warn(where, 'Exact answered 401; retrying after a pause');
      await this.o.pacer.sleepFor(2000);
      return true;
    }
    if (done.refreshed && done.backedOff) return false;
    const token = (await this.o.tokens.invalidate()) === 'too_young' ? 'too_young' : 'refreshable';
    const step = unauthorizedStep(count, token, done, this.o.random());
    if (step.kind === 'give_up') return false;
    if (step.kind === 'refresh') {
      // Still refused: a revoked consent looks like this. A refresh either works or tells that the chain is gone.
      this.o.log?.warn(where, 'Exact refused the access token again; refreshing it');
      done.refreshed = true;
      return true;
    }
    // A token Exact would not refresh yet is still valid: the same token again, after a while.
    this.o.log?.warn({ ...where, waitMs: step.ms }, 'Exact refused a fresh access token; trying it again later');
    done.backedOff = true;
    await this.o.pacer.sleepFor(step.ms);
    return true;
  }

  async get(division: number | null, pathOrUrl: string, params?: Record<string, string>): Promise<unknown> {
    return (await this.request('GET', division, pathOrUrl, params ? { params } : {})).body;
  }

  /** Every page of a collection, following `__next` verbatim until there is none. */
  async *pages(division: number, path: string, params?: Record<string, string>): AsyncGenerator<CollectionPage> {
    let next: string | undefined = this.url(division, path, params);
    while (next) {
      const page = unwrapCollection(await this.get(division, next), path);
      yield page;
      next = page.next;
    }
  }

  async me(budgetDivision?: number): Promise<ExactRow> {
    const res = await this.request('GET', null, 'current/Me', budgetDivision === undefined ? {} : { budgetDivision });
    return unwrapEntity(res.body, 'current/Me');
  }
}

/** `error.message.value` of Exact's error body, when there is one. */
export function exactErrorMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: { message?: { value?: unknown } | string } };
    const m = body.error?.message;
    if (typeof m === 'string') return m;
    if (m && typeof m.value === 'string') return m.value;
  } catch {
    // not JSON: the caller shows the text
  }
  return undefined;
}

function httpStatusText(status: number): string {
  return status === 0 ? 'no answer' : `HTTP ${status}`;
}

/** URLs in logs and errors without query values that could identify data (filters on names, subjects). */
function redactUrl(url: string): string {
  return url.split('?')[0]!;
}
