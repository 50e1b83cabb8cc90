import type { QueryResult, ResultColumnInfo } from '../../../server/api/types.ts';
import { chunkRows as chunkSheetRows } from '../../../apps-script/src/plan.ts';

/**
 * What goes into the cells, decided without Excel: a query result as a header, values Excel types
 * correctly (numbers as numbers, dates as date serials, text as text), a number format per column, and
 * the row chunks a write is split into so no request passes Excel's payload limit (5 MB on the web).
 * Pure functions with table tests (test/addin/layout.test.ts).
 */

export type Cell = string | number | boolean;

export interface SheetData {
  header: string[];
  rows: Cell[][];
  /** One Excel number format per column. */
  formats: string[];
}

/** Excel's date serial: days since 1899-12-30, time as the fraction of a day (UTC, as the server sends). */
export function excelSerial(iso: string): number | undefined {
  const ms = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(ms)) return undefined;
  return ms / 86_400_000 + 25_569;
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

function cell(kind: ResultColumnInfo['kind'], v: unknown): Cell {
  if (v === null || v === undefined) return '';
  switch (kind) {
    case 'integer':
    case 'number':
      return typeof v === 'number' ? v : Number.isFinite(Number(v)) ? Number(v) : String(v);
    case 'boolean':
      return Boolean(v);
    case 'date':
    case 'datetime':
      return excelSerial(String(v)) ?? String(v);
    case 'json':
      return JSON.stringify(v);
    default:
      return String(v);
  }
}

export function toSheetData(result: Pick<QueryResult, 'columns' | 'rows'>): SheetData {
  const kinds = result.columns.map((c) => c.kind);
  return {
    header: result.columns.map((c) => c.name),
    rows: result.rows.map((r) => kinds.map((k, i) => cell(k, r[i]))),
    formats: kinds.map((k) => FORMATS[k]),
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
  return chunkSheetRows(
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
