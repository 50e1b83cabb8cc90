import { describe, expect, it } from 'vitest';
import {
  afterAnswer,
  unauthorizedStep,
  classifyTokenError,
  paceDecision,
  readRateLimitHeaders,
  retryDecision,
  tokenAction,
} from '../../server/exact/decisions.ts';
import {
  exactDateMs,
  int64,
  localToUtc,
  unwrapCollection,
  unwrapEntity,
  utcToLocalLiteral,
} from '../../server/exact/values.ts';

describe('tokenAction', () => {
  const now = 1_000_000;
  it.each([
    [now + 600_000, 'use'],
    [now + 31_000, 'use'],
    [now + 30_000, 'refresh'],
    [now + 1_000, 'refresh'],
    [now - 1, 'refresh'],
    [null, 'refresh'],
  ])('expires at %s → %s', (expiresAt, action) => {
    expect(tokenAction(expiresAt, now)).toBe(action);
  });
});

describe('classifyTokenError', () => {
  it.each([
    [401, { error: 'unauthorized_client', error_description: 'Old refresh token used.' }, 'reauth'],
    [400, { error: 'unauthorized_client', error_description: 'Old refresh token used.' }, 'reauth'],
    [
      400,
      {
        error: 'invalid_request',
        error_description: 'The refresh token expired at 10/11/2022 9:18:20 PM and it is now 10/28/2022 4:15:50 PM.',
      },
      'reauth',
    ],
    [
      400,
      { error: 'invalid_grant', error_description: 'Token is not allowed, because of invalid or empty chainId' },
      'reauth',
    ],
    [
      400,
      { error: 'invalid_request', error_description: 'Rate limit exceeded: access_token not expired' },
      'too_early',
    ],
    [
      401,
      { error: 'invalid_request', error_description: 'Rate limit exceeded: access_token not expired' },
      'too_early',
    ],
    [
      400,
      { error: 'invalid_request', error_description: 'Rate limit exceeded: maximum of 200 token requests per day' },
      'transient',
    ],
    [400, { error: 'invalid_request' }, 'bad_client'],
    [503, undefined, 'transient'],
    [0, undefined, 'transient'],
    [429, undefined, 'transient'],
  ])('%i %j → %s', (status, body, kind) => {
    expect(classifyTokenError(status, body)).toBe(kind);
  });
});

describe('rate-limit pacing', () => {
  const now = Date.UTC(2026, 10, 24, 8, 18, 25);
  const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;

  it('reads every header, and keeps the kind a 429 leaves out', () => {
    const full = readRateLimitHeaders(
      headers({
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4766',
        'x-ratelimit-reset': '1683936000000',
        'x-ratelimit-minutely-limit': '60',
        'x-ratelimit-minutely-remaining': '58',
        'x-ratelimit-minutely-reset': '1683879540000',
      }),
    );
    expect(full).toEqual({
      dailyRemaining: 4766,
      dailyReset: 1683936000000,
      minutelyRemaining: 58,
      minutelyReset: 1683879540000,
    });
    const after429 = readRateLimitHeaders(
      headers({ 'x-ratelimit-minutely-remaining': '0', 'x-ratelimit-minutely-reset': '1683879600000' }),
      full,
    );
    expect(after429).toEqual({
      dailyRemaining: 4766,
      dailyReset: 1683936000000,
      minutelyRemaining: 0,
      minutelyReset: 1683879600000,
    });
  });

  it('never lets an answer that arrives late raise what is left of a window', () => {
    const now = { minutelyRemaining: 3, minutelyReset: 2_000, dailyRemaining: 100, dailyReset: 9_000 };
    const late = readRateLimitHeaders(
      headers({
        'x-ratelimit-minutely-remaining': '7',
        'x-ratelimit-minutely-reset': '2000',
        'x-ratelimit-remaining': '104',
        'x-ratelimit-reset': '9000',
      }),
      now,
    );
    expect(late).toEqual(now);
    const older = readRateLimitHeaders(
      headers({ 'x-ratelimit-minutely-remaining': '50', 'x-ratelimit-minutely-reset': '1000' }),
      now,
    );
    expect(older).toEqual(now);
    const next = readRateLimitHeaders(
      headers({ 'x-ratelimit-minutely-remaining': '59', 'x-ratelimit-minutely-reset': '3000' }),
      now,
    );
    expect(next).toEqual({ ...now, minutelyRemaining: 59, minutelyReset: 3000 });
  });

  it.each([
    [{}, { kind: 'go' }],
    [{ minutelyRemaining: 3, minutelyReset: now + 35_000 }, { kind: 'go' }],
    [
      { minutelyRemaining: 0, minutelyReset: now + 35_000 },
      { kind: 'wait', ms: 36_000 },
    ],
    [{ minutelyRemaining: 0, minutelyReset: now - 5_000 }, { kind: 'go' }], // reset already passed (clock skew)
    [
      { minutelyRemaining: 0, minutelyReset: now - 400 },
      { kind: 'wait', ms: 600 },
    ], // passed, but within the margin
    [
      { dailyRemaining: 0, dailyReset: now + 3_600_000, minutelyRemaining: 0, minutelyReset: now + 1000 },
      { kind: 'daily_limit', resetsAt: now + 3_600_000 },
    ],
    [{ dailyRemaining: 0, dailyReset: now - 1 }, { kind: 'go' }],
  ])('%j → %j', (state, decision) => {
    expect(paceDecision(state, now)).toEqual(decision);
  });

  it.each([
    [1, 503, {}, { retry: true, waitMs: 500 }],
    [2, 500, {}, { retry: true, waitMs: 1000 }],
    [3, 0, {}, { retry: true, waitMs: 2000 }],
    [1, 429, { minutelyRemaining: 0, minutelyReset: now + 10_000 }, { retry: true, waitMs: 11_000 }],
    [1, 429, { dailyRemaining: 0, dailyReset: now + 10_000 }, { retry: false }],
    [1, 400, {}, { retry: false }],
    [1, 404, {}, { retry: false }],
    [6, 503, {}, { retry: false }],
    [10, 503, {}, { retry: false }],
  ])('attempt %i after %i %j → %j', (attempt, status, state, decision) => {
    expect(retryDecision(attempt, status, state, now, 0.5)).toEqual(decision);
  });

  it('caps the backoff at 30 s and spreads it ±20 %', () => {
    expect(retryDecision(5, 503, {}, now, 0)).toEqual({ retry: true, waitMs: 6400 });
    expect(retryDecision(5, 503, {}, now, 1)).toEqual({ retry: true, waitMs: 9600 });
  });
});

describe('Exact values', () => {
  it('unwraps both collection shapes and the entity forms', () => {
    expect(unwrapCollection({ d: [{ a: 1 }] }, 'x')).toEqual({ rows: [{ a: 1 }], next: undefined, count: undefined });
    expect(unwrapCollection({ d: { results: [{ a: 1 }], __next: 'http://n', __count: '7' } }, 'x')).toEqual({
      rows: [{ a: 1 }],
      next: 'http://n',
      count: 7,
    });
    expect(() => unwrapCollection({ d: { a: 1 } }, 'x')).toThrow('neither');
    expect(unwrapEntity({ d: { results: [{ UserID: 'u' }] } }, 'Me')).toEqual({ UserID: 'u' });
    expect(unwrapEntity({ d: { ID: 'i' } }, 'Account')).toEqual({ ID: 'i' });
  });

  it('reads one entity in each of its three shapes (read/sync/Sync/SyncTimestamp among them), and refuses the rest', () => {
    const ts = { Modified: '/Date(1704067200000)/', TimeStampAsBigInt: '123456789' };
    for (const body of [{ d: ts }, { d: { results: [ts] } }, { d: [ts] }])
      expect(unwrapEntity(body, 'SyncTimestamp').TimeStampAsBigInt).toBe('123456789');
    expect(() => unwrapEntity({ d: [] }, 'SyncTimestamp')).toThrow('with 0 rows instead of one');
    expect(() => unwrapEntity({ d: [ts, ts] }, 'SyncTimestamp')).toThrow('with 2 rows instead of one');
    expect(() => unwrapEntity({ d: null }, 'SyncTimestamp')).toThrow('without an entity');
    expect(() => unwrapEntity({}, 'SyncTimestamp')).toThrow('without an entity');
  });

  it('reads /Date(ms)/ and converts Amsterdam wall-clock time to UTC across daylight saving', () => {
    expect(exactDateMs('/Date(1782404200637)/')).toBe(1782404200637);
    expect(exactDateMs('2024-01-01')).toBeUndefined();
    // The recorded document: Created 16:16:40.637 local (CEST) was 14:16:40.637Z.
    expect(localToUtc(1782404200637, 'Europe/Amsterdam')).toBe(Date.UTC(2026, 5, 25, 14, 16, 40, 637));
    expect(localToUtc(Date.UTC(2026, 0, 15, 12), 'Europe/Amsterdam')).toBe(Date.UTC(2026, 0, 15, 11));
    expect(utcToLocalLiteral(Date.UTC(2026, 5, 25, 14, 16, 40), 'Europe/Amsterdam')).toBe('2026-06-25T16:16:40');
  });

  it('keeps Int64 values exact', () => {
    expect(int64('9007199254740993')).toBe('9007199254740993');
    expect(int64(12)).toBe('12');
    expect(int64(null)).toBeNull();
    expect(() => int64(1.5)).toThrow('Expected an Int64');
  });
});

describe('afterAnswer', () => {
  const headers =
    (h: Record<string, string>) =>
    (name: string): string | null =>
      h[name] ?? null;
  const window1 = { 'x-ratelimit-minutely-reset': '60000', 'x-ratelimit-reset': '86400000' };

  it.each([
    // [known, answer's remaining (minutely, daily), calls still in flight, expected]
    [{ minutelyRemaining: 57, minutelyReset: 60000 }, ['58', '4000'], 0, 57],
    [{ minutelyRemaining: 57, minutelyReset: 60000 }, ['58', '4000'], 2, 56],
    [{ minutelyRemaining: 50, minutelyReset: 60000 }, ['59', '4000'], 2, 50],
    // The first answer of a window: what it says, less the calls that may still land in it.
    [{}, ['59', '4000'], 2, 57],
    [{}, ['1', '4000'], 3, 0],
  ] as const)('known %j, answer %j, %i in flight → %i left this minute', (known, [m, d], inflight, expected) => {
    const state = afterAnswer(
      known,
      headers({ ...window1, 'x-ratelimit-minutely-remaining': m, 'x-ratelimit-remaining': d }),
      inflight,
    );
    expect(state.minutelyRemaining).toBe(expected);
    expect(state.minutelyReset).toBe(60000);
  });

  it('takes the calls in flight off the daily budget too', () => {
    const state = afterAnswer(
      {},
      headers({ ...window1, 'x-ratelimit-minutely-remaining': '59', 'x-ratelimit-remaining': '10' }),
      4,
    );
    expect(state.dailyRemaining).toBe(6);
  });

  it('lets an answer from a window already past change nothing', () => {
    const known = { minutelyRemaining: 40, minutelyReset: 120000 };
    const state = afterAnswer(
      known,
      headers({ 'x-ratelimit-minutely-remaining': '2', 'x-ratelimit-minutely-reset': '60000' }),
      3,
    );
    expect(state).toMatchObject(known);
  });
});

describe('unauthorizedStep', () => {
  const none = { refreshed: false, backedOff: false };
  it.each([
    [1, 'too_young', none, { kind: 'pause', ms: 2000 }],
    [1, 'refreshable', none, { kind: 'pause', ms: 2000 }],
    // A token Exact would not refresh yet: the same token again after 30-60 s.
    [2, 'too_young', none, { kind: 'pause', ms: 30_000 }],
    [2, 'refreshable', none, { kind: 'refresh' }],
    [3, 'too_young', { refreshed: false, backedOff: true }, { kind: 'give_up' }],
    // A refreshed token refused again is young: one back-off for it, then give up.
    [3, 'too_young', { refreshed: true, backedOff: false }, { kind: 'pause', ms: 30_000 }],
    [3, 'refreshable', { refreshed: true, backedOff: false }, { kind: 'give_up' }],
    [4, 'too_young', { refreshed: true, backedOff: true }, { kind: 'give_up' }],
  ] as const)('401 number %i, token %s, done %j → %j', (count, token, done, step) => {
    expect(unauthorizedStep(count, token, done, 0)).toEqual(step);
  });

  it('spreads the back-off over 30 to 60 seconds', () => {
    expect(unauthorizedStep(2, 'too_young', none, 0.999)).toEqual({ kind: 'pause', ms: 59_970 });
  });
});
