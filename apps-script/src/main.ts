import { call, type SavedQuery, type TableInfo } from './api.ts';
import { enqueue, runJob, type JobItem, type JobOutcome } from './job.ts';
import { readSettings, saveSettings, type ClientSettings } from './settings.ts';
import { sourceOf, type SheetSource } from './sheet.ts';

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
    .addItem('Refresh on a schedule…', 'showSchedule')
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

const BUSY =
  'Another refresh or insert is running in this spreadsheet (or was stopped a moment ago and goes on by itself): try again when it is done.';

/** Runs the job now; throws when another execution holds it. */
function run(startedAt: number): JobOutcome {
  const out = runJob(settings(), startedAt);
  if (out.busy) throw new Error(BUSY);
  noteFailures(out);
  return out;
}

/** Each refresh that failed says so on its sheet (A1's note), where a scheduled refresh's reader will look. */
function noteFailures(out: JobOutcome): void {
  const sheets = SpreadsheetApp.getActiveSpreadsheet().getSheets();
  for (const item of out.finished) {
    if (item.status !== 'failed' || item.sheetId === undefined) continue;
    sheets
      .find((x) => x.getSheetId() === item.sheetId)
      ?.getRange(1, 1)
      .setNote(
        `exact-sync: the refresh of ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC failed: ${item.error}. The data below is from the refresh before.`,
      );
  }
}

/** The sheets among `sheets` that were pulled from exact-sync, as job items that refresh them. */
function pulledOf(sheets: GoogleAppsScript.Spreadsheet.Sheet[]): Omit<JobItem, 'id' | 'staged' | 'status'>[] {
  return sheets.flatMap((sheet) => {
    const source = sourceOf(sheet);
    return source ? [{ sheetId: sheet.getSheetId(), source }] : [];
  });
}

/** In words: what finished, what failed, what goes on in the background. */
function summary(out: JobOutcome): { text: string; failed: string[] } {
  const done = out.finished.filter((i) => i.status === 'done').map((i) => `${i.sheetName} (${i.rows} rows)`);
  const failed = out.finished.filter((i) => i.status === 'failed').map((i) => `${i.source.label}: ${i.error}`);
  const pending = out.pending.map((i) => `${i.source.label} (${i.staged.toLocaleString()} rows so far)`);
  const parts = [
    done.length ? `Done: ${done.join(', ')}.` : '',
    pending.length ? `Going on in the background (a minute or so per step): ${pending.join(', ')}.` : '',
  ];
  return { text: parts.filter(Boolean).join(' ') || 'Nothing to do.', failed };
}

/** Inserts a table or saved query into a new sheet; the sheet appears only once it is complete. */
function insertNew(source: SheetSource): string {
  const startedAt = Date.now();
  const [item] = enqueue([{ newSheet: source.label, source }]);
  const out = run(startedAt);
  const mine = [...out.finished, ...out.pending].find((i) => i.id === item!.id);
  if (mine?.status === 'failed') throw new Error(mine.error);
  if (mine?.status === 'done') {
    SpreadsheetApp.getActiveSpreadsheet().toast(
      `${mine.rows!.toLocaleString()} rows of ${source.label} in sheet "${mine.sheetName}".`,
      TITLE,
    );
    return `Inserted ${mine.rows} rows into "${mine.sheetName}".`;
  }
  return `${source.label}: ${summary(out).text}`;
}

/** Called by the sidebar. */
export function insertTable(name: string): string {
  const { tables } = call<{ tables: TableInfo[] }>(settings(), 'get', '/api/v1/tables');
  const table = tables.find((t) => t.name === name);
  if (!table) throw new Error(`There is no table ${name} on the server.`);
  return insertNew({ kind: 'table', table: name, key: table.primaryKey, label: name });
}

/** Called by the sidebar. Only the query's id is kept: each refresh runs it as it is on the server then. */
export function insertSavedQuery(id: string): string {
  const q = call<{ id: number; name: string }>(settings(), 'get', `/api/v1/queries/${encodeURIComponent(id)}`);
  return insertNew({ kind: 'query', queryId: q.id, label: q.name });
}

/** Refreshes the given pulled sheets (as a job that goes on past 6 minutes); says what happened. */
function refreshSheets(sheets: GoogleAppsScript.Spreadsheet.Sheet[], what: string): void {
  const startedAt = Date.now();
  const pulled = pulledOf(sheets);
  if (pulled.length === 0) {
    SpreadsheetApp.getActiveSpreadsheet().toast('No sheet here was pulled from exact-sync yet.', TITLE);
    return;
  }
  enqueue(pulled);
  const { text, failed } = summary(run(startedAt));
  if (failed.length) throw new Error(`${text} These failed: ${failed.join('; ')}`);
  SpreadsheetApp.getActiveSpreadsheet().toast(`${what}: ${text}`, TITLE);
}

export function refreshThisSheet(): void {
  guarded('Refresh', () => {
    const sheet = SpreadsheetApp.getActiveSheet();
    if (!sourceOf(sheet))
      throw new Error(`Sheet "${sheet.getName()}" was not pulled from exact-sync: nothing to refresh.`);
    refreshSheets([sheet], `Refreshed "${sheet.getName()}"`);
  });
}

export function refreshAll(): void {
  guarded('Refresh all', () => refreshSheets(SpreadsheetApp.getActiveSpreadsheet().getSheets(), 'Refresh all'));
}

/** A time-based trigger's entry: the job goes on where the last execution stopped (no UI here). */
export function continueRefresh(): void {
  const out = runJob(settings(), Date.now());
  if (out.busy) return;
  noteFailures(out);
  const { text, failed } = summary(out);
  SpreadsheetApp.getActiveSpreadsheet().toast(failed.length ? `${text} Failed: ${failed.join('; ')}` : text, TITLE);
}

const SCHEDULED = 'scheduledRefresh';

/** The schedule's trigger: every pulled sheet, as Refresh all does, failures noted on their sheets. */
export function scheduledRefresh(): void {
  const startedAt = Date.now();
  const pulled = pulledOf(SpreadsheetApp.getActiveSpreadsheet().getSheets());
  if (pulled.length === 0) return;
  enqueue(pulled);
  // No UI in a trigger: a busy lock means the running job carries on; failures go onto their sheets.
  const out = runJob(settings(), startedAt);
  if (!out.busy) noteFailures(out);
}

/** Refresh on a schedule: every hour, every day (early morning), or off. One trigger at most. */
export function showSchedule(): void {
  guarded('Schedule', () => {
    const ui = SpreadsheetApp.getUi();
    const answer = ui.prompt(
      'Refresh on a schedule',
      'Refresh every pulled sheet: type "hour", "day" or "off". (A failed refresh leaves a note on its sheet.)',
      ui.ButtonSet.OK_CANCEL,
    );
    if (answer.getSelectedButton() !== ui.Button.OK) return;
    const every = answer.getResponseText().trim().toLowerCase();
    if (!['hour', 'day', 'off'].includes(every)) throw new Error(`"${every}" is not hour, day or off.`);
    for (const t of ScriptApp.getProjectTriggers())
      if (t.getHandlerFunction() === SCHEDULED) ScriptApp.deleteTrigger(t);
    if (every === 'hour') ScriptApp.newTrigger(SCHEDULED).timeBased().everyHours(1).create();
    if (every === 'day') ScriptApp.newTrigger(SCHEDULED).timeBased().everyDays(1).atHour(6).create();
    SpreadsheetApp.getActiveSpreadsheet().toast(
      every === 'off' ? 'No scheduled refresh.' : `Every pulled sheet refreshes every ${every}.`,
      TITLE,
    );
  });
}
