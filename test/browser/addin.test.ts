/// <reference types="office-js" />
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIST_DIR, ROOT_DIR } from '../../server/main.ts';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { connectAndSync, keys, startTestServer, syncNow, type TestServer } from '../helpers/server.ts';

/**
 * The real built task pane (dist/addin) in headless Chromium against a real server with the sandbox's
 * synced data. Office.js comes from Microsoft's CDN, which is not reachable here: the test answers that
 * request with the in-memory workbook (test/helpers/fakeExcel.ts, bundled for the page) behind Office
 * and Excel.run, with Excel's payload and dimension rules. Screenshots: test-output/screenshots/addin/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(ROOT_DIR, 'test-output', 'screenshots', 'addin');

let sb: RunningSandbox;
let t: TestServer;
let browser: Browser;
let page: Page;
let readKey: string;
let adminKey: string;
let connectionId: number;
let shot = 0;
const screenshot = async (name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });
const workbook = <T>(fn: string): Promise<T> => page.evaluate(`(${fn})(window.__workbook)`) as Promise<T>;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`,
    );
  if (!existsSync(path.join(DIST_DIR, 'addin', 'taskpane.html')))
    throw new Error('The add-in is not built: run npm run build (npm install does it)');
  await mkdir(SHOTS, { recursive: true });
  sb = await sandboxForFile({ divisions: 1, scale: 300, autoApprove: true });
  t = await startTestServer('addin_browser', sb);
  ({ read: readKey, admin: adminKey } = await keys(t));
  connectionId = await connectAndSync(t, adminKey);
  const fake = await build({
    entryPoints: [path.join(ROOT_DIR, 'test', 'helpers', 'fakeExcel.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'FakeExcel',
    write: false,
    target: 'es2022',
  });
  const officeJs = `${fake.outputFiles[0]!.text}
    window.__workbook = FakeExcel.FakeWorkbookState.restore(sessionStorage.getItem('workbook'));
    window.Office = FakeExcel.fakeOffice(sessionStorage.getItem('excelApi') || '1.20', window.__workbook);
    // The workbook outlives the pane (kept in sessionStorage across reloads), as a file outlives its add-in.
    window.Excel = {
      run: (fn) => Promise.resolve(fn(new FakeExcel.FakeContext(window.__workbook))).finally(() => sessionStorage.setItem('workbook', window.__workbook.dump())),
      ClearApplyTo: { contents: 'Contents', all: 'All' },
    };`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 420, height: 900 } });
  await page.route('https://appsforoffice.microsoft.com/**', (route) =>
    route.fulfill({ contentType: 'application/javascript', body: officeJs }),
  );
});
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail')
    await page
      ?.screenshot({
        path: path.join(SHOTS, `failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`),
        fullPage: true,
      })
      .catch(() => undefined);
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('the Excel task pane in a browser', () => {
  it('connect → pick a table → insert → the data changes in Exact and syncs → refresh all → the workbook holds the new data', async () => {
    await page.goto(`${t.url}/addin/taskpane.html`);
    await page.locator('input[name=api-key]').fill('esk_wrong');
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.locator('[data-message=error]').getByText('refused the API key').waitFor();
    await screenshot('wrong-key');
    await page.locator('input[name=api-key]').fill(readKey);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.getByText(/Connected to/).waitFor();
    await page.locator('tr[data-table=glaccounts]').waitFor();
    await screenshot('connected');

    await page.getByLabel('Search tables').fill('glacc');
    await page.locator('tr[data-table=glaccounts]').click();
    await page.getByRole('button', { name: 'Insert glaccounts' }).click();
    await page.getByText(/Inserted \d+ rows as table glaccounts/).waitFor();
    // Done: the pane is free for the next insert.
    await page.waitForFunction("!document.querySelector('[data-progress]')");
    expect(await page.getByRole('button', { name: 'Insert glaccounts' }).isEnabled()).toBe(true);
    await screenshot('inserted');
    const { rows } = await t.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM exact_online.glaccounts');
    const inserted = await workbook<unknown[][]>('(w) => w.tableValues("glaccounts")');
    expect(inserted).toHaveLength(rows[0]!.n + 1);
    expect(await workbook<string[]>('(w) => [...w.sheets.keys()]')).toEqual(['Sheet1', 'glaccounts']);

    // Exact changes: an account renamed, one added; exact-sync syncs it.
    const division = sb.sandbox.divisions[0]!.code;
    const first = sb.sandbox.table(division, 'GLAccounts').get(0)!;
    sb.sandbox.update(division, 'GLAccounts', String(first.ID), { Description: 'Renamed in Exact' });
    sb.sandbox.insert(division, 'GLAccounts', { Code: '9999', Description: 'Added in Exact', Type: 90 });
    await syncNow(t, adminKey, connectionId);

    // The pane opened again (the workbook is all it has), then Refresh all.
    await page.reload();
    await page.getByText(/Connected to/).waitFor();
    await page.getByRole('tab', { name: 'In this workbook' }).click();
    await page.locator('tr[data-bound=glaccounts]').waitFor();
    await screenshot('workbook-tables');
    await page.getByRole('button', { name: 'Refresh all' }).click();
    await page.getByText(/Refreshed glaccounts/).waitFor();
    await screenshot('refreshed');
    const refreshed = await workbook<unknown[][]>('(w) => w.tableValues("glaccounts")');
    expect(refreshed).toHaveLength(rows[0]!.n + 2);
    expect(refreshed.flat()).toContain('Renamed in Exact');
    expect(refreshed.flat()).toContain('Added in Exact');
  });

  it('a SQL error and an empty result show a message in the pane and leave the workbook unchanged', async () => {
    const before = await workbook<string>('(w) => JSON.stringify([[...w.sheets.keys()], w.tables])');
    await page.getByRole('tab', { name: 'SQL' }).click();
    await page.locator('textarea[name=sql]').fill('SELECT nope FROM glaccounts');
    await page.getByRole('button', { name: 'Insert result' }).click();
    await page
      .locator('[data-message=error]')
      .getByText(/column "nope" does not exist/)
      .waitFor();
    await screenshot('sql-error');
    await page.locator('textarea[name=sql]').fill('SELECT * FROM glaccounts WHERE false');
    await page.getByRole('button', { name: 'Insert result' }).click();
    await page.getByText(/result is empty/).waitFor();
    await page.locator('textarea[name=sql]').fill('SELECT code, description FROM glaccounts ORDER BY code');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('[data-preview="20"]').waitFor();
    await screenshot('sql-preview');
    expect(await workbook<string>('(w) => JSON.stringify([[...w.sheets.keys()], w.tables])')).toBe(before);
  });

  it('keeps a formula column the user added to a table through Refresh all; an Excel too old gets a message', async () => {
    const column = `(w) => {
      const t = w.tables.find((x) => x.name === 'glaccounts');
      return Array.from({ length: t.rows }, (_, r) => {
        const c = w.cell(t.sheet, t.row + r, t.column + t.columns - 1);
        return c ? (c.formula ?? c.value) : '';
      });
    }`;
    await workbook(`(w) => {
      const t = w.tables.find((x) => x.name === 'glaccounts');
      const cells = w.sheets.get(t.sheet);
      cells.set(t.row + ',' + (t.column + t.columns), { value: 'Check', format: 'General' });
      for (let r = 1; r < t.rows; r++)
        cells.set((t.row + r) + ',' + (t.column + t.columns), { value: '', formula: '=LEN([@description])', format: '0' });
      t.columns += 1;
      sessionStorage.setItem('workbook', w.dump());
    }`);
    await page.reload();
    await page.getByText(/Connected to/).waitFor();
    await page.getByRole('tab', { name: 'In this workbook' }).click();
    await page.getByRole('button', { name: 'Refresh all' }).click();
    await page.getByText(/Refreshed glaccounts/).waitFor();
    await screenshot('refreshed-with-user-column');
    const after = await workbook<string[]>(column);
    expect(after[0]).toBe('Check');
    expect(after.length).toBeGreaterThan(2);
    expect(after.slice(1).every((f) => f === '=LEN([@description])')).toBe(true);

    await page.evaluate(() => sessionStorage.setItem('excelApi', '1.8'));
    await page.reload();
    await page
      .getByRole('alert')
      .getByText(/too old for exact-sync: it needs the Excel JavaScript API 1.13/)
      .waitFor();
    await screenshot('excel-too-old');
    await page.evaluate(() => sessionStorage.removeItem('excelApi'));
  });

  it("the ribbon's Refresh all runs the same refresh, and the pane shows what it did when opened", async () => {
    const division = sb.sandbox.divisions[0]!.code;
    sb.sandbox.insert(division, 'GLAccounts', { Code: '9998', Description: 'Added for the ribbon', Type: 90 });
    await syncNow(t, adminKey, connectionId);
    // The function file, as Office loads it for an ExecuteFunction command (same origin as the pane).
    await page.goto(`${t.url}/addin/commands.html`);
    await page.waitForFunction('typeof window.refreshAll === "function"');
    await page.evaluate('new Promise((resolve) => window.refreshAll({ completed: resolve }))');
    expect((await workbook<unknown[][]>('(w) => w.tableValues("glaccounts")')).flat()).toContain(
      'Added for the ribbon',
    );
    await page.goto(`${t.url}/addin/taskpane.html`);
    await page
      .locator('[data-message=last-command]')
      .getByText(/Refresh all: Refreshed glaccounts \(\d+ rows\).*from the ribbon/)
      .waitFor();
    await screenshot('after-ribbon-refresh');
  }, 180_000);

  it("refresh on open: the switch keeps it in the workbook with Office's auto-open, and an opened pane refreshes", async () => {
    await page.goto(`${t.url}/addin/taskpane.html`);
    await page.getByText(/Connected to/).waitFor();
    await page.getByRole('tab', { name: 'In this workbook' }).click();
    await page.getByRole('switch', { name: /Refresh when this workbook opens/ }).click();
    await page.waitForFunction(
      "JSON.parse(sessionStorage.getItem('workbook')).settings.some(([k, v]) => k === 'exact-sync.refreshOnOpen' && v === true)",
    );
    const settings = await workbook<[string, unknown][]>('(w) => [...w.settings]');
    expect(settings).toEqual(
      expect.arrayContaining([
        ['exact-sync.refreshOnOpen', true],
        ['Office.AutoShowTaskpaneWithDocument', true],
      ]),
    );
    const division = sb.sandbox.divisions[0]!.code;
    sb.sandbox.insert(division, 'GLAccounts', { Code: '9997', Description: 'Added before opening', Type: 90 });
    await syncNow(t, adminKey, connectionId);
    // The workbook is opened again: Office opens the pane with it, and the pane refreshes by itself.
    await page.reload();
    await page.getByText(/On open: Refreshed glaccounts/).waitFor();
    await screenshot('refreshed-on-open');
    expect((await workbook<unknown[][]>('(w) => w.tableValues("glaccounts")')).flat()).toContain(
      'Added before opening',
    );
    await page.getByRole('tab', { name: 'In this workbook' }).click();
    await page.getByRole('switch', { name: /Refresh when this workbook opens/ }).click();
    await page.waitForFunction(
      "JSON.parse(sessionStorage.getItem('workbook')).settings.every(([k]) => k !== 'Office.AutoShowTaskpaneWithDocument')",
    );
  }, 180_000);

  it('a query parameter from a cell (picked with Selected cell): change the cell, Refresh all, new rows; then a PivotTable of it', async () => {
    await workbook(`(w) => {
      w.sheets.get('Sheet1').set('0,0', { value: 3, format: 'General' });
      w.selection = { sheet: 'Sheet1', row: 0, column: 0 };
      sessionStorage.setItem('workbook', w.dump());
    }`);
    await page.reload();
    await page.getByText(/Connected to/).waitFor();
    await page.getByRole('tab', { name: 'SQL' }).click();
    await page.locator('textarea[name=sql]').fill('SELECT code, description FROM glaccounts ORDER BY code LIMIT $1');
    await page.getByRole('button', { name: 'Selected cell' }).click();
    await page.waitForFunction("document.querySelector('input[name=param-1]')?.value === 'Sheet1!A1'");
    await page.locator('input[name=table-name]').fill('Top');
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.locator('[data-preview="3"]').waitFor();
    await screenshot('sql-parameter-from-cell');
    await page.getByRole('button', { name: 'Insert result' }).click();
    await page.getByText(/Inserted 3 rows as table Top/).waitFor();
    await page.waitForFunction("!document.querySelector('[data-progress]')");

    await workbook(
      `(w) => { w.sheets.get('Sheet1').set('0,0', { value: 5, format: 'General' }); sessionStorage.setItem('workbook', w.dump()); }`,
    );
    await page.getByRole('tab', { name: 'In this workbook' }).click();
    await page.getByRole('button', { name: 'Refresh all' }).click();
    await page.getByText(/Top \(5 rows\)/).waitFor();
    expect(await workbook<unknown[][]>('(w) => w.tableValues("Top")')).toHaveLength(6);
    await screenshot('refreshed-from-parameter-cell');

    await workbook(
      `(w) => { w.selection = { sheet: 'Top', row: 2, column: 1 }; sessionStorage.setItem('workbook', w.dump()); }`,
    );
    await page.getByRole('button', { name: 'PivotTable from the selected table' }).click();
    await page.getByText(/PivotTable Top_pivot is on the sheet Top pivot/).waitFor();
    await screenshot('pivot-made');
    expect(await workbook<unknown>('(w) => w.pivots.map((p) => [p.name, p.sheet, p.cache.length])')).toEqual([
      ['Top_pivot', 'Top pivot', 6],
    ]);
  }, 180_000);
});
