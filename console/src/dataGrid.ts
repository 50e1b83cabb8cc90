import type { ResultColumnInfo } from '../../server/api/types.ts';

/**
 * What the data browser sends to GET /api/v1/tables/:name/rows: the order, a column's filter from what
 * the user typed, and the keyset of the next page. Pure, so the rules have table tests.
 */

export interface SortKey {
  column: string;
  desc: boolean;
}

/**
 * The order the server applies (rowsQuery.ts): the sort asked for (else the primary key, else the first
 * column), then the primary-key columns not in it, ascending. Its last row's values page on.
 */
export function effectiveOrder(
  sort: SortKey | undefined,
  primaryKey: readonly string[],
  columns: readonly string[],
): SortKey[] {
  const asked = sort ? [sort] : primaryKey.length ? primaryKey.map((c) => ({ column: c, desc: false })) : [];
  if (asked.length === 0 && columns[0] !== undefined) asked.push({ column: columns[0], desc: false });
  return [
    ...asked,
    ...primaryKey.filter((k) => !asked.some((a) => a.column === k)).map((k) => ({ column: k, desc: false })),
  ];
}

/** The `after` of the page following `lastRow`: its values of the order columns. */
export function afterOf(
  lastRow: readonly unknown[],
  resultColumns: readonly { name: string }[],
  order: readonly SortKey[],
): unknown[] {
  return order.map((o) => {
    const i = resultColumns.findIndex((c) => c.name === o.column);
    if (i < 0) throw new Error(`the result has no column ${o.column} to page by`);
    return lastRow[i] ?? null;
  });
}

const PREFIXES: [string, string][] = [
  ['>=', 'ge'],
  ['<=', 'le'],
  ['!=', 'ne'],
  ['<>', 'ne'],
  ['>', 'gt'],
  ['<', 'lt'],
  ['=', 'eq'],
];

/**
 * A column's filter (`column:op:value`) from what the user typed in its box, or undefined for nothing:
 * `>100`, `<=2026-01-01`, `=x`, `!=x` compare; `empty` and `not empty` test for NULL; otherwise text
 * columns match a part of the value (case-insensitive) and other columns the value itself.
 */
export function filterOf(column: ResultColumnInfo, typed: string): string | undefined {
  const text = typed.trim();
  if (text === '') return undefined;
  if (/^empty$/i.test(text)) return `${column.name}:null`;
  if (/^not empty$/i.test(text)) return `${column.name}:notnull`;
  for (const [prefix, op] of PREFIXES)
    if (text.startsWith(prefix)) return `${column.name}:${op}:${text.slice(prefix.length).trim()}`;
  if (column.kind === 'text') return `${column.name}:ilike:%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return `${column.name}:eq:${text}`;
}

/** The rows URL for a page (or, with format=csv and no limit, the whole filtered table as a download). */
export function rowsUrl(o: {
  table: string;
  connection: number;
  /** The columns to show (all when unset); the server adds those it pages by. */
  columns?: readonly string[] | undefined;
  /** The order asked for (the server adds the primary key's columns not in it, ascending). */
  order?: readonly SortKey[] | undefined;
  filters: readonly string[];
  after?: readonly unknown[] | undefined;
  limit?: number;
  format?: 'csv';
}): string {
  const q = new URLSearchParams({ connection: String(o.connection) });
  if (o.columns) q.set('columns', o.columns.join(','));
  if (o.order?.length) q.set('order', o.order.map((k) => `${k.desc ? '-' : ''}${k.column}`).join(','));
  for (const f of o.filters) q.append('filter', f);
  if (o.after) q.set('after', JSON.stringify(o.after));
  if (o.limit !== undefined) q.set('limit', String(o.limit));
  if (o.format) q.set('format', o.format);
  return `/api/v1/tables/${encodeURIComponent(o.table)}/rows?${q.toString()}`;
}
