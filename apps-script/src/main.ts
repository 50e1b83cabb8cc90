import { call, runQuery, tableRows, type SavedQuery, type TableInfo } from './api.ts';
import { readSettings, saveSettings, type ClientSettings } from './settings.ts';
import { checkRoomForNewSheet, freeSheetName, sourceOf, writeResult, type SheetSource } from './sheet.ts';

/*
 * Global functions only: Apps Script calls these by name, from the menu and from the sidebar
 * (google.script.run). Logic lives in the modules beside this one. Errors end in an alert, or for the
 * sidebar's calls, in the sidebar (google.script.run's failure handler shows the message).
 */

const TITLE = 'Exact Online';

export function onOpen(): void {
  SpreadsheetApp.getUi()
    .createMenu(TITLE)
    .addItem('Settings…', 'showSettings')
    .addItem('Insert table…', 'showInsertTable')
    .addItem('Insert saved query…', 'showInsertQuery')
    .addSeparator()
    .addItem('Refresh this sheet', 'refreshThisSheet')
    .addItem('Refresh all', 'refreshAll')
    .addToUi();
}

export function showSettings(): void {
  const ui = SpreadsheetApp.getUi();
  const props = PropertiesService.getUserProperties();
  const current = readSettings(props);
  const url = ui.prompt(
    'exact-sync server',
    `Server URL${current ? ` (now ${current.serverUrl})` : ''}:`,
    ui.ButtonSet.OK_CANCEL,
  );
  if (url.getSelectedButton() !== ui.Button.OK) return;
  const key = ui.prompt(
    'exact-sync API key',
    'API key (a read key from the exact-sync console):',
    ui.ButtonSet.OK_CANCEL,
  );
  if (key.getSelectedButton() !== ui.Button.OK) return;
  const problem = saveSettings(props, { serverUrl: url.getResponseText(), apiKey: key.getResponseText() });
  if (problem) {
    ui.alert('Settings not saved', problem, ui.ButtonSet.OK);
    return;
  }
  try {
    call(readSettings(props)!, 'get', '/api/v1/me');
    SpreadsheetApp.getActiveSpreadsheet().toast('Connected to exact-sync; settings saved.', TITLE);
  } catch (err) {
    ui.alert('Settings saved, but the server cannot be used yet', message(err), ui.ButtonSet.OK);
  }
}

function settings(): ClientSettings {
  const s = readSettings(PropertiesService.getUserProperties());
  if (!s)
    throw new Error(
      'exact-sync is not set up yet: choose Exact Online → Settings… and enter the server URL and an API key.',
    );
  return s;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs a menu action; a failure becomes an alert instead of Apps Script's bare error bar. */
function guarded(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    SpreadsheetApp.getUi().alert(`${what} failed`, message(err), SpreadsheetApp.getUi().ButtonSet.OK);
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A sidebar of choices. Ids travel in data- attributes (escaped), never inside script; every button is
 * disabled while one runs, so a double click inserts once.
 */
function sidebar(title: string, items: { id: string; label: string; detail: string }[], action: string): void {
  const list = items
    .map(
      (i) =>
        `<li><button data-id="${escapeHtml(i.id)}">${escapeHtml(i.label)}</button> <small>${escapeHtml(i.detail)}</small></li>`,
    )
    .join('');
  const html = `<!doctype html><html><body style="font-family:Arial,sans-serif;font-size:13px">
<p>Pick one; it goes into a new sheet.</p><ul style="list-style:none;padding:0">${list}</ul><p id="status"></p>
<script>
var buttons = Array.prototype.slice.call(document.querySelectorAll('button[data-id]'));
function busy(on) { buttons.forEach(function (b) { b.disabled = on; }); }
function say(text) { document.getElementById('status').textContent = text; busy(false); }
buttons.forEach(function (button) {
  button.addEventListener('click', function () {
    busy(true);
    document.getElementById('status').textContent = 'Inserting…';
    google.script.run.withSuccessHandler(say).withFailureHandler(function (e) { say(e.message); })[${JSON.stringify(action)}](button.getAttribute('data-id'));
  });
});
</script></body></html>`;
  SpreadsheetApp.getUi().showSidebar(HtmlService.createHtmlOutput(html).setTitle(title));
}

export function showInsertTable(): void {
  guarded('Insert table', () => {
    const { tables } = call<{ tables: TableInfo[] }>(settings(), 'get', '/api/v1/tables');
    sidebar(
      'Insert an Exact Online table',
      tables.map((t) => ({
        id: t.name,
        label: t.name,
        detail: `${t.rows.toLocaleString()} rows${t.lastSyncAt ? `, synced ${t.lastSyncAt.slice(0, 16).replace('T', ' ')}` : ''}`,
      })),
      'insertTable',
    );
  });
}

export function showInsertQuery(): void {
  guarded('Insert saved query', () => {
    const { queries } = call<{ queries: SavedQuery[] }>(settings(), 'get', '/api/v1/queries');
    if (queries.length === 0)
      throw new Error('There are no saved queries yet: save one with POST /api/v1/queries (an admin key).');
    sidebar(
      'Insert a saved query',
      queries.map((q) => ({ id: String(q.id), label: q.name, detail: q.description })),
      'insertSavedQuery',
    );
  });
}

/** A saved query is read again at every refresh: a change to it reaches every sheet pulled from it. */
function pull(source: SheetSource, sheet: GoogleAppsScript.Spreadsheet.Sheet): number {
  const s = settings();
  const sql =
    source.queryId === undefined
      ? source.sql
      : call<{ sql: string }>(s, 'get', `/api/v1/queries/${source.queryId}`).sql;
  const result = source.kind === 'table' ? tableRows(s, source.table!) : runQuery(s, sql!);
  return writeResult(sheet, result, { ...source, ...(sql === undefined ? {} : { sql }) });
}

function insertInto(source: SheetSource): string {
  const spreadsheet = SpreadsheetApp.getActiveSpreadsheet();
  const s = settings();
  // Fetch first: a failing query adds no empty sheet.
  const result = source.kind === 'table' ? tableRows(s, source.table!) : runQuery(s, source.sql!);
  if (result.rows.length === 0) throw new Error(`${source.label} has no rows: nothing was inserted.`);
  checkRoomForNewSheet(result);
  const sheet = spreadsheet.insertSheet(freeSheetName(spreadsheet, source.label));
  let rows: number;
  try {
    rows = writeResult(sheet, result, source, { fresh: true });
  } catch (err) {
    // Nothing half-made stays: the sheet made for it goes.
    spreadsheet.deleteSheet(sheet);
    throw err;
  }
  spreadsheet.toast(`${rows.toLocaleString()} rows of ${source.label} in sheet "${sheet.getName()}".`, TITLE);
  return `Inserted ${rows} rows into "${sheet.getName()}".`;
}

/** Called by the sidebar. */
export function insertTable(name: string): string {
  return insertInto({ kind: 'table', table: name, label: name });
}

/** Called by the sidebar. */
export function insertSavedQuery(id: string): string {
  const q = call<{ id: number; name: string; sql: string }>(
    settings(),
    'get',
    `/api/v1/queries/${encodeURIComponent(id)}`,
  );
  return insertInto({ kind: 'query', queryId: q.id, sql: q.sql, label: q.name });
}

export function refreshThisSheet(): void {
  guarded('Refresh', () => {
    const sheet = SpreadsheetApp.getActiveSheet();
    const source = sourceOf(sheet);
    if (!source) throw new Error(`Sheet "${sheet.getName()}" was not pulled from exact-sync: nothing to refresh.`);
    const rows = pull(source, sheet);
    SpreadsheetApp.getActiveSpreadsheet().toast(
      `Refreshed "${sheet.getName()}": ${rows.toLocaleString()} rows.`,
      TITLE,
    );
  });
}

export function refreshAll(): void {
  guarded('Refresh all', () => {
    const done: string[] = [];
    const failed: string[] = [];
    for (const sheet of SpreadsheetApp.getActiveSpreadsheet().getSheets()) {
      const source = sourceOf(sheet);
      if (!source) continue;
      try {
        pull(source, sheet);
        done.push(sheet.getName());
      } catch (err) {
        failed.push(`${sheet.getName()}: ${message(err)}`);
      }
    }
    if (failed.length) throw new Error(`Refreshed ${done.length} sheet(s); these failed: ${failed.join('; ')}`);
    SpreadsheetApp.getActiveSpreadsheet().toast(
      done.length ? `Refreshed ${done.join(', ')}.` : 'No sheet here was pulled from exact-sync yet.',
      TITLE,
    );
  });
}
