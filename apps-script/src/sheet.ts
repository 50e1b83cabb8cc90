import { clearPlan, gridCheck } from '../../client-contract/sheetsPlan.ts';

/**
 * Writing a result into a sheet with SpreadsheetApp: the header (bold, frozen), the rows in chunks,
 * a number format per column, dates as dates, what the previous pull left below or to the right cleared,
 * and a note on A1 saying when and from what the data was pulled. What each sheet came from is kept in
 * the document's properties, so "Refresh all" knows.
 */

/** What a sheet was pulled from: a table (with its primary key, for paging) or a saved query (by id only). */
export interface SheetSource {
  kind: 'table' | 'query';
  table?: string;
  /** The table's primary-key columns. */
  key?: string[];
  queryId?: number;
  /** Kept by versions before issue 19; a saved query is run by id. */
  sql?: string;
  label: string;
}

const SOURCE_PREFIX = 'exact-sync.sheet.';

/** What a write covered (header included): the rows and columns exact-sync owns in the sheet. */
export interface Extent {
  rows: number;
  columns: number;
}

/**
 * Replaces the target's data with what `staging` holds (header in row 1), owning only what the previous
 * write covered: the grid is sized first (a sheet made for it gets exactly the rows and columns; an
 * existing one only grows), Google's 10 million grid cells are checked, cells in use where the data
 * would grow are refused — all before anything is written. The data goes over in one copy (values and
 * formats). A column the user added beside the data with a formula on every row is filled down to new
 * rows; what the old extent held beyond the new one is cleared; the staging sheet is removed last.
 */
export function swapIn(
  staging: GoogleAppsScript.Spreadsheet.Sheet,
  item: { sheetId?: number; newSheet?: string; source: SheetSource; staged: number },
): { rows: number; sheetName: string } {
  const ss = SpreadsheetApp.getActiveSpreadsheet();
  const width = staging.getLastColumn();
  const need = { rows: item.staged + 1, columns: width };
  const fresh = item.newSheet !== undefined;
  if (fresh) checkRoomForNewSheet(need);
  const sheet = fresh
    ? ss.insertSheet(freeSheetName(ss, item.newSheet!))
    : ss.getSheets().find((x) => x.getSheetId() === item.sheetId);
  if (!sheet) throw new Error(`The sheet of ${item.source.label} is gone: nothing to refresh.`);
  try {
    const extent = fresh ? { rows: 0, columns: 0 } : extentOf(sheet);
    sizeGrid(sheet, need, fresh);
    refuseCellsInUse(sheet, need, extent);
    const fill = fresh ? [] : calculatedColumns(sheet, extent);
    staging.getRange(1, 1, need.rows, width).copyTo(sheet.getRange(1, 1, need.rows, width));
    sheet.getRange(1, 1, 1, width).setFontWeight('bold');
    sheet.setFrozenRows(1);
    if (need.rows > extent.rows && extent.rows > 1)
      for (const c of fill)
        sheet.getRange(extent.rows, c).copyTo(sheet.getRange(extent.rows + 1, c, need.rows - extent.rows, 1));
    for (const c of clearPlan(need.rows, width, extent.rows, extent.columns))
      sheet.getRange(c.row, c.column, c.rows, c.columns).clearContent();
    sheet
      .getRange(1, 1)
      .setNote(
        `Pulled from exact-sync (${item.source.label}) on ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC: ${item.staged} rows. Exact Online → Refresh this sheet pulls it again.`,
      );
  } catch (err) {
    // An insert that cannot be completed leaves no half-made sheet.
    if (fresh) ss.deleteSheet(sheet);
    throw err;
  }
  const props = PropertiesService.getDocumentProperties();
  const { sql: _sql, ...source } = item.source;
  props.setProperty(SOURCE_PREFIX + sheet.getSheetId(), JSON.stringify(source));
  props.setProperty(EXTENT_PREFIX + sheet.getSheetId(), JSON.stringify(need));
  ss.deleteSheet(staging);
  return { rows: item.staged, sheetName: sheet.getName() };
}

const EXTENT_PREFIX = 'exact-sync.extent.';

/**
 * Whether a new sheet of `need` fits in the spreadsheet: insertSheet makes 1000 × 26 cells first, then
 * it gets its own grid; Google counts every sheet's grid against 10 million cells. Throws, in words,
 * before any sheet is added, when it does not.
 */
export function checkRoomForNewSheet(need: Extent): void {
  const others = SpreadsheetApp.getActiveSpreadsheet()
    .getSheets()
    .reduce((n, x) => n + x.getMaxRows() * x.getMaxColumns(), 0);
  const check = gridCheck(need.rows * need.columns < 26_000 ? { rows: 1000, columns: 26 } : need, undefined, others);
  if ('error' in check) throw new Error(check.error);
}

/** The previous write's extent; for a sheet pulled before extents were kept, what it holds. */
function extentOf(sheet: GoogleAppsScript.Spreadsheet.Sheet): Extent {
  const text = PropertiesService.getDocumentProperties().getProperty(EXTENT_PREFIX + sheet.getSheetId());
  if (text) return JSON.parse(text) as Extent;
  return sourceOf(sheet) ? { rows: sheet.getLastRow(), columns: sheet.getLastColumn() } : { rows: 0, columns: 0 };
}

/**
 * The grid the write needs, made before the write: exact for a sheet made for it (shrinking the 26
 * columns a new sheet has first, so the 10M check counts only what is used), grown only for another.
 */
function sizeGrid(sheet: GoogleAppsScript.Spreadsheet.Sheet, need: Extent, fresh: boolean): void {
  const grid = { rows: sheet.getMaxRows(), columns: sheet.getMaxColumns() };
  const others = SpreadsheetApp.getActiveSpreadsheet()
    .getSheets()
    .filter((x) => x.getSheetId() !== sheet.getSheetId())
    .reduce((n, x) => n + x.getMaxRows() * x.getMaxColumns(), 0);
  const check = gridCheck(need, fresh ? undefined : grid, others);
  if ('error' in check) throw new Error(check.error);
  const want = check.grid;
  if (want.columns < grid.columns) sheet.deleteColumns(want.columns + 1, grid.columns - want.columns);
  if (want.rows < grid.rows) sheet.deleteRows(want.rows + 1, grid.rows - want.rows);
  if (want.columns > grid.columns) sheet.insertColumnsAfter(grid.columns, want.columns - grid.columns);
  if (want.rows > grid.rows) sheet.insertRowsAfter(grid.rows, want.rows - grid.rows);
}

/** Refuses, before writing, a write that would reach cells in use beyond the previous extent. */
function refuseCellsInUse(sheet: GoogleAppsScript.Spreadsheet.Sheet, need: Extent, extent: Extent): void {
  const blocks: [number, number, number, number][] = [];
  if (need.columns > extent.columns) blocks.push([1, extent.columns + 1, need.rows, need.columns - extent.columns]);
  if (need.rows > extent.rows && extent.columns > 0)
    blocks.push([extent.rows + 1, 1, need.rows - extent.rows, Math.min(extent.columns, need.columns)]);
  for (const [r, c, h, w] of blocks) {
    const range = sheet.getRange(r, c, h, w);
    const used =
      range.getValues().some((row) => row.some((v) => v !== '')) ||
      range.getFormulas().some((row) => row.some((f) => f !== ''));
    if (used)
      throw new Error(
        `The result needs the cells ${range.getA1Notation()} of "${sheet.getName()}", and some are in use: move them (or empty them), then refresh. Nothing was changed.`,
      );
  }
}

/** The user's columns right of the extent with a formula on every data row: filled down to new rows. */
function calculatedColumns(sheet: GoogleAppsScript.Spreadsheet.Sheet, extent: Extent): number[] {
  const last = sheet.getLastColumn();
  if (extent.rows < 2 || last <= extent.columns) return [];
  const formulas = sheet.getRange(2, extent.columns + 1, extent.rows - 1, last - extent.columns).getFormulas();
  return formulas[0]!.flatMap((_, j) => (formulas.every((r) => r[j] !== '') ? [extent.columns + 1 + j] : []));
}

export function sourceOf(sheet: GoogleAppsScript.Spreadsheet.Sheet): SheetSource | undefined {
  const text = PropertiesService.getDocumentProperties().getProperty(SOURCE_PREFIX + sheet.getSheetId());
  return text ? (JSON.parse(text) as SheetSource) : undefined;
}

/** A sheet name not in use: `wanted`, or `wanted (2)`, …, at most 100 characters. */
export function freeSheetName(spreadsheet: GoogleAppsScript.Spreadsheet.Spreadsheet, wanted: string): string {
  const base = wanted.slice(0, 90) || 'exact-sync';
  if (!spreadsheet.getSheetByName(base)) return base;
  for (let n = 2; ; n++) if (!spreadsheet.getSheetByName(`${base} (${n})`)) return `${base} (${n})`;
}
