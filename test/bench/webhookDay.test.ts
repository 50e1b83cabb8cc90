import { describe, expect, it } from 'vitest';
import { DAY_TABLES, pollDay, typicalDay, webhookDay, type Change } from '../../bench/webhookDay.ts';

/** The benchmark's day model (bench/webhookDay.ts): what BENCHMARKS.md's near-real-time figures rest on. */

const cost = { extraCalls: 1, overheadMs: 200, callMs: 500 };
const at = (seconds: number, table = 'accounts'): Change => ({ at: seconds * 1000, table });

describe('typicalDay', () => {
  it('is the same day for the same seed, with the changes asked for, sorted, in the five tables', () => {
    const day = typicalDay(2000);
    expect(day).toEqual(typicalDay(2000));
    expect(day).toHaveLength(2000);
    expect(day.every((c, i) => i === 0 || day[i - 1]!.at <= c.at)).toBe(true);
    expect(new Set(day.map((c) => c.table))).toEqual(new Set(DAY_TABLES.map((t) => t.table)));
    // Most of it in office hours.
    const office = day.filter((c) => c.at >= 8 * 3_600_000 && c.at < 18 * 3_600_000).length;
    expect(office / day.length).toBeGreaterThan(0.85);
    expect(typicalDay(2000, 24)).not.toEqual(day);
  });
});

describe('pollDay', () => {
  it('reads every table each run, changed or not: an empty day still costs its runs', () => {
    const out = pollDay([], 15, cost);
    expect(out.runs).toBe(96);
    expect(out.calls).toBe(96 * (DAY_TABLES.length + 1));
  });

  it('a change waits for the next run, then the run itself', () => {
    // At 00:01 — the run at 00:15 takes it: 14 minutes, plus the run's 200 ms and 6 calls of 500 ms.
    const out = pollDay([at(60)], 15, cost);
    expect(out.lag.median).toBeCloseTo(14 * 60 + 0.2 + 3, 5);
  });

  it('reads a REST table 60 rows a call, a Sync table 1,000', () => {
    const many = Array.from({ length: 130 }, (_, i) => at(1 + i / 1000, 'salesinvoices'));
    const base = pollDay([], 15, cost).calls;
    expect(pollDay(many, 15, cost).calls - base).toBe(2); // 3 pages instead of 1
  });
});

describe('webhookDay', () => {
  const none = { ...cost, extraCalls: 0 };
  it('a lone change: a run a second after its event, one call; plus the safety net', () => {
    const out = webhookDay([at(100)], 60, none);
    expect(out.runs).toBe(2);
    expect(out.calls).toBe(1 + DAY_TABLES.length);
    expect(out.lag.median).toBeCloseTo(1 + 0.2 + 0.5, 5);
  });

  it('spaces runs by the interval: a change 10 s after a run waits for the minute', () => {
    const out = webhookDay([at(100), at(111)], 60, none, 0);
    expect(out.runs).toBe(2);
    // The second run starts 60 s after the first (at 101 s): 161 − 111 = 50 s, plus the run.
    expect(out.lag.max).toBeCloseTo(50 + 0.7, 5);
    // Without spacing, each change is its own run a second later.
    expect(webhookDay([at(100), at(111)], 0, none, 0).lag.max).toBeCloseTo(1.7, 5);
  });

  it('a burst within the gathering second is one run of each table it touches', () => {
    const burst = [at(100), at(100.2, 'items'), at(100.5), at(100.9, 'items')];
    expect(webhookDay(burst, 60, none, 0)).toMatchObject({ runs: 1, calls: 2 });
  });

  it('a change during a run waits for its end', () => {
    const slow = { ...none, overheadMs: 5000 };
    const out = webhookDay([at(100), at(103)], 0, slow, 0);
    // The first run: 101 s to 106.5 s; the second starts a second after it ends.
    expect(out.lag.max).toBeCloseTo(107.5 + 5.5 - 103, 5);
  });
});
