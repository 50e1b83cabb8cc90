import { chunkRows, tableName, type Cell, type SheetData } from './layout.ts';

/**
 * Every Excel call of the add-in (React components never touch Excel). An exact-sync table is an Excel
 * table whose source (warehouse table or SQL) is kept in the workbook's settings, so "Refresh all" works
 * after the workbook was closed and opened again; the API key is never kept there, nor in cells.
 *
 * Writes go in chunks under Excel's request-size limit, with calculation suspended, values before the
 * table is laid over them. A refresh keeps the table object and its name (formulas that point at it keep
 * working), resizes it, writes only values (formatting the user added survives; new rows get the
 * column formats), and clears what is left below a table that shrank.
 */

export interface TableSource {
  kind: 'table' | 'query';
  /** Warehouse table (kind 'table'). */
  table?: string;
  columns?: string[];
  filters?: string[];
  /** SQL (kind 'query'). */
  sql?: string;
  connection?: number;
}

export interface BoundTable {
  name: string;
  source: TableSource;
  rows: number;
  /** When the add-in last wrote it. */
  refreshedAt: string;
  /** When exact-sync last synced the data behind it (null: unknown, e.g. a query). */
  syncedAt: string | null;
}

export const SETTINGS_KEY = 'exact-sync.tables';

export interface WriteControl {
  onProgress?: (rowsWritten: number, rowsTotal: number) => void;
  /** Checked between chunks: a cancelled insert removes what it wrote; a cancelled refresh stops (the table holds a mix, so the caller says so). */
  cancelled?: () => boolean;
}

export class CancelledError extends Error {
  constructor() {
    super('Cancelled');
    this.name = 'CancelledError';
  }
}

export async function readBindings(context: Excel.RequestContext): Promise<Record<string, BoundTable>> {
  const item = context.workbook.settings.getItemOrNullObject(SETTINGS_KEY);
  item.load('value');
  await context.sync();
  if (item.isNullObject) return {};
  const value: unknown = typeof item.value === 'string' ? JSON.parse(item.value) : item.value;
  return value && typeof value === 'object' ? (value as Record<string, BoundTable>) : {};
}

async function writeBinding(context: Excel.RequestContext, bound: BoundTable, remove?: string): Promise<void> {
  const all = await readBindings(context);
  if (remove) delete all[remove];
  all[bound.name] = bound;
  context.workbook.settings.add(SETTINGS_KEY, JSON.stringify(all));
  await context.sync();
}

/** Values and formats of rows [a, b) at (row, col); calculation suspended until the sync. */
async function writeChunks(
  context: Excel.RequestContext,
  sheet: Excel.Worksheet,
  at: { row: number; column: number },
  data: SheetData,
  from: number,
  formatsFrom: number,
  control: WriteControl,
): Promise<void> {
  const width = data.header.length;
  const chunks = chunkRows(data.rows.slice(from), data.formats);
  for (const [a0, b0] of chunks) {
    const a = a0 + from;
    const b = b0 + from;
    if (control.cancelled?.()) throw new CancelledError();
    const range = sheet.getRangeByIndexes(at.row + a, at.column, b - a, width);
    // Formats first, so text such as "=1+1" or "0012" is written as text.
    const lo = Math.max(a, formatsFrom);
    if (lo < b)
      sheet.getRangeByIndexes(at.row + lo, at.column, b - lo, width).numberFormat = Array.from(
        { length: b - lo },
        () => [...data.formats],
      );
    range.values = data.rows.slice(a, b) as Cell[][];
    context.application.suspendApiCalculationUntilNextSync();
    await context.sync();
    control.onProgress?.(b, data.rows.length);
  }
}

export interface InsertOptions {
  /** Wanted table name (made valid and unique). */
  name: string;
  /** A new worksheet of this name; absent: at the selected cell. */
  newSheet?: string;
  source: TableSource;
  syncedAt: string | null;
}

/** Inserts `data` as a new Excel table. Refuses to write over cells in use; a cancelled insert leaves the workbook as it was. */
export async function insertTable(
  context: Excel.RequestContext,
  data: SheetData,
  o: InsertOptions,
  control: WriteControl = {},
): Promise<BoundTable> {
  const tables = context.workbook.tables;
  tables.load('items/name');
  const sheets = context.workbook.worksheets;
  sheets.load('items/name');
  await context.sync();
  const name = tableName(o.name, new Set(tables.items.map((t) => t.name)));
  let sheet: Excel.Worksheet;
  let at = { row: 0, column: 0 };
  let createdSheet = false;
  if (o.newSheet !== undefined) {
    sheet = sheets.add(tableName(o.newSheet, new Set(sheets.items.map((s) => s.name))).slice(0, 31));
    createdSheet = true;
  } else {
    const selected = context.workbook.getSelectedRange();
    selected.load('rowIndex,columnIndex');
    sheet = selected.worksheet;
    await context.sync();
    at = { row: selected.rowIndex, column: selected.columnIndex };
  }
  const rows = Math.max(1, data.rows.length);
  const whole = sheet.getRangeByIndexes(at.row, at.column, rows + 1, data.header.length);
  if (!createdSheet) {
    const used = whole.getUsedRangeOrNullObject(true);
    used.load('address');
    await context.sync();
    if (!used.isNullObject)
      throw new Error(
        `The cells where the table would go are not empty (${used.address}). Select an empty cell, or insert into a new worksheet.`,
      );
  }
  try {
    const header = sheet.getRangeByIndexes(at.row, at.column, 1, data.header.length);
    header.numberFormat = [data.header.map(() => '@')];
    header.values = [data.header];
    await writeChunks(context, sheet, { row: at.row + 1, column: at.column }, data, 0, 0, control);
    const table = sheet.tables.add(whole, true);
    table.name = name;
    await context.sync();
  } catch (err) {
    // Nothing half-written stays: the new sheet goes, or the cells written are cleared.
    if (createdSheet) sheet.delete();
    else whole.clear(Excel.ClearApplyTo.contents);
    await context.sync().catch(() => undefined);
    throw err;
  }
  const bound: BoundTable = {
    name,
    source: o.source,
    rows: data.rows.length,
    refreshedAt: new Date().toISOString(),
    syncedAt: o.syncedAt,
  };
  await writeBinding(context, bound);
  return bound;
}

/** Refills an exact-sync table with `data`, keeping the table, its name and the user's formatting. */
export async function refreshTable(
  context: Excel.RequestContext,
  name: string,
  data: SheetData,
  syncedAt: string | null,
  control: WriteControl = {},
): Promise<BoundTable> {
  const bindings = await readBindings(context);
  const binding = bindings[name];
  if (!binding) throw new Error(`${name} is not an exact-sync table.`);
  const table = context.workbook.tables.getItemOrNullObject(name);
  table.load('name');
  await context.sync();
  if (table.isNullObject) throw new Error(`The table ${name} is no longer in this workbook.`);
  const all = table.getRange();
  all.load('rowIndex,columnIndex,rowCount,columnCount');
  const sheet = table.worksheet;
  await context.sync();
  const at = { row: all.rowIndex, column: all.columnIndex };
  const oldRows = all.rowCount - 1;
  const width = data.header.length;
  if (width > all.columnCount) {
    const right = sheet
      .getRangeByIndexes(at.row, at.column + all.columnCount, all.rowCount, width - all.columnCount)
      .getUsedRangeOrNullObject(true);
    right.load('address');
    await context.sync();
    if (!right.isNullObject)
      throw new Error(
        `The result now has ${width} columns and the cells to the right of ${name} are in use (${right.address}); move them, then refresh.`,
      );
  }
  const newRows = Math.max(1, data.rows.length);
  sheet.getRangeByIndexes(at.row, at.column, 1, width).values = [data.header];
  table.resize(sheet.getRangeByIndexes(at.row, at.column, newRows + 1, width));
  await context.sync();
  await writeChunks(context, sheet, { row: at.row + 1, column: at.column }, data, 0, oldRows, control);
  if (data.rows.length === 0)
    sheet.getRangeByIndexes(at.row + 1, at.column, 1, width).clear(Excel.ClearApplyTo.contents);
  // What the old, larger table held below or beside the new one.
  if (oldRows > newRows)
    sheet
      .getRangeByIndexes(at.row + 1 + newRows, at.column, oldRows - newRows, all.columnCount)
      .clear(Excel.ClearApplyTo.contents);
  if (all.columnCount > width)
    sheet
      .getRangeByIndexes(at.row, at.column + width, all.rowCount, all.columnCount - width)
      .clear(Excel.ClearApplyTo.contents);
  await context.sync();
  const bound: BoundTable = { ...binding, rows: data.rows.length, refreshedAt: new Date().toISOString(), syncedAt };
  await writeBinding(context, bound);
  return bound;
}

/** The exact-sync tables of the workbook that still exist, and the name of the one the selection is in, if any. */
export async function boundTables(
  context: Excel.RequestContext,
): Promise<{ tables: BoundTable[]; selected: string | undefined }> {
  const bindings = await readBindings(context);
  const tables = context.workbook.tables;
  tables.load('items/name');
  const selection = context.workbook.getSelectedRange().getTables(false);
  selection.load('items/name');
  await context.sync();
  const present = new Set(tables.items.map((t) => t.name));
  return {
    tables: Object.values(bindings).filter((b) => present.has(b.name)),
    selected: selection.items.map((t) => t.name).find((n) => bindings[n]),
  };
}
