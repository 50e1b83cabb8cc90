import type { QueryResult, ResultColumnInfo } from '../../../server/api/types.ts';
import {
  chunkRows as chunkCellRows,
  isMoneyColumn,
  isoOfSerial,
  resultCells,
  type Cell,
} from '../../../client-contract/cells.ts';

/**
 * What goes into the cells, decided without Excel: a query result as a header, values Excel types
 * correctly (numbers as numbers, dates as date serials, text as text), a number format per column, and
 * the row chunks a write is split into so no request passes Excel's payload limit (5 MB on the web).
 * Pure functions with table tests (test/addin/layout.test.ts).
 */

export type { Cell };

export interface SheetData {
  header: string[];
  rows: Cell[][];
  /** One Excel number format per column. */
  formats: string[];
}

export const FORMATS: Record<ResultColumnInfo['kind'], string> = {
  integer: '0',
  number: 'General',
  boolean: 'General',
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm:ss',
  // Text as text: a value such as "=HYPERLINK(…)" or "0012" stays what it is.
  text: '@',
  json: '@',
};

/** Money: two decimals and thousands separators (Excel shows them in the user's locale; the value keeps every digit). */
export const MONEY_FORMAT = '#,##0.00';

/**
 * The result as cells. Instants (timestamptz) are shown in `timeZone`: by default the computer's, as
 * Excel has no time zone of its own and people read times on their own clock; dates are the same day
 * everywhere.
 */
export function toSheetData(
  result: Pick<QueryResult, 'columns' | 'rows'>,
  timeZone: string = Intl.DateTimeFormat().resolvedOptions().timeZone,
): SheetData {
  const { header, rows } = resultCells(result, 'serial', timeZone);
  return {
    header,
    rows,
    formats: result.columns.map((c) => (c.kind === 'number' && isMoneyColumn(c.name) ? MONEY_FORMAT : FORMATS[c.kind])),
  };
}

/**
 * Rows [start, end) per write, each request under `maxBytes` (the values and the formats written with
 * them, as JSON) and `maxCells`. A single row over the limit still goes alone (Excel will say why).
 */
export function chunkRows(
  rows: readonly Cell[][],
  formats: readonly string[],
  maxBytes = 4_000_000,
  maxCells = 500_000,
): [number, number][] {
  // Each row is written with its formats beside it.
  return chunkCellRows(
    rows,
    maxBytes,
    maxCells,
    formats.reduce((s, f) => s + f.length + 3, 2),
  );
}

/** A table name Excel accepts: letters, digits, _ and ., starting with a letter or _, at most 255 chars, unique in `taken`. */
export function tableName(wanted: string, taken: ReadonlySet<string>): string {
  let base =
    wanted
      .replace(/[^A-Za-z0-9_.]/g, '_')
      .replace(/^[^A-Za-z_]/, '_$&')
      .slice(0, 200) || 'Table';
  // Names that look like cell references (A1, R1C1) are refused by Excel.
  if (/^[A-Za-z]{1,3}\d+$/.test(base) || /^[Rr]\d*[Cc]\d*$/.test(base)) base = `_${base}`;
  const lower = new Set([...taken].map((t) => t.toLowerCase()));
  if (!lower.has(base.toLowerCase())) return base;
  for (let n = 2; ; n++) if (!lower.has(`${base}_${n}`.toLowerCase())) return `${base}_${n}`;
}

/**
 * A worksheet name Excel accepts (Microsoft, "Rename a worksheet"): 1 to 31 characters, none of
 * / \ ? * : [ ], not starting or ending with an apostrophe, not "History"; unique in `taken` without
 * regard to case. Made unique within the 31 characters ("Name (2)"), not cut after: cutting a unique
 * name can make it equal to one taken.
 */
export function sheetName(wanted: string, taken: ReadonlySet<string>): string {
  let base =
    wanted
      .replace(/[/\\?*:[\]]/g, '_')
      .replace(/^'+|'+$/g, '')
      .trim() || 'Sheet';
  if (base.toLowerCase() === 'history') base = 'History_';
  const lower = new Set([...taken].map((t) => t.toLowerCase()));
  const first = base.slice(0, 31);
  if (!lower.has(first.toLowerCase())) return first;
  for (let n = 2; ; n++) {
    const suffix = ` (${n})`;
    const name = `${base.slice(0, 31 - suffix.length).replace(/'+$/, '')}${suffix}`;
    if (!lower.has(name.toLowerCase())) return name;
  }
}

/** A query parameter's value ($1, $2, …) as the query API takes it. */
export type ParamValue = string | number | boolean | null;

/** Whether an Excel number format shows a date (d, y, or m beside them), and a time (h, s). */
export function dateFormatOf(format: string): 'date' | 'datetime' | undefined {
  // Quoted text, [colour]/[$€-413] sections and escaped characters say nothing of dates.
  const f = format.replace(/"[^"]*"|\[[^\]]*\]|\\./g, '').toLowerCase();
  if (f === 'general' || !/[dy]/.test(f)) return undefined;
  return /[hs]/.test(f) ? 'datetime' : 'date';
}

/**
 * A parameter cell's value as a query parameter: empty is NULL, a date (a serial under a date format)
 * its ISO day or date-time, numbers, booleans and text as they are.
 */
export function paramValue(value: unknown, format: string): ParamValue {
  if (value === '' || value === null || value === undefined) return null;
  if (typeof value === 'number') {
    const kind = dateFormatOf(format);
    return kind ? isoOfSerial(kind === 'date' ? Math.floor(value) : value) : value;
  }
  if (typeof value === 'boolean') return value;
  return String(value);
}

/**
 * How many parameters ($1 … $n) a query takes: the highest $n outside strings, quoted names and
 * comments (a $1 inside '…' is text, not a parameter).
 */
export function paramCount(sql: string): number {
  const code = sql.replace(
    /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g,
    ' ',
  );
  let n = 0;
  for (const m of code.matchAll(/\$(\d+)/g)) n = Math.max(n, Number(m[1]));
  return n;
}

/**
 * A parameter cell's reference, read: a workbook name (`Period`), or a sheet and a cell (`Sheet1!B2`,
 * `'My sheet'!B2`, as Excel writes addresses). Undefined for anything else.
 */
export function parseCellRef(ref: string): { name: string } | { sheet: string; cell: string } | undefined {
  const r = ref.trim();
  const at = /^(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Za-z]{1,3})\$?(\d{1,7})$/.exec(r);
  if (at)
    return { sheet: at[1] !== undefined ? at[1].replace(/''/g, "'") : at[2]!, cell: `${at[3]!.toUpperCase()}${at[4]}` };
  return /^[A-Za-z_\\][A-Za-z0-9_.\\]*$/.test(r) ? { name: r } : undefined;
}
