import { describe, expect, it } from 'vitest';
import type { ResultColumnInfo } from '../../server/api/types.ts';
import { chartData, EMPTY, MAX_SERIES, OTHER, pieSlices, suggestChart } from '../../console/src/chart.ts';

const c = (name: string, kind: ResultColumnInfo['kind'], type: string = kind): ResultColumnInfo => ({
  name,
  kind,
  type,
});

describe('suggestChart', () => {
  it.each([
    [[c('month', 'date'), c('costcenter', 'text'), c('amount', 'number')], { type: 'line', x: 'month', y: 'amount' }],
    [[c('customer', 'text'), c('revenue', 'number')], { type: 'bar', x: 'customer', y: 'revenue' }],
    [[c('at', 'datetime'), c('n', 'integer')], { type: 'line', x: 'at', y: 'n' }],
    // Two numbers: the first along x, the second summed.
    [[c('year', 'integer'), c('total', 'number')], { type: 'bar', x: 'year', y: 'total' }],
    [[c('name', 'text'), c('code', 'text')], undefined],
    [[c('n', 'integer')], undefined],
    [[], undefined],
  ] as const)('%j', (columns, chart) => {
    expect(suggestChart(columns)).toEqual(chart);
  });
});

describe('chartData', () => {
  const columns = [c('month', 'date'), c('cc', 'text'), c('amount', 'number', 'numeric')];
  const rows = [
    ['2026-02-01', 'A', 10],
    ['2026-01-01', 'A', '5.5'],
    ['2026-01-01', 'B', 2],
    ['2026-02-01', 'A', -4],
    ['2026-03-01', null, 1],
    ['2026-03-01', 'B', null],
    ['2026-03-01', 'B', 'NaN'],
  ];

  it('sums y per x in date order, numbers given as text too, and counts what it could not sum', () => {
    expect(chartData(columns, rows, { type: 'line', x: 'month', y: 'amount' })).toEqual({
      categories: ['2026-01-01', '2026-02-01', '2026-03-01'],
      series: [{ name: 'amount', values: [7.5, 6, 1] }],
      skipped: 2,
    });
  });

  it('splits by the series column, an empty value as its own series, zero where a series has no row', () => {
    expect(chartData(columns, rows, { type: 'bar', x: 'month', y: 'amount', series: 'cc' })).toEqual({
      categories: ['2026-01-01', '2026-02-01', '2026-03-01'],
      series: [
        { name: 'A', values: [5.5, 6, 0] },
        { name: 'B', values: [2, 0, 0] },
        { name: EMPTY, values: [0, 0, 1] },
      ],
      skipped: 2,
    });
  });

  it("keeps a text x in the query's order, and sorts numbers as numbers", () => {
    const byText = chartData(
      [c('name', 'text'), c('v', 'integer')],
      [
        ['b', 1],
        ['a', 2],
        ['b', 3],
      ],
      {
        type: 'bar',
        x: 'name',
        y: 'v',
      },
    );
    expect(byText).toMatchObject({ categories: ['b', 'a'], series: [{ values: [4, 2] }] });
    const byNumber = chartData(
      [c('year', 'integer'), c('v', 'integer')],
      [
        [10, 1],
        [9, 2],
        [null, 5],
        [100, 3],
      ],
      {
        type: 'bar',
        x: 'year',
        y: 'v',
      },
    );
    expect(byNumber).toMatchObject({ categories: ['9', '10', '100', EMPTY] });
  });

  it(`keeps the ${MAX_SERIES - 1} largest series and sums the rest into "${OTHER}"`, () => {
    const many = Array.from({ length: 20 }, (_, i) => ['x', `s${i}`, i + 1]);
    const data = chartData([c('k', 'text'), c('s', 'text'), c('v', 'integer')], many, {
      type: 'bar',
      x: 'k',
      y: 'v',
      series: 's',
    });
    if ('error' in data) throw new Error(data.error);
    expect(data.series).toHaveLength(MAX_SERIES);
    expect(data.series.map((s) => s.name)).toEqual([...Array.from({ length: 11 }, (_, i) => `s${i + 9}`), OTHER]);
    // Nothing lost: the series add up to the whole.
    expect(data.series.reduce((sum, s) => sum + s.values[0]!, 0)).toBe((20 * 21) / 2);
    expect(data.series.at(-1)!.values).toEqual([(9 * 10) / 2]);
  });

  it('says which column is missing, or that y is not a number', () => {
    expect(chartData(columns, rows, { type: 'bar', x: 'nope', y: 'amount' })).toEqual({
      error: 'The result has no column "nope"; choose another.',
    });
    expect(chartData(columns, rows, { type: 'bar', x: 'month', y: 'amount', series: 'gone' })).toMatchObject({
      error: expect.stringContaining('"gone"'),
    });
    expect(chartData(columns, rows, { type: 'bar', x: 'month', y: 'cc' })).toEqual({
      error: 'cc is text, not a number: choose a numeric column to sum.',
    });
  });
});

describe('pieSlices', () => {
  it('adds the series per category, drops zeros, largest first, the rest as Other', () => {
    expect(
      pieSlices({
        categories: ['a', 'b', 'c'],
        series: [
          { name: 's', values: [1, 0, 5] },
          { name: 't', values: [2, 0, 0] },
        ],
        skipped: 0,
      }),
    ).toEqual([
      { name: 'c', value: 5 },
      { name: 'a', value: 3 },
    ]);
    const many = pieSlices({
      categories: Array.from({ length: 15 }, (_, i) => `k${i}`),
      series: [{ name: 'v', values: Array.from({ length: 15 }, (_, i) => i + 1) }],
      skipped: 0,
    });
    expect(many).toHaveLength(MAX_SERIES);
    expect(many.at(-1)).toEqual({ name: OTHER, value: 1 + 2 + 3 + 4 });
    expect(many.reduce((sum, s) => sum + s.value, 0)).toBe((15 * 16) / 2);
  });
});
