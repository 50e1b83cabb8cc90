/**
 * Turning a query result into sheet values, in chunks, and deciding what to clear: shared by the Apps
 * Script module (SpreadsheetApp) and the server-side writeback (Sheets API v4), so both write the same
 * cells (the cell rules themselves are cells.ts, shared with Excel too). Runtime-free, like cells.ts
 * (table tests in test/sheets/plan.test.ts).
 */
import { chunkRows as chunk, dateSerial, isMoneyColumn, resultCells, type Cell, type ResultData } from './cells.ts';

export type SheetValue = Cell;

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
  // Other numbers keep Sheets' automatic format: a pattern such as #,##0.########## shows "1,234." for
  // a whole number (the decimal point stays when no decimals follow).
  number: '',
  date: 'yyyy-mm-dd',
  datetime: 'yyyy-mm-dd hh:mm:ss',
  text: '@',
  json: '@',
  boolean: '',
};

/** Money: two decimals and thousands separators, as in Excel (the spreadsheet's locale shows the separators). */
export const MONEY_PATTERN = '#,##0.00';

/** Google's limits: 10 million cells a spreadsheet; requests best under 2 MB (docs/google-sheets.md). */
export const MAX_CELLS = 10_000_000;
export const MAX_REQUEST_BYTES = 2_000_000;

export function planSheet(result: ResultData): SheetPlan {
  const { header, rows, dateColumns } = resultCells(result, 'text');
  return {
    header,
    rows,
    formats: result.columns.map((c) =>
      c.kind === 'number' && isMoneyColumn(c.name) ? MONEY_PATTERN : (SHEET_FORMATS[c.kind] ?? ''),
    ),
    dateColumns,
  };
}

/**
 * The rows as both writers put them in cells: dates and date-times as serial numbers (formatted as dates
 * by `formats`): a date is the same day in every spreadsheet time zone, as Excel gets it; an instant
 * (timestamptz) is shown as the wall-clock time of the spreadsheet's `timeZone`.
 */
export function sheetRows(plan: SheetPlan, timeZone?: string): SheetValue[][] {
  const dates = new Set(plan.dateColumns);
  if (dates.size === 0) return plan.rows;
  return plan.rows.map((r) =>
    r.map((v, i) => (dates.has(i) && typeof v === 'string' && v ? (dateSerial(v, timeZone) ?? v) : v)),
  );
}

/** Rows [start, end) per Sheets write: under 2 MB and 200,000 cells a request. */
export function chunkRows(rows: readonly (readonly unknown[])[], maxBytes = MAX_REQUEST_BYTES, maxCells = 200_000) {
  return chunk(rows, maxBytes, maxCells);
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

/**
 * The grid a write needs, or why it cannot have it. A sheet being added gets exactly the rows and
 * columns written (at least 2 rows: a frozen header needs a row below it); an existing sheet only grows
 * (shrinking could cut off what the user keeps beside or below the data). Google counts the 10 million
 * cells of a spreadsheet as grid cells of all its sheets (`others`: the other sheets' rows × columns).
 */
export function gridCheck(
  need: { rows: number; columns: number },
  grid: { rows: number; columns: number } | undefined,
  others: number,
): { grid: { rows: number; columns: number } } | { error: string } {
  const want = grid
    ? { rows: Math.max(grid.rows, need.rows, 2), columns: Math.max(grid.columns, need.columns) }
    : { rows: Math.max(need.rows, 2), columns: need.columns };
  const total = others + want.rows * want.columns;
  if (total <= MAX_CELLS) return { grid: want };
  const n = (x: number) => x.toLocaleString('en-US');
  return {
    error:
      `The result needs ${n(need.rows)} rows × ${n(need.columns)} columns; with the sheet's grid (${n(want.rows)} × ${n(want.columns)}) and the other sheets' ${n(others)} cells the spreadsheet would have ${n(total)} cells, ` +
      `over Google's limit of 10,000,000 (it counts every cell of every sheet's grid, empty or not). Nothing was written. Add filters or fewer columns, or delete unused rows and columns in the spreadsheet.`,
  };
}
