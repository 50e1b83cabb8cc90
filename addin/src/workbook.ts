import { ApiError, listTables, previewQuery, runQuery, runSavedQuery, tableRows, type Connection } from './api.ts';
import { toSheetData } from './excel/layout.ts';
import { insertPivot } from './excel/pivot.ts';
import {
  boundTables,
  CancelledError,
  forgetBindings,
  insertTable,
  keyOf,
  readParams,
  readRefreshOnOpen,
  selectedCell,
  writeRefreshOnOpen,
  refreshTable,
  type BoundTable,
  type TableSource,
  type WriteControl,
} from './excel/tables.ts';

/**
 * What the pane's buttons do: fetch from exact-sync, then write through the Excel module. A fetch
 * that fails, or an empty result, changes nothing in the workbook.
 */

/** Excel's last row is 1,048,576: one for the header. */
const EXCEL_MAX_ROWS = 1_048_575;

/** More rows than a worksheet holds: said the same way for a table, a query and a saved query. */
const tooManyRows = () =>
  new Error(
    `The result has more than ${EXCEL_MAX_ROWS.toLocaleString()} rows, more than a worksheet holds below its header. Add filters.`,
  );

/**
 * Fetches a source's rows: a warehouse table (its columns and filters), SQL or a saved query (its
 * parameters read from their cells first). Never more than a worksheet holds plus one: the server
 * stops there, so an oversized result is refused without being downloaded whole.
 */
async function fetchSource(c: Connection, source: TableSource) {
  if (source.kind === 'table') {
    const [result, tables] = await Promise.all([
      tableRows(c, source.table!, {
        ...(source.columns ? { columns: source.columns } : {}),
        ...(source.filters ? { filters: source.filters } : {}),
        // One more than a worksheet holds: a table that does not fit is refused, not cut silently.
        limit: EXCEL_MAX_ROWS + 1,
      }),
      listTables(c),
    ]);
    if (result.rows.length > EXCEL_MAX_ROWS) throw tooManyRows();
    return { result, syncedAt: tables.find((t) => t.name === source.table)?.lastSyncAt ?? null };
  }
  const params = source.params?.length ? await Excel.run((context) => readParams(context, source.params!)) : [];
  const o = { maxRows: EXCEL_MAX_ROWS, params };
  try {
    const result =
      source.kind === 'saved' ? await runSavedQuery(c, source.queryId!, o) : await runQuery(c, source.sql!, o);
    return { result, syncedAt: null };
  } catch (err) {
    if (err instanceof ApiError && err.code === 'row_limit') throw tooManyRows();
    throw err;
  }
}

export async function insert(
  c: Connection,
  source: TableSource,
  o: { name: string; newSheet?: string },
  control: WriteControl = {},
): Promise<BoundTable> {
  const { result, syncedAt } = await fetchSource(c, source);
  if (result.rows.length === 0)
    throw new Error('The result is empty: there is nothing to insert, and the workbook is unchanged.');
  const data = toSheetData(result);
  return Excel.run((context) => insertTable(context, data, { ...o, source, syncedAt }, control));
}

export interface RefreshOutcome {
  name: string;
  ok: boolean;
  rows?: number;
  message?: string;
  /** The table was deleted from the workbook: its source is forgotten. */
  forgotten?: boolean;
}

/**
 * Refreshes the given exact-sync tables (by key, see keyOf; all of them by default), one after the
 * other. One failing does not stop the others; a cancel stops them all: the table being refreshed and
 * those after it stay as they were, and the outcomes say which.
 */
export async function refresh(
  c: Connection,
  keys?: readonly string[],
  control: WriteControl = {},
): Promise<RefreshOutcome[]> {
  const { tables, gone } = await Excel.run((context) => boundTables(context));
  const targets = keys ? tables.filter((t) => keys.includes(keyOf(t))) : tables;
  // Tables deleted from the workbook: forgotten, and said so once.
  const outcomes: RefreshOutcome[] = gone.map((g) => ({ name: g.name, ok: true, forgotten: true }));
  if (gone.length) await Excel.run((context) => forgetBindings(context, gone.map(keyOf)));
  for (const t of targets) {
    if (control.cancelled?.()) {
      outcomes.push({ name: t.name, ok: false, message: 'not refreshed: cancelled (unchanged)' });
      continue;
    }
    try {
      const { result, syncedAt } = await fetchSource(c, t.source);
      const data = toSheetData(result);
      const bound = await Excel.run((context) => refreshTable(context, keyOf(t), data, syncedAt, control));
      outcomes.push({ name: bound.name, ok: true, rows: bound.rows });
    } catch (err) {
      const cancelled = err instanceof CancelledError;
      outcomes.push({
        name: t.name,
        ok: false,
        message: cancelled ? 'not refreshed: cancelled (unchanged)' : err instanceof Error ? err.message : String(err),
      });
    }
  }
  // PivotTables read their source only when refreshed (as Excel's Data > Refresh All does, so do we).
  if (outcomes.some((o) => o.ok && !o.forgotten))
    await Excel.run(async (context) => {
      context.workbook.pivotTables.refreshAll();
      await context.sync();
    }).catch(() => undefined);
  return outcomes;
}

/** A PivotTable of an exact-sync table on a new sheet; what to tell the user about it. */
export async function pivotOf(key: string): Promise<string> {
  const made = await Excel.run((context) => insertPivot(context, key));
  return `PivotTable ${made.pivot} is on the sheet ${made.sheet}${made.value ? `, with the sum of ${made.value}` : ''}. Choose its rows and columns in Excel's PivotTable Fields; Refresh all brings it up to date with the table.`;
}

export async function workbookTables(): Promise<{
  tables: BoundTable[];
  selected: string | undefined;
  gone: BoundTable[];
}> {
  return Excel.run((context) => boundTables(context));
}

/** What a refresh did, in one sentence for a message bar; throws (with the same words) when a table failed. */
export function refreshSummary(outcomes: readonly RefreshOutcome[]): string {
  if (outcomes.length === 0) return 'There are no exact-sync tables in this workbook yet.';
  const failed = outcomes.filter((o) => !o.ok);
  const forgotten = outcomes.filter((o) => o.forgotten).map((o) => o.name);
  const note = forgotten.length
    ? ` ${forgotten.join(', ')} ${forgotten.length === 1 ? 'was' : 'were'} deleted from the workbook and ${forgotten.length === 1 ? 'is' : 'are'} no longer refreshed.`
    : '';
  if (failed.length) throw new Error(failed.map((f) => `${f.name}: ${f.message}`).join(' ') + note);
  const done = outcomes.filter((o) => o.ok && !o.forgotten);
  return (
    (done.length
      ? `Refreshed ${done.map((o) => `${o.name} (${o.rows?.toLocaleString()} ${o.rows === 1 ? 'row' : 'rows'})`).join(', ')}.`
      : '') + note
  ).trim();
}

/** Whether this workbook refreshes its exact-sync tables when it is opened. */
export async function refreshesOnOpen(): Promise<boolean> {
  return Excel.run((context) => readRefreshOnOpen(context));
}

/**
 * Refresh on open, on or off: kept in the workbook (Excel's settings), with Office's own setting that
 * opens the pane with the document (Office.AutoShowTaskpaneWithDocument; the manifest's pane action
 * carries that id). The pane, opened so, refreshes once it is connected.
 */
export async function setRefreshOnOpen(on: boolean): Promise<void> {
  await Excel.run((context) => writeRefreshOnOpen(context, on));
  const settings = Office.context.document.settings;
  if (on) settings.set(AUTO_SHOW, true);
  else settings.remove(AUTO_SHOW);
  await new Promise<void>((resolve, reject) =>
    settings.saveAsync((r) => (r.status === Office.AsyncResultStatus.Succeeded ? resolve() : reject(r.error))),
  );
}

const AUTO_SHOW = 'Office.AutoShowTaskpaneWithDocument';

/** The first rows of SQL, its parameters read from their cells as a refresh reads them. */
export async function preview(c: Connection, sql: string, params: readonly string[]) {
  const values = params.length ? await Excel.run((context) => readParams(context, params)) : [];
  return previewQuery(c, sql, { params: values });
}

/** The selected cell's address (the top-left one of a larger selection), e.g. Sheet1!B2, for a parameter. */
export async function selectedCellAddress(): Promise<string> {
  return Excel.run((context) => selectedCell(context));
}
