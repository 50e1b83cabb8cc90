import { describe, expect, it } from 'vitest';
import { callDays, changedTables } from '../../console/src/health.ts';

describe('callDays', () => {
  it('gives every day of the period, oldest first, with the busiest division and the total', () => {
    const days = callDays(
      [
        { day: '2026-11-27', division: 1, calls: 300 },
        { day: '2026-11-29', division: 1, calls: 50 },
        { day: '2026-11-29', division: 2, calls: 4900 },
        { day: '2026-11-01', division: 1, calls: 9 }, // before the period
      ],
      4,
      '2026-11-29',
    );
    expect(days).toEqual([
      { day: '2026-11-26', busiest: 0, total: 0 },
      { day: '2026-11-27', busiest: 300, total: 300 },
      { day: '2026-11-28', busiest: 0, total: 0 },
      { day: '2026-11-29', busiest: 4900, total: 4950 },
    ]);
  });
  it('crosses a month end', () => {
    expect(callDays([], 3, '2026-03-01').map((d) => d.day)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });
});

describe('changedTables', () => {
  it('sums per table, most first, ties by name', () => {
    expect(
      changedTables([
        { day: '2026-11-27', table: 'items', changed: 10 },
        { day: '2026-11-28', table: 'accounts', changed: 5 },
        { day: '2026-11-29', table: 'items', changed: 4 },
        { day: '2026-11-29', table: 'glaccounts', changed: 5 },
      ]),
    ).toEqual([
      { table: 'items', changed: 14 },
      { table: 'accounts', changed: 5 },
      { table: 'glaccounts', changed: 5 },
    ]);
  });
});
