import type { QueryResult } from '../../server/api/types.ts';
import { planSheet, sheetRows } from '../../client-contract/sheetsPlan.ts';
import { savedQueryRows, tablePage } from './api.ts';
import type { ClientSettings } from './settings.ts';
import { checkRoomForNewSheet, swapIn, type SheetSource } from './sheet.ts';

/**
 * Inserts and refreshes as a job that survives Apps Script's 6-minute executions. Each sheet's data is
 * fetched in pages (keyset paging of a table: a page is far under UrlFetchApp's 50 MB) and written into
 * a hidden staging sheet; only when it is complete does it replace the target's data in one copy, so a
 * stopped execution never leaves a half-written sheet. The job's state lives in document properties:
 * when an execution's time is nearly spent, a trigger continues the job a moment later, in an
 * execution of its own. The document lock keeps two refreshes from running at once.
 */

export interface JobItem {
  id: number;
  /** A refresh: the sheet (by id). An insert: the name wanted for the new sheet. */
  sheetId?: number;
  newSheet?: string;
  source: SheetSource;
  /** The staging sheet's name, once made. */
  staging?: string;
  /** Data rows staged so far. */
  staged: number;
  /** The keyset cursor of the next page; null once everything is fetched. */
  after?: unknown[] | null;
  /** Staged values' timing: ms per cell written, to tell whether the swap fits in what is left. */
  msPerCell?: number;
  status: 'pending' | 'done' | 'failed';
  rows?: number;
  error?: string;
  sheetName?: string;
}

const JOB = 'exact-sync.job';
const ITEM = 'exact-sync.job.';
/** An execution stops starting work after this (Apps Script stops it at 6 minutes). */
export const BUDGET_MS = 270_000;
const CONTINUE = 'continueRefresh';
/** Cells a page of a table holds at most (tens of MB of JSON at most; UrlFetchApp takes 50 MB). */
const PAGE_CELLS = 150_000;

const props = () => PropertiesService.getDocumentProperties();

function itemIds(): number[] {
  const text = props().getProperty(JOB);
  return text ? (JSON.parse(text) as number[]) : [];
}
function readItem(id: number): JobItem | undefined {
  const text = props().getProperty(ITEM + id);
  return text ? (JSON.parse(text) as JobItem) : undefined;
}
function saveItem(item: JobItem): void {
  props().setProperty(ITEM + item.id, JSON.stringify(item));
}

/** Adds work to the job (each item in a property of its own: a value holds at most 9 kB). */
export function enqueue(items: Omit<JobItem, 'id' | 'staged' | 'status'>[]): JobItem[] {
  const ids = itemIds();
  const next = Math.max(0, ...ids) + 1;
  const made = items.map((x, i) => ({ ...x, id: next + i, staged: 0, status: 'pending' as const }));
  for (const item of made) saveItem(item);
  props().setProperty(JOB, JSON.stringify([...ids, ...made.map((m) => m.id)]));
  return made;
}

export interface JobOutcome {
  /** Items finished (done or failed) in this execution or before, not yet reported. */
  finished: JobItem[];
  /** Items still to do; a trigger continues them. */
  pending: JobItem[];
  /** Another execution holds the lock. */
  busy?: boolean;
}

/**
 * Works on the job until it is done or this execution's time is nearly spent (then a trigger continues
 * it). `startedAt` is when this execution began (Date.now() at its entry point).
 */
export function runJob(s: ClientSettings, startedAt: number): JobOutcome {
  const lock = LockService.getDocumentLock();
  if (!lock.tryLock(2000)) return { finished: [], pending: [], busy: true };
  try {
    // Read once: work() changes an item in place and saves it, so the list stays current.
    const items = itemIds().flatMap((id) => readItem(id) ?? []);
    for (const item of items) {
      if (item.status !== 'pending') continue;
      if (!work(s, item, startedAt)) break;
    }
    const pending = items.filter((i) => i.status === 'pending');
    const finished = items.filter((i) => i.status !== 'pending');
    if (pending.length) continueLater();
    else clearJob(items);
    return { finished, pending };
  } finally {
    lock.releaseLock();
  }
}

/** Forgets a finished job: its items and its staging sheets. */
function clearJob(items: JobItem[]): void {
  for (const item of items) props().deleteProperty(ITEM + item.id);
  props().deleteProperty(JOB);
}

/** One continuation trigger, a moment from now (an old one replaced). */
function continueLater(): void {
  for (const t of ScriptApp.getProjectTriggers()) if (t.getHandlerFunction() === CONTINUE) ScriptApp.deleteTrigger(t);
  ScriptApp.newTrigger(CONTINUE).timeBased().after(1000).create();
}

/** Stages pages of `item`, then swaps it in, while time allows; false when time ran out first. */
function work(s: ClientSettings, item: JobItem, startedAt: number): boolean {
  const left = () => BUDGET_MS - (Date.now() - startedAt);
  try {
    while (item.after !== null) {
      const t0 = Date.now();
      stagePage(s, item);
      saveItem(item);
      // The next page would take about as long as this one did.
      if (item.after !== null && left() < 2 * (Date.now() - t0)) return false;
    }
    const width = stagingSheet(item).getLastColumn();
    const swapMs = (item.staged + 1) * width * (item.msPerCell ?? 0.1);
    if (left() < swapMs * 1.5 && Date.now() - startedAt > 5000) return false;
    const done = swapIn(stagingSheet(item), item);
    Object.assign(item, { status: 'done', rows: done.rows, sheetName: done.sheetName });
    saveItem(item);
    return true;
  } catch (err) {
    if (/Exceeded maximum execution time/.test(String(err))) throw err;
    Object.assign(item, { status: 'failed', error: err instanceof Error ? err.message : String(err) });
    dropStaging(item);
    saveItem(item);
    return true;
  }
}

function stagingSheet(item: JobItem): GoogleAppsScript.Spreadsheet.Sheet {
  const ss = SpreadsheetApp.getActiveSpreadsheet();
  if (item.staging) {
    const found = ss.getSheetByName(item.staging);
    if (found) return found;
  }
  item.staging = `exact-sync staging ${item.id}`;
  checkRoomForNewSheet({ rows: 1000, columns: 26 });
  // insertSheet makes the new sheet the active one: the user stays where they were.
  const active = ss.getActiveSheet();
  const made = ss.insertSheet(item.staging);
  made.hideSheet();
  ss.setActiveSheet(active);
  return made;
}

function dropStaging(item: JobItem): void {
  const ss = SpreadsheetApp.getActiveSpreadsheet();
  const staging = item.staging ? ss.getSheetByName(item.staging) : null;
  if (staging) ss.deleteSheet(staging);
}

/** Fetches the next page and appends it to the staging sheet (header and column formats with the first). */
function stagePage(s: ClientSettings, item: JobItem): void {
  const source = item.source;
  let result: QueryResult;
  if (source.kind === 'table') {
    const width = item.staged ? stagingSheet(item).getLastColumn() : 0;
    // Without the table's key (a sheet pulled by an older version) there is no paging: one fetch.
    const limit = !source.key?.length
      ? 1_000_000
      : width
        ? Math.max(100, Math.min(20_000, Math.floor(PAGE_CELLS / width)))
        : 1000;
    result = tablePage(s, source.table!, { ...(item.after ? { after: item.after } : {}), limit });
    item.after = result.rows.length < limit ? null : keyOf(result, source);
  } else {
    result = savedQueryRows(s, source.queryId!, 1_000_000);
    item.after = null;
  }
  if (item.staged === 0 && result.rows.length === 0 && item.newSheet !== undefined)
    throw new Error(`${source.label} has no rows: nothing was inserted.`);
  const sheet = stagingSheet(item);
  const plan = planSheet(result);
  const rows = sheetRows(plan, SpreadsheetApp.getActiveSpreadsheet().getSpreadsheetTimeZone());
  const width = plan.header.length;
  const need = { rows: item.staged + rows.length + 1, columns: width };
  if (sheet.getMaxColumns() > width) sheet.deleteColumns(width + 1, sheet.getMaxColumns() - width);
  if (sheet.getMaxColumns() < width) sheet.insertColumnsAfter(sheet.getMaxColumns(), width - sheet.getMaxColumns());
  if (sheet.getMaxRows() < need.rows) sheet.insertRowsAfter(sheet.getMaxRows(), need.rows - sheet.getMaxRows());
  if (item.staged === 0) sheet.getRange(1, 1, 1, width).setValues([plan.header]);
  if (rows.length) {
    const t0 = Date.now();
    plan.formats.forEach((f, i) => {
      if (f) sheet.getRange(item.staged + 2, i + 1, rows.length, 1).setNumberFormat(f);
    });
    sheet.getRange(item.staged + 2, 1, rows.length, width).setValues(rows);
    item.msPerCell = Math.max(0.001, (Date.now() - t0) / (rows.length * width));
  }
  item.staged += rows.length;
}

/** The key of a page's last row: the values of the table's primary-key columns (recorded with the source). */
function keyOf(result: QueryResult, source: SheetSource): unknown[] {
  const last = result.rows[result.rows.length - 1]!;
  const key = source.key ?? [];
  return key.map((k) => last[result.columns.findIndex((c) => c.name === k)]);
}
