import { describe, expect, it } from 'vitest';
import {
  dueTables,
  estimateDailyCost,
  median,
  nextDueAt,
  nextRunAt,
  retryAfterMinutes,
  webhookActDelay,
  type TableSchedule,
} from '../../server/schedule/decide.ts';

const T0 = new Date('2026-03-02T08:00:00Z');
const at = (minutes: number, seconds = 0) => new Date(T0.getTime() + minutes * 60_000 + seconds * 1000);
const table = (name: string, frequencyMinutes: number, last: Partial<TableSchedule> = {}): TableSchedule => ({
  name,
  frequencyMinutes,
  lastAttemptAt: null,
  lastStatus: null,
  failures: 0,
  ...last,
});

describe('retryAfterMinutes', () => {
  it.each([
    [0, 360, 360],
    [1, 360, 5],
    [2, 360, 10],
    [3, 360, 20],
    [7, 360, 320],
    [8, 360, 360],
    [50, 360, 360],
    [1, 15, 5],
    [2, 15, 10],
    [3, 15, 15],
    [1, 5, 5],
  ])('after %i failures of a %i-minute table: %i minutes', (failures, frequency, want) => {
    expect(retryAfterMinutes(failures, frequency)).toBe(want);
  });
});

describe('dueTables', () => {
  const ok = (minutesAgo: number) => ({ lastAttemptAt: at(-minutesAgo), lastStatus: 'succeeded' as const });
  it.each<[string, TableSchedule[], Date, string[]]>([
    ['never synced: due at once', [table('a', 360)], T0, ['a']],
    ['synced 5 h 59 min ago, every 6 h: not yet', [table('a', 360, ok(359))], T0, []],
    ['synced 6 h ago: due', [table('a', 360, ok(360))], T0, ['a']],
    [
      'synced 5 h 59 min 30 s ago: due (started just after its tick)',
      [table('a', 360, { lastAttemptAt: at(-359, -30), lastStatus: 'succeeded' })],
      T0,
      ['a'],
    ],
    [
      'synced 5 h 59 min 29 s ago: one tick early, not yet',
      [table('a', 360, { lastAttemptAt: at(-359, -29), lastStatus: 'succeeded' })],
      T0,
      [],
    ],
    [
      'a 15-minute table beside 6-hour ones: only it',
      [table('tl', 15, ok(15)), table('acc', 360, ok(15)), table('gl', 360, ok(15))],
      T0,
      ['tl'],
    ],
    [
      'failed once 5 min ago: retried',
      [table('a', 360, { lastAttemptAt: at(-5), lastStatus: 'failed', failures: 1 })],
      T0,
      ['a'],
    ],
    [
      'failed twice 5 min ago: waits 10',
      [table('a', 360, { lastAttemptAt: at(-5), lastStatus: 'failed', failures: 2 })],
      T0,
      [],
    ],
    ['keeps the order given', [table('b', 5), table('a', 5)], T0, ['b', 'a']],
  ])('%s', (_label, tables, now, want) => {
    expect(dueTables(now, tables)).toEqual(want);
  });

  it('fires a 15-minute table every 15 minutes, not every 16, when each run starts a few seconds after its tick', () => {
    let t = table('tl', 15, { lastAttemptAt: at(0, 4), lastStatus: 'succeeded' });
    const fired: number[] = [];
    for (let minute = 1; minute <= 60; minute++) {
      if (dueTables(at(minute), [t]).length) {
        fired.push(minute);
        t = { ...t, lastAttemptAt: at(minute, 4) };
      }
    }
    expect(fired).toEqual([15, 30, 45, 60]);
  });
});

describe('nextDueAt / nextRunAt', () => {
  it('is the last attempt plus the frequency, or plus the backoff after a failure', () => {
    expect(nextDueAt(table('a', 15, { lastAttemptAt: T0, lastStatus: 'succeeded' }))).toEqual(at(15));
    expect(nextDueAt(table('a', 360, { lastAttemptAt: T0, lastStatus: 'failed', failures: 3 }))).toEqual(at(20));
    expect(nextDueAt(table('a', 360))).toBeNull();
  });
  it('is the earliest of the tables, or null when one never ran', () => {
    expect(
      nextRunAt([
        table('a', 360, { lastAttemptAt: T0, lastStatus: 'succeeded' }),
        table('b', 15, { lastAttemptAt: T0, lastStatus: 'succeeded' }),
      ]),
    ).toEqual(at(15));
    expect(nextRunAt([table('a', 360, { lastAttemptAt: T0, lastStatus: 'succeeded' }), table('b', 15)])).toBeNull();
  });
});

describe('estimateDailyCost', () => {
  it('counts runs a day times calls a run; deleted follows the fastest table', () => {
    const cost = estimateDailyCost([
      { name: 'transactionlines', frequencyMinutes: 15, callsPerRun: 2 },
      { name: 'accounts', frequencyMinutes: 360, callsPerRun: 1 },
      { name: 'deleted', frequencyMinutes: 360, callsPerRun: 1 },
    ]);
    expect(cost.tables).toEqual([
      { name: 'transactionlines', callsPerDay: 192 },
      { name: 'accounts', callsPerDay: 4 },
      { name: 'deleted', callsPerDay: 96 },
    ]);
    expect(cost.total).toBe(292);
    expect(cost.verdict).toBe('ok');
  });
  it.each([
    [360, 1, 20, 'ok'],
    // 20 tables every 5 minutes: 288 runs a day each, 5,760 calls: more than Exact allows.
    [5, 1, 20, 'exhausts'],
    // 10 tables every 5 minutes: 2,880 calls, over half the budget.
    [5, 1, 10, 'high'],
    [15, 9, 10, 'exhausts'],
  ] as const)('every %i min, %i calls a run, %i tables: %s', (frequency, calls, count, verdict) => {
    const tables = Array.from({ length: count }, (_, i) => ({
      name: `t${i}`,
      frequencyMinutes: frequency,
      callsPerRun: calls,
    }));
    expect(estimateDailyCost(tables).verdict).toBe(verdict);
  });
  it('spreads a key sweep over the days between sweeps', () => {
    // Purchase entries every 6 hours, 3 calls a run, and a weekly sweep of 700 pages: 12 + 100 a day.
    const cost = estimateDailyCost([
      { name: 'purchaseentries', frequencyMinutes: 360, callsPerRun: 3, sweep: { calls: 700, days: 7 } },
    ]);
    expect(cost.tables).toEqual([{ name: 'purchaseentries', callsPerDay: 112 }]);
  });
  it('never counts less than one call a run (a run with nothing new still asks)', () => {
    expect(estimateDailyCost([{ name: 'a', frequencyMinutes: 60, callsPerRun: 0 }]).total).toBe(24);
  });
});

describe('median', () => {
  it.each([
    [[], 0],
    [[3], 3],
    [[40, 1, 1], 1],
    [[1, 2, 3, 10], 2.5],
  ] as const)('median(%j) = %d', (values, want) => {
    expect(median(values)).toBe(want);
  });
});

describe('webhookActDelay', () => {
  // now, last run started by webhook events (null: none), minimum interval → ms until they are acted on
  it.each([
    ['never acted: a moment to gather the burst', 100_000, null, 60_000, 1_000],
    ['no spacing: the moment only', 100_000, 99_000, 0, 1_000],
    ['last run long ago: the moment only', 100_000, 10_000, 60_000, 1_000],
    ['last run 20 s ago: the rest of the minute', 100_000, 80_000, 60_000, 40_000],
    ['last run 59.5 s ago: never less than the moment', 100_000, 40_500, 60_000, 1_000],
    ['last run exactly a minute ago', 100_000, 40_000, 60_000, 1_000],
    ['a clock that went back: at most the interval', 100_000, 120_000, 60_000, 60_000],
  ] as const)('%s', (_, now, last, interval, want) => {
    expect(webhookActDelay(now, last, interval)).toBe(want);
  });
});
