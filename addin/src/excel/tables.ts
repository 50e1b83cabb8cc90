import {
  chunkRows,
  paramValue,
  parseCellRef,
  sheetName,
  tableName,
  type Cell,
  type ParamValue,
  type SheetData,
} from './layout.ts';
import { readBlock, rowsOf, writeBlock, type Block } from './snapshot.ts';

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
  /** A warehouse table, SQL kept in the workbook, or a saved query kept on the server (by id). */
  kind: 'table' | 'query' | 'saved';
  /** Warehouse table (kind 'table'). */
  table?: string;
  columns?: string[];
  filters?: string[];
  /** SQL (kind 'query'). */
  sql?: string;
  /** The saved query (kind 'saved'): each refresh runs it as it is on the server then, as Sheets does. */
  queryId?: number;
  /**
   * The query's parameters ($1, $2, …; kinds 'query' and 'saved'), each taken from a cell of the
   * workbook at every refresh: a name (`Period`) or an address (`Sheet1!B2`).
   */
  params?: string[];
  connection?: number;
}

export interface BoundTable {
  /** Excel's Table.id: stays when the table is renamed (absent in bindings made before it was kept). */
  id?: string;
  name: string;
  /** The columns exact-sync wrote, the table's first ones; the user's own columns come after them. */
  columns?: string[];
  /** The number format exact-sync gave each of those columns. */
  formats?: string[];
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

/** Stores `bound` under its table's id (replacing the entry under `remove`, e.g. its name from before ids). */
async function writeBinding(context: Excel.RequestContext, bound: BoundTable, remove?: string): Promise<void> {
  const all = await readBindings(context);
  if (remove) delete all[remove];
  all[bound.id ?? bound.name] = bound;
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
    // Calculation is suspended first in the batch, so the writes after it do not each recalculate.
    context.application.suspendApiCalculationUntilNextSync();
    // Formats first, so text such as "=1+1" or "0012" is written as text.
    const lo = Math.max(a, formatsFrom);
    if (lo < b)
      sheet.getRangeByIndexes(at.row + lo, at.column, b - lo, width).numberFormat = Array.from(
        { length: b - lo },
        () => [...data.formats],
      );
    range.values = data.rows.slice(a, b) as Cell[][];
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

/**
 * Inserts `data` as a new Excel table. Refuses to write over cells in use or another table; a failed
 * or cancelled insert leaves the workbook as it was (the new sheet removed, or the cells and their
 * formats put back).
 */
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
  const place = await placeFor(context, o, sheets, data);
  const { sheet, at, whole } = place;
  try {
    context.application.suspendApiCalculationUntilNextSync();
    const header = sheet.getRangeByIndexes(at.row, at.column, 1, data.header.length);
    header.numberFormat = [data.header.map(() => '@')];
    header.values = [data.header];
    await writeChunks(context, sheet, { row: at.row + 1, column: at.column }, data, 0, 0, control);
    const table = sheet.tables.add(whole, true);
    table.name = name;
    // Wide enough to read (no ########): once, after insert; a refresh keeps the widths the user set.
    whole.format.autofitColumns();
    table.load('id');
    await context.sync();
    const bound: BoundTable = {
      id: table.id,
      name,
      columns: [...data.header],
      formats: [...data.formats],
      source: o.source,
      rows: data.rows.length,
      refreshedAt: new Date().toISOString(),
      syncedAt: o.syncedAt,
    };
    await writeBinding(context, bound);
    return bound;
  } catch (err) {
    // Nothing half-written stays: the new sheet goes, or the table made goes and the cells are put back.
    if (place.before === undefined) sheet.delete();
    else {
      const made = whole.getTables(false);
      made.load('items/name');
      await context.sync().catch(() => undefined);
      for (const t of made.items ?? []) t.delete();
      await writeBlock(context, place.before).catch(() => undefined);
    }
    await context.sync().catch(() => undefined);
    throw err;
  }
}

/**
 * Where an insert goes: a new sheet, or the selected cell when the cells the table needs are empty and
 * no table is there (their cells read, to put back should the insert fail).
 */
async function placeFor(
  context: Excel.RequestContext,
  o: InsertOptions,
  sheets: Excel.WorksheetCollection,
  data: SheetData,
): Promise<{ sheet: Excel.Worksheet; at: { row: number; column: number }; whole: Excel.Range; before?: Block }> {
  const rows = Math.max(1, data.rows.length) + 1;
  const width = data.header.length;
  if (o.newSheet !== undefined) {
    const sheet = sheets.add(sheetName(o.newSheet, new Set(sheets.items.map((s) => s.name))));
    return { sheet, at: { row: 0, column: 0 }, whole: sheet.getRangeByIndexes(0, 0, rows, width) };
  }
  const selected = context.workbook.getSelectedRange();
  selected.load('rowIndex,columnIndex');
  await context.sync();
  const sheet = selected.worksheet;
  const at = { row: selected.rowIndex, column: selected.columnIndex };
  if (at.row + rows > SHEET_ROWS || at.column + width > SHEET_COLUMNS)
    throw new Error(
      `The table needs ${rows.toLocaleString()} rows × ${width} columns from the selected cell, past the worksheet's end. Select a cell higher up or further left, or insert into a new worksheet.`,
    );
  const whole = sheet.getRangeByIndexes(at.row, at.column, rows, width);
  const used = whole.getUsedRangeOrNullObject(true);
  used.load('address');
  const there = whole.getTables(false);
  there.load('items/name');
  await context.sync();
  if (!used.isNullObject || there.items.length > 0)
    throw new Error(
      `The cells where the table would go are not empty (${used.isNullObject ? `the table ${there.items[0]!.name}` : used.address}). Select an empty cell, or insert into a new worksheet.`,
    );
  return { sheet, at, whole, before: await readBlock(context, sheet, at, rows, width) };
}

/** Excel's grid (Microsoft, "Excel specifications and limits"). */
export const SHEET_ROWS = 1_048_576;
export const SHEET_COLUMNS = 16_384;

/** A bound table as found in the workbook: where it is, how large, and which of its columns are exact-sync's. */
interface Found {
  key: string;
  binding: BoundTable;
  table: Excel.Table;
  sheet: Excel.Worksheet;
  id: string;
  name: string;
  row: number;
  column: number;
  /** Data rows (the header and a totals row not counted). */
  rows: number;
  /** The user shows a totals row (the table's last row). */
  totals: boolean;
  width: number;
  /** exact-sync's columns: the first `owned` of the table; the rest are the user's. */
  owned: number;
  header: string[];
}

/** The bound table `key` (its id, or its name for a binding made before ids were kept), or why not. */
async function locate(context: Excel.RequestContext, key: string): Promise<Found> {
  const bindings = await readBindings(context);
  const binding = bindings[key] ?? Object.values(bindings).find((b) => b.name === key || b.id === key);
  if (!binding) throw new Error(`${key} is not an exact-sync table.`);
  const table = context.workbook.tables.getItemOrNullObject(binding.id ?? binding.name);
  table.load('name,id,showTotals');
  await context.sync();
  if (table.isNullObject) throw new Error(`The table ${binding.name} is no longer in this workbook.`);
  const all = table.getRange();
  all.load('rowIndex,columnIndex,rowCount,columnCount');
  await context.sync();
  const headerRange = table.worksheet.getRangeByIndexes(all.rowIndex, all.columnIndex, 1, all.columnCount);
  headerRange.load('formulas');
  await context.sync();
  const owned = Math.min(all.columnCount, binding.columns?.length ?? all.columnCount);
  return {
    key: binding.id ?? binding.name,
    binding,
    table,
    sheet: table.worksheet,
    id: table.id,
    name: table.name,
    row: all.rowIndex,
    column: all.columnIndex,
    rows: all.rowCount - 1 - (table.showTotals ? 1 : 0),
    totals: table.showTotals,
    width: all.columnCount,
    owned,
    header: (headerRange.formulas[0] ?? []).map(String),
  };
}

/** Throws, before anything is written, when the new extent leaves the grid or would cover cells in use. */
async function checkExtent(
  context: Excel.RequestContext,
  t: Found,
  next: { rows: number; width: number; resultHeader: readonly string[] },
): Promise<void> {
  const totals = t.totals ? 1 : 0;
  if (t.row + 1 + next.rows + totals > SHEET_ROWS)
    throw new Error(
      `The result has ${next.rows.toLocaleString()} rows; from row ${t.row + 2} the worksheet holds ${(SHEET_ROWS - t.row - 1).toLocaleString()}. Add filters, or move the table up.`,
    );
  if (t.column + next.width > SHEET_COLUMNS)
    throw new Error(
      `The result has ${next.width} columns with yours; the worksheet ends before that. Move the table left.`,
    );
  const yours = t.header.slice(t.owned);
  const clash = next.resultHeader.filter((h) => yours.some((y) => y.toLowerCase() === h.toLowerCase()));
  if (clash.length)
    throw new Error(
      `The result now has a column ${clash.join(', ')}, the name of a column you added to ${t.name}; rename yours, then refresh.`,
    );
  const blocks: [number, number, number, number, string][] = [];
  // Below what the table covers now (its totals row included), down to what it will cover.
  if (next.rows > t.rows)
    blocks.push([t.row + 1 + t.rows + totals, t.column, next.rows - t.rows, Math.max(t.width, next.width), 'below']);
  if (next.width > t.width)
    blocks.push([
      t.row,
      t.column + t.width,
      Math.max(t.rows, next.rows) + 1 + totals,
      next.width - t.width,
      'to the right of',
    ]);
  const used = blocks.map(([r, c, h, w]) => {
    const u = t.sheet.getRangeByIndexes(r, c, h, w).getUsedRangeOrNullObject(true);
    u.load('address');
    return u;
  });
  if (used.length) await context.sync();
  used.forEach((u, i) => {
    if (!u.isNullObject)
      throw new Error(
        `The result needs the cells ${blocks[i]![4]} ${t.name}, and ${u.address} is in use: move it (or the table), then refresh. Nothing was changed.`,
      );
  });
}

/**
 * Refills an exact-sync table with `data`. Only exact-sync's columns (the first ones, recorded with the
 * source) are rewritten; columns the user added beside them stay, with their formulas and formats,
 * moved along when the result gains or loses columns, and a column with one formula all the way down
 * (Excel's calculated column) is filled into new rows. Everything is checked before the first write:
 * the grid, cells in use below or to the right (a refresh never writes over them: it refuses), a
 * result column named like one of the user's. All or nothing: the cells the refresh will touch are read
 * first, and a failure or a cancel at any later step puts them back, with the table's size and totals row.
 */
export async function refreshTable(
  context: Excel.RequestContext,
  key: string,
  data: SheetData,
  syncedAt: string | null,
  control: WriteControl = {},
): Promise<BoundTable> {
  const t = await locate(context, key);
  const ownedWidth = data.header.length;
  const userWidth = t.width - t.owned;
  const next = { rows: Math.max(1, data.rows.length), width: ownedWidth + userWidth, resultHeader: data.header };
  await checkExtent(context, t, next);
  const totals = t.totals ? 1 : 0;
  const before = await readBlock(
    context,
    t.sheet,
    { row: t.row, column: t.column },
    Math.max(t.rows, next.rows) + 1 + totals,
    Math.max(t.width, next.width),
  );
  if (control.cancelled?.()) throw new CancelledError();
  try {
    await rewrite(context, t, data, next, userWidth > 0 ? userColumns(before, t) : undefined, control);
    const bound: BoundTable = {
      ...t.binding,
      id: t.id,
      name: t.name,
      columns: [...data.header],
      formats: [...data.formats],
      rows: data.rows.length,
      refreshedAt: new Date().toISOString(),
      syncedAt,
    };
    await writeBinding(context, bound, t.key);
    return bound;
  } catch (err) {
    await putBack(context, t, before, err);
    if (err instanceof CancelledError) throw err;
    throw new Error(`${messageOf(err)} ${t.name} is as it was.`, { cause: err });
  }
}

/** The writes of a refresh, once everything was checked and the cells it touches were read. */
async function rewrite(
  context: Excel.RequestContext,
  t: Found,
  data: SheetData,
  next: { rows: number; width: number },
  user: UserColumns | undefined,
  control: WriteControl,
): Promise<void> {
  const { sheet, row, column } = t;
  const ownedWidth = data.header.length;
  const userWidth = t.width - t.owned;
  context.application.suspendApiCalculationUntilNextSync();
  // A totals row steps aside while the rows change, and comes back below the new last row (with what it held).
  if (t.totals) t.table.showTotals = false;
  if (user && ownedWidth !== t.owned) {
    // The user's columns move with the width of exact-sync's block: formulas, formats and header.
    const moved = sheet.getRangeByIndexes(row, column + ownedWidth, t.rows + 1, userWidth);
    moved.numberFormat = user.formats;
    moved.formulas = user.formulas;
  }
  const header = sheet.getRangeByIndexes(row, column, 1, ownedWidth);
  header.numberFormat = [data.header.map(() => '@')];
  header.values = [data.header];
  t.table.resize(sheet.getRangeByIndexes(row, column, next.rows + 1, next.width));
  await context.sync();
  await formatChangedColumns(context, t, data, Math.min(t.rows, next.rows));
  await writeChunks(context, sheet, { row: row + 1, column }, data, 0, t.rows, control);
  if (data.rows.length === 0)
    sheet.getRangeByIndexes(row + 1, column, 1, ownedWidth).clear(Excel.ClearApplyTo.contents);
  if (user && next.rows > t.rows)
    fillCalculated(sheet, { row: row + 1 + t.rows, column: column + ownedWidth }, next.rows - t.rows, user);
  // What the old table held below or beside the new one.
  if (t.rows > next.rows)
    sheet
      .getRangeByIndexes(row + 1 + next.rows, column, t.rows - next.rows, Math.max(t.width, next.width))
      .clear(Excel.ClearApplyTo.contents);
  if (t.width > next.width)
    sheet
      .getRangeByIndexes(row, column + next.width, Math.max(t.rows, next.rows) + 1, t.width - next.width)
      .clear(Excel.ClearApplyTo.contents);
  if (t.totals) t.table.showTotals = true;
  // The user's sort and filter, applied again to the new rows (Excel does not by itself when values change).
  t.table.sort.reapply();
  t.table.autoFilter.reapply();
  await context.sync();
}

/**
 * After a refresh failed or was cancelled part-way: the table at its old size, the cells as they were
 * (the totals row written once it is shown again, as a totals row's cells), its filter applied again.
 * When that fails too, the error says the table holds part of the new data.
 */
async function putBack(context: Excel.RequestContext, t: Found, before: Block, cause: unknown): Promise<void> {
  try {
    t.table.load('showTotals');
    await context.sync();
    if (t.table.showTotals) t.table.showTotals = false;
    t.table.resize(t.sheet.getRangeByIndexes(t.row, t.column, t.rows + 1, t.width));
    await context.sync();
    const totalsRow = t.rows + 1;
    await writeBlock(context, before, t.totals ? totalsRow : undefined);
    if (t.totals) {
      // Shown again, then given what it held: Excel's memory of it may have moved with the columns.
      t.table.showTotals = true;
      await context.sync();
      await writeBlock(context, rowsOf(before, totalsRow, totalsRow + 1));
    }
    t.table.autoFilter.reapply();
    await context.sync();
  } catch (err) {
    throw new Error(
      `${messageOf(cause)} Putting ${t.name} back as it was failed too (${messageOf(err)}): it holds part of the new data. Refresh it again.`,
      { cause },
    );
  }
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Rows the table had keep the formats the user gave them, except in columns that are new at their
 * place (another column, or another kind of value, than last time): those get exact-sync's format on
 * every row before the values are written, so dates there are dates and "0012" stays text.
 */
async function formatChangedColumns(
  context: Excel.RequestContext,
  t: Found,
  data: SheetData,
  oldRows: number,
): Promise<void> {
  const before = t.binding.columns;
  if (!before || oldRows === 0) return;
  const changed = data.header.flatMap((h, j) =>
    before[j] === h && t.binding.formats?.[j] === data.formats[j] ? [] : [j],
  );
  const STEP = 200_000;
  for (const j of changed) {
    for (let a = 0; a < oldRows; a += STEP) {
      const n = Math.min(STEP, oldRows - a);
      t.sheet.getRangeByIndexes(t.row + 1 + a, t.column + j, n, 1).numberFormat = Array.from({ length: n }, () => [
        data.formats[j],
      ]);
      await context.sync();
    }
  }
}

interface UserColumns {
  formulas: unknown[][];
  formats: unknown[][];
  /** Per user column: the one formula of every data row (a calculated column), or undefined. */
  calculated: (string | undefined)[];
}

/** The user's columns (right of exact-sync's) as the snapshot has them: header and data rows. */
function userColumns(before: Block, t: Found): UserColumns {
  const pick = (m: unknown[][]) => m.slice(0, t.rows + 1).map((r) => r.slice(t.owned, t.width));
  const formulas = pick(before.formulas);
  const body = formulas.slice(1);
  const calculated = formulas[0]!.map((_, j) => {
    const first = body[0]?.[j];
    return typeof first === 'string' && first.startsWith('=') && body.every((r) => r[j] === first) ? first : undefined;
  });
  return { formulas, formats: pick(before.formats), calculated };
}

/** A calculated column's formula (and its format) in the rows a refresh added, as Excel fills a table's new rows. */
function fillCalculated(
  sheet: Excel.Worksheet,
  at: { row: number; column: number },
  rows: number,
  user: UserColumns,
): void {
  user.calculated.forEach((formula, j) => {
    if (formula === undefined) return;
    const cells = sheet.getRangeByIndexes(at.row, at.column + j, rows, 1);
    cells.numberFormat = Array.from({ length: rows }, () => [user.formats[1]?.[j] ?? 'General']);
    cells.formulas = Array.from({ length: rows }, () => [formula]);
  });
}

/**
 * The exact-sync tables of the workbook that still exist, under their current names (found by id, so a
 * renamed table is still itself), and the key of the one the selection is in, if any.
 */
export async function boundTables(
  context: Excel.RequestContext,
): Promise<{ tables: BoundTable[]; selected: string | undefined; gone: BoundTable[] }> {
  const bindings = await readBindings(context);
  const tables = context.workbook.tables;
  tables.load('items/name,items/id');
  const selection = context.workbook.getSelectedRange().getTables(false);
  selection.load('items/name,items/id');
  await context.sync();
  const byId = new Map(tables.items.map((t) => [t.id, t.name]));
  const names = new Set(tables.items.map((t) => t.name));
  const nameOf = (b: BoundTable) => (b.id !== undefined ? byId.get(b.id) : names.has(b.name) ? b.name : undefined);
  const present = Object.values(bindings).flatMap((b) => {
    const name = nameOf(b);
    return name === undefined ? [] : [{ ...b, name }];
  });
  const gone = Object.values(bindings).filter((b) => nameOf(b) === undefined);
  const chosen = selection.items.find((t) => present.some((b) => b.id === t.id || (!b.id && b.name === t.name)));
  return {
    tables: present,
    selected: chosen ? (present.find((b) => b.id === chosen.id)?.id ?? chosen.name) : undefined,
    gone,
  };
}

/** Forgets the sources of tables deleted from the workbook (by key), so they are no longer listed or refreshed. */
export async function forgetBindings(context: Excel.RequestContext, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  const all = await readBindings(context);
  for (const k of keys) delete all[k];
  context.workbook.settings.add(SETTINGS_KEY, JSON.stringify(all));
  await context.sync();
}

/** The key a binding is stored and refreshed under: its table's id, or its name for an old binding. */
export const keyOf = (b: BoundTable): string => b.id ?? b.name;

export const REFRESH_ON_OPEN_KEY = 'exact-sync.refreshOnOpen';

export async function readRefreshOnOpen(context: Excel.RequestContext): Promise<boolean> {
  const item = context.workbook.settings.getItemOrNullObject(REFRESH_ON_OPEN_KEY);
  item.load('value');
  await context.sync();
  return !item.isNullObject && item.value === true;
}

export async function writeRefreshOnOpen(context: Excel.RequestContext, on: boolean): Promise<void> {
  context.workbook.settings.add(REFRESH_ON_OPEN_KEY, on);
  await context.sync();
}

/**
 * The values of parameter cells, in order: a workbook name or a sheet and cell each (see parseCellRef);
 * a date under a date format as its ISO day. Throws, naming the reference, when one is not there.
 */
export async function readParams(context: Excel.RequestContext, refs: readonly string[]): Promise<ParamValue[]> {
  const places = refs.map((ref, i) => {
    const parsed = parseCellRef(ref);
    if (!parsed)
      throw new Error(
        `"${ref}" (for $${i + 1}) is not a cell: give a name such as Period, or an address such as Sheet1!B2.`,
      );
    return 'name' in parsed
      ? { kind: 'name' as const, named: context.workbook.names.getItemOrNullObject(parsed.name) }
      : {
          kind: 'cell' as const,
          sheet: context.workbook.worksheets.getItemOrNullObject(parsed.sheet),
          cell: parsed.cell,
        };
  });
  await context.sync();
  const ranges = places.map((p, i) => {
    const gone = p.kind === 'name' ? p.named.isNullObject : p.sheet.isNullObject;
    if (gone)
      throw new Error(
        `The cell ${refs[i]} (for $${i + 1}) is not in this workbook: its ${p.kind === 'name' ? 'name' : 'sheet'} is gone. Change the parameter, or add it back.`,
      );
    const range = p.kind === 'name' ? p.named.getRangeOrNullObject() : p.sheet.getRange(p.cell);
    range.load('values,numberFormat');
    return range;
  });
  await context.sync();
  return ranges.map((r, i) => {
    if (r.isNullObject) throw new Error(`The name ${refs[i]} (for $${i + 1}) is not a cell of the workbook.`);
    return paramValue(r.values[0]?.[0], String(r.numberFormat[0]?.[0] ?? 'General'));
  });
}

/** The selected cell's address, sheet included (the top-left cell of a larger selection). */
export async function selectedCell(context: Excel.RequestContext): Promise<string> {
  const cell = context.workbook.getSelectedRange().getCell(0, 0);
  cell.load('address');
  await context.sync();
  return cell.address;
}
