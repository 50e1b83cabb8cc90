/**
 * Turning a query result into sheet values, in chunks, and deciding what to clear: shared by the Apps
 * Script module (SpreadsheetApp) and the server-side writeback (Sheets API v4), so both write the same
 * cells. No Apps Script or Node APIs here: plain data in, plain data out (table tests in
 * test/sheets/plan.test.ts).
 */

export interface ResultColumn {
  name: string;
  type: string;
  kind: string;
}
export interface Result {
  columns: ResultColumn[];
  rows: unknown[][];
}

export type SheetValue = string | number | boolean;

export interface SheetPlan {
  header: string[];
  rows: SheetValue[][];
  /** Number format per column (Sheets patterns). */
  formats: string[];
  /** Columns holding dates or date-times: their values are ISO strings the writer turns into dates. */
  dateColumns: number[];
}

export const SHEET_FORMATS: Record<string, string> = {
  integer: '0',
  number: '#,##0.##########',
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm:ss',
  text: '@',
  json: '@',
  boolean: '',
};

/** Google's limits: 10 million cells a spreadsheet; requests best under 2 MB (design.md). */
export const MAX_CELLS = 10_000_000;
export const MAX_REQUEST_BYTES = 2_000_000;

export function planSheet(result: Result): SheetPlan {
  const kinds = result.columns.map((c) => c.kind);
  return {
    header: result.columns.map((c) => c.name),
    rows: result.rows.map((r) =>
      kinds.map((k, i) => {
        const v = r[i];
        if (v === null || v === undefined) return '';
        if (k === 'integer' || k === 'number')
          return typeof v === 'number' ? v : Number.isFinite(Number(v)) ? Number(v) : String(v);
        if (k === 'boolean') return Boolean(v);
        if (k === 'json') return JSON.stringify(v);
        return String(v);
      }),
    ),
    formats: kinds.map((k) => SHEET_FORMATS[k] ?? ''),
    dateColumns: kinds.flatMap((k, i) => (k === 'date' || k === 'datetime' ? [i] : [])),
  };
}

/** Google Sheets' date serial (days since 1899-12-30), for the Sheets API; NaN for what is not a date. */
export function sheetSerial(iso: string): number {
  return Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : iso) / 86_400_000 + 25_569;
}

/**
 * Rows [start, end) per write: each under `maxBytes` of JSON (plus `rowOverhead` bytes a row, for what is
 * sent beside the values) and `maxCells`. A single row over the limit still goes alone. Shared with the
 * Excel add-in's writes (addin/src/excel/layout.ts).
 */
export function chunkRows(
  rows: readonly (readonly unknown[])[],
  maxBytes = MAX_REQUEST_BYTES,
  maxCells = 200_000,
  rowOverhead = 0,
): [number, number][] {
  const chunks: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const size = JSON.stringify(rows[i]).length + 1 + rowOverhead;
    if (i > start && (bytes + size > maxBytes || (i - start + 1) * Math.max(1, rows[i]!.length) > maxCells)) {
      chunks.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < rows.length) chunks.push([start, rows.length]);
  return chunks;
}

/** A1 notation of a block (1-based row and column). */
export function a1(sheet: string | undefined, row: number, column: number, rows: number, columns: number): string {
  const col = (c: number) => {
    let s = '';
    for (let n = c; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    return s;
  };
  const block = `${col(column)}${row}:${col(column + columns - 1)}${row + rows - 1}`;
  return sheet === undefined ? block : `'${sheet.replace(/'/g, "''")}'!${block}`;
}

/**
 * What to clear after writing `rows` × `columns` (header included) at the top left, where the sheet's data
 * reached `oldRows` × `oldColumns` before: the rows below, and the columns to the right of the new block.
 */
export function clearPlan(
  newRows: number,
  newColumns: number,
  oldRows: number,
  oldColumns: number,
): { row: number; column: number; rows: number; columns: number }[] {
  const out: { row: number; column: number; rows: number; columns: number }[] = [];
  if (oldRows > newRows)
    out.push({ row: newRows + 1, column: 1, rows: oldRows - newRows, columns: Math.max(oldColumns, newColumns) });
  if (oldColumns > newColumns)
    out.push({ row: 1, column: newColumns + 1, rows: Math.min(newRows, oldRows), columns: oldColumns - newColumns });
  return out;
}

/** Refuses a result the spreadsheet cannot hold, in words. */
export function checkSize(rows: number, columns: number, otherCells = 0): string | undefined {
  const cells = (rows + 1) * columns;
  if (cells + otherCells > MAX_CELLS)
    return `The result has ${cells.toLocaleString('en-US')} cells; a Google spreadsheet holds at most 10,000,000. Add filters or fewer columns.`;
  return undefined;
}
