import type { ResultColumnInfo, SavedChart } from '../../server/api/types.ts';

/**
 * What a chart of a query's result shows: which columns it suggests, and the sums it draws. Pure, so the
 * rules have table tests; pages/Chart.tsx hands the sums to ECharts.
 */

/** At most this many series (a pivot's columns) or pie slices; the rest are summed into "Other". */
export const MAX_SERIES = 12;
export const OTHER = 'Other';
export const EMPTY = '(empty)';

const NUMERIC = new Set(['integer', 'number']);
const ORDERED = new Set(['date', 'datetime', 'integer', 'number']);

/** A first chart for a result: a date (else text) column along x, the first other numeric column summed. */
export function suggestChart(columns: readonly ResultColumnInfo[]): SavedChart | undefined {
  const x =
    columns.find((c) => c.kind === 'date' || c.kind === 'datetime') ??
    columns.find((c) => c.kind === 'text') ??
    columns.find((c) => NUMERIC.has(c.kind));
  const y = columns.find((c) => NUMERIC.has(c.kind) && c !== x);
  if (!x || !y) return undefined;
  return { type: x.kind === 'date' || x.kind === 'datetime' ? 'line' : 'bar', x: x.name, y: y.name };
}

export interface ChartData {
  /** Along x (or the pie's slices, a pivot's rows). */
  categories: string[];
  /** One per value of the series column (a pivot's columns), else one named after y. */
  series: { name: string; values: number[] }[];
  /** Rows whose y was empty or not a number, left out of the sums. */
  skipped: number;
}

/** A value as a category label: dates as their day or instant, empty as "(empty)". */
function label(v: unknown): string {
  if (v === null || v === undefined || v === '') return EMPTY;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Ordered kinds sort along x (dates, numbers); others keep the order the query gave them. */
function orderCategories(keys: string[], kind: string): string[] {
  if (!ORDERED.has(kind)) return keys;
  const numeric = NUMERIC.has(kind);
  return [...keys].sort((a, b) => {
    if (a === EMPTY || b === EMPTY) return a === EMPTY ? 1 : -1;
    return numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0;
  });
}

/** The series kept: the largest MAX_SERIES - 1 by total when there are more, plus "Other" for the rest. */
function keepSeries(totals: Map<string, number>): { kept: Set<string>; other: boolean } {
  const names = [...totals.keys()];
  if (names.length <= MAX_SERIES) return { kept: new Set(names), other: false };
  const largest = [...names].sort((a, b) => Math.abs(totals.get(b)!) - Math.abs(totals.get(a)!));
  return { kept: new Set(largest.slice(0, MAX_SERIES - 1)), other: true };
}

/**
 * The sums a chart draws: y summed per x (and per series value). Errors name a column the result lacks,
 * or a y that is not numeric.
 */
export function chartData(
  columns: readonly ResultColumnInfo[],
  rows: readonly (readonly unknown[])[],
  chart: SavedChart,
): ChartData | { error: string } {
  const at = (name: string | undefined) => (name === undefined ? -1 : columns.findIndex((c) => c.name === name));
  const [xi, yi, si] = [at(chart.x), at(chart.y), at(chart.series)];
  for (const [i, name] of [
    [xi, chart.x],
    [yi, chart.y],
    [chart.series === undefined ? 0 : si, chart.series],
  ] as const)
    if (i < 0) return { error: `The result has no column ${JSON.stringify(name)}; choose another.` };
  if (!NUMERIC.has(columns[yi]!.kind))
    return { error: `${chart.y} is ${columns[yi]!.type}, not a number: choose a numeric column to sum.` };

  const sums = new Map<string, Map<string, number>>(); // series → category → sum
  const totals = new Map<string, number>();
  const categories: string[] = [];
  const seenCategory = new Set<string>();
  let skipped = 0;
  for (const row of rows) {
    const y = numberOf(row[yi]);
    if (y === undefined) {
      skipped++;
      continue;
    }
    const x = label(row[xi]);
    const s = si >= 0 ? label(row[si]) : chart.y;
    if (!seenCategory.has(x)) {
      seenCategory.add(x);
      categories.push(x);
    }
    const bySeries = sums.get(s) ?? new Map<string, number>();
    sums.set(s, bySeries);
    bySeries.set(x, (bySeries.get(x) ?? 0) + y);
    totals.set(s, (totals.get(s) ?? 0) + y);
  }
  const ordered = orderCategories(categories, columns[xi]!.kind);
  const { kept, other } = keepSeries(totals);
  const series = [...sums.keys()]
    .filter((s) => kept.has(s))
    .map((name) => ({ name, values: ordered.map((c) => sums.get(name)!.get(c) ?? 0) }));
  if (other) {
    const rest = [...sums.keys()].filter((s) => !kept.has(s));
    series.push({
      name: OTHER,
      values: ordered.map((c) => rest.reduce((sum, s) => sum + (sums.get(s)!.get(c) ?? 0), 0)),
    });
  }
  return { categories: ordered, series, skipped };
}

/**
 * A pie's slices: the categories by their total (all series together), the largest MAX_SERIES - 1 and
 * "Other" when there are more; slices of zero are left out.
 */
export function pieSlices(data: ChartData): { name: string; value: number }[] {
  const slices = data.categories
    .map((name, i) => ({ name, value: data.series.reduce((sum, s) => sum + s.values[i]!, 0) }))
    .filter((s) => s.value !== 0)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  if (slices.length <= MAX_SERIES) return slices;
  const rest = slices.slice(MAX_SERIES - 1).reduce((sum, s) => sum + s.value, 0);
  return [...slices.slice(0, MAX_SERIES - 1), { name: OTHER, value: rest }];
}
