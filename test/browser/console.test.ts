import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIST_DIR, ROOT_DIR } from '../../server/main.ts';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { apiCall, keys, startTestServer, syncNow, type TestServer } from '../helpers/server.ts';

/**
 * A person connecting Exact Online in the real console, in headless Chromium (Debian's chromium,
 * driven by playwright-core): first-start password → connect → authorize on the sandbox's page → pick
 * two of three divisions → the sync runs → the tables page shows row counts. Screenshots of each page
 * go to test-output/screenshots/console/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(ROOT_DIR, 'test-output', 'screenshots', 'console');

let sb: RunningSandbox;
let t: TestServer;
let browser: Browser;
let page: Page;
let shot = 0;
const screenshot = async (name: string) =>
  page.screenshot({ path: path.join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`), fullPage: true });

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium; .ci/run does) or set CHROMIUM_PATH`,
    );
  if (!existsSync(path.join(DIST_DIR, 'console', 'index.html')))
    throw new Error('The console is not built: run npm run build (npm install does it)');
  await mkdir(SHOTS, { recursive: true });
  sb = await sandboxForFile({ divisions: 3, scale: 400, autoApprove: false });
  t = await startTestServer('browser', sb);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});
afterEach(async (ctx) => {
  // What the page showed when a step failed, beside the other screenshots.
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

describe('the web console in a browser', () => {
  it('clicks through: set password → connect → authorize → two of three divisions → sync → row counts', async () => {
    // First start: the setup code the server printed.
    await page.goto(`${t.url}/`);
    await page.getByText('Welcome to exact-sync').waitFor();
    await screenshot('setup');
    await page.locator('input[name=code]').fill(t.server.services.setup!.code);
    await page.locator('input[name=password]').fill('a long admin password');
    await page.locator('input[name=password-again]').fill('a long admin password');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByText('No Exact Online connection yet').waitFor();
    expect(new URL(page.url()).pathname).toBe('/connections');
    await screenshot('connections-empty');

    await page.getByRole('button', { name: 'Connect Exact Online' }).click();
    await page.getByText('Country of your Exact Online').waitFor();
    await page.locator('select[name=country]').selectOption('be');
    await page.locator('select[name=start_year]').selectOption(String(new Date().getFullYear() - 1));
    await screenshot('connect-form');
    await page.getByRole('button', { name: 'Connect Exact Online' }).click();

    // Exact's (the sandbox's) sign-in and consent page.
    await page.waitForURL(`${sb.url}/**`);
    await page.locator('input[name=password]').waitFor();
    await screenshot('exact-consent');
    await page.locator('input[name=password]').fill('demo');
    await page.getByRole('button', { name: 'Authorize' }).click();

    // Back in the console: choose two of the three divisions.
    await page.getByText('Exact Online is connected').waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/connections\/\d+\/divisions$/);
    const rows = page.locator('tr[data-division]');
    await expect.poll(() => rows.count()).toBe(3);
    await screenshot('divisions-choose');
    const codes = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-division'))));
    const chosen = codes.slice(0, 2);
    for (const code of chosen) await page.locator(`tr[data-division="${code}"] input[type=checkbox]`).check();
    await page.getByText('2 of 3 selected').waitFor();
    await page.getByRole('button', { name: 'Save and sync now' }).click();
    await page.getByText('syncing 2 divisions now').waitFor();

    // The sync runs; the page follows it live until both chosen divisions succeeded.
    await expect
      .poll(() => page.locator('tr[data-division] [data-status="succeeded"]').count(), { timeout: 60_000 })
      .toBe(2);
    for (const code of chosen)
      expect(await page.locator(`tr[data-division="${code}"] [data-status="succeeded"]`).count()).toBe(1);
    const other = codes.find((c) => !chosen.includes(c))!;
    expect(await page.locator(`tr[data-division="${other}"]`).textContent()).toContain('not synced');
    await screenshot('divisions-synced');

    await page.getByRole('button', { name: 'Tables' }).click();
    await page.locator('tr[data-table="transactionlines"]').waitFor();
    const { rows: counted } = await t.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM exact_online.transactionlines',
    );
    expect(counted[0]!.n).toBeGreaterThan(0);
    await expect
      .poll(() => page.locator('tr[data-table="transactionlines"] [data-rows]').getAttribute('data-rows'))
      .toBe(String(counted[0]!.n));
    const { rows: divisions } = await t.db.pool.query<{ division: number }>(
      'SELECT DISTINCT division FROM exact_online.transactionlines ORDER BY 1',
    );
    expect(divisions.map((d) => d.division)).toEqual([...chosen].sort((a, b) => a - b));
    await screenshot('tables');

    // The picker: tables grouped by area, the finance core on, the rest a click away, found by searching.
    expect(await page.locator('tr[data-area]').count()).toBeGreaterThanOrEqual(8);
    await page.getByLabel('Search tables').fill('employ');
    await expect.poll(() => page.locator('tr[data-table]').count()).toBeGreaterThanOrEqual(6);
    for (const row of await page.locator('tr[data-table]').all())
      expect(await row.getAttribute('data-table')).toMatch(/employ/);
    const employees = page.getByRole('switch', { name: 'Sync employees' });
    expect(await employees.isChecked()).toBe(false);
    await employees.click();
    await expect.poll(() => employees.isChecked()).toBe(true);
    await screenshot('table-picker');
    const { rows: on } = await t.db.pool.query<{ enabled: boolean }>(
      `SELECT enabled FROM exact_sync.connection_tables WHERE table_name = 'employees'`,
    );
    expect(on).toEqual([{ enabled: true }]);
    await page.getByLabel('Search tables').fill('');

    await page.getByRole('link', { name: 'Runs' }).first().click();
    await page.locator('tr[data-run]').first().waitFor();
    expect(await page.locator('tr[data-run]').count()).toBe(2);
    await screenshot('runs');
  });

  it('shows a field Exact stopped serving (the sync went on without it), and asks for it again on request', async () => {
    const { rows } = await t.db.pool.query<{ id: number }>('SELECT id FROM exact_sync.connections');
    const id = rows[0]!.id;
    const { rows: synced } = await t.db.pool.query<{ division: number }>(
      'SELECT DISTINCT division FROM exact_online.accounts ORDER BY 1 LIMIT 1',
    );
    const division = synced[0]!.division;
    // Exact drops Website from its AccountSync type; an account changes, so the next run asks for it.
    sb.sandbox.drift.drop('sync/CRM/Accounts', 'Website');
    const account = sb.sandbox.table(division, 'Accounts').get(0)!;
    sb.sandbox.update(division, 'Accounts', String(account.ID), { Name: 'Renamed in Exact' });
    const admin = (await keys(t)).admin;
    await syncNow(t, admin, id);
    // The API says so too, with Exact's words.
    const info = await apiCall(t, admin, 'GET', `/connections/${id}`);
    expect(info.body.droppedFields).toEqual([
      {
        endpoint: 'sync/CRM/Accounts',
        field: 'Website',
        message: "Type 'Exact.Web.Api.Models.AccountSync' does not have a property named 'Website'.",
        droppedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
    ]);
    const { rows: renamed } = await t.db.pool.query<{ name: string; website: string | null }>(
      'SELECT name, website FROM exact_online.accounts WHERE id = $1',
      [account.ID],
    );
    expect(renamed[0]).toEqual({ name: 'Renamed in Exact', website: null });
    await page.goto(`${t.url}/connections/${id}/tables`);
    await page.locator('[data-dropped-field="sync/CRM/Accounts:Website"]').waitFor();
    expect(await page.locator('[data-dropped-field="sync/CRM/Accounts:Website"]').textContent()).toContain(
      "does not have a property named 'Website'",
    );
    await screenshot('dropped-field');
    await page.getByRole('button', { name: 'Ask again on the next sync' }).click();
    await page.locator('[data-dropped-fields]').waitFor({ state: 'detached' });
    const { rows: left } = await t.db.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM exact_sync.dropped_fields',
    );
    expect(left[0]!.n).toBe(0);
    sb.sandbox.drift.restore('sync/CRM/Accounts', 'Website');
  });

  it('browses transactionlines in Data: sorts by a column, filters it, and pages to the end a page at a time', async () => {
    const admin = (await keys(t)).admin;
    const listed = await apiCall(t, admin, 'GET', '/tables');
    const lines = listed.body.tables.find((x: { name: string }) => x.name === 'transactionlines');
    const key = (lines.primaryKey as string[]).join(', ');
    await page.goto(`${t.url}/connections`);
    await page.getByRole('link', { name: 'Data' }).click();
    await page.getByRole('button', { name: /^transactionlines/ }).click();
    const status = page.locator('[data-status]');
    await expect.poll(() => status.textContent()).toMatch(/^Rows 1–100$/);
    await screenshot('data-transactionlines');
    // The values of a column on the page shown, read from the grid.
    const shown = (column: string) =>
      page.$$eval(
        'table[aria-label="Rows of transactionlines"]',
        ([table], name) => {
          const heads = [...table!.querySelectorAll('thead tr:first-child th')].map((h) =>
            h.textContent!.replace(/ [▲▼]$/, ''),
          );
          const at = heads.indexOf(name);
          return [...table!.querySelectorAll('tbody tr')].map((r) => r.children[at]!.textContent!);
        },
        column,
      );
    await page.getByRole('columnheader', { name: 'amountdc' }).click();
    await page.getByLabel('Filter amountdc').fill('>0');
    await page.getByLabel('Filter amountdc').press('Enter');
    const { rows: want } = await t.db.pool.query<{ id: string }>(
      `SELECT id::text FROM exact_online.transactionlines WHERE amountdc > 0 ORDER BY amountdc, ${key}`,
    );
    expect(want.length).toBeGreaterThan(150);
    const seen: string[] = [];
    for (let pageNo = 0; ; pageNo++) {
      const first = pageNo * 100 + 1;
      await expect
        .poll(() => status.textContent())
        .toMatch(
          first > want.length ? /^No rows$/ : new RegExp(`^Rows ${first.toLocaleString('en-US')}–.* \\(filtered\\)$`),
        );
      seen.push(...(await shown('id')));
      const next = page.getByRole('button', { name: 'Next' });
      if (await next.isDisabled()) break;
      await next.click();
    }
    await screenshot('data-last-page');
    expect(seen).toEqual(want.map((r) => r.id));
    // The column chooser: a column switched off leaves the grid and the download, the rest stay.
    const heads = () =>
      page.$$eval('table[aria-label="Rows of transactionlines"] thead tr:first-child th', (hs) =>
        hs.map((h) => h.textContent!.replace(/ [▲▼]$/, '')),
      );
    expect(await heads()).toContain('account');
    await page.getByRole('button', { name: /^Columns/ }).click();
    await page.getByRole('menuitemcheckbox', { name: 'account', exact: true }).click();
    await page.keyboard.press('Escape');
    await expect.poll(heads).not.toContain('account');
    expect(await heads()).toContain('amountdc');
    await expect.poll(() => shown('amountdc').then((v) => v.length)).toBeGreaterThan(0);
    expect(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toMatch(
      /columns=[^&]*amountdc/,
    );
    expect(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).not.toMatch(
      /columns=[^&]*%2Caccount%2C/,
    );
    await screenshot('data-columns');
  });

  it('jumps to the last page of a 100,000-row table and pages back from it, sorted and filtered too', async () => {
    await t.db.pool.query(`CREATE TABLE exact_online.big_lines (id integer PRIMARY KEY, amount numeric, note text)`);
    await t.db.pool.query(
      `INSERT INTO exact_online.big_lines SELECT n, (n % 997) - 500, CASE WHEN n % 10 = 0 THEN NULL ELSE 'line ' || n END
       FROM generate_series(1, 100000) n`,
    );
    await t.db.pool.query('ANALYZE exact_online.big_lines');
    const ids = async (where: string, orderBy: string) =>
      (
        await t.db.pool.query<{ id: number }>(
          `SELECT id FROM (SELECT id, amount FROM exact_online.big_lines ${where} ORDER BY ${orderBy.replace(/\w+/g, '$& DESC')} LIMIT 200) x ORDER BY ${orderBy}`,
        )
      ).rows.map((r) => String(r.id));
    const shownIds = () =>
      page.$$eval('table[aria-label="Rows of big_lines"] tbody tr', (trs) =>
        trs.map((tr) => tr.children[0]!.textContent!),
      );
    const status = page.locator('[data-status]');
    await page.goto(`${t.url}/data?table=big_lines`);
    await expect.poll(() => status.textContent()).toBe('Rows 1–100');
    const byId = await ids('', 'id');
    await page.getByRole('button', { name: 'Last page' }).click();
    await expect.poll(() => status.textContent()).toBe('Rows 1–100 from the end');
    expect(await shownIds()).toEqual(byId.slice(100));
    await screenshot('data-last-page-of-100k');
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => status.textContent()).toBe('Rows 101–200 from the end');
    expect(await shownIds()).toEqual(byId.slice(0, 100));
    await page.getByRole('button', { name: 'Next' }).click();
    await expect.poll(() => status.textContent()).toBe('Rows 1–100 from the end');
    expect(await page.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    // Sorted by a column of repeated values, filtered on NULLs: the last page is still the query's last rows.
    await page.getByRole('columnheader', { name: 'amount' }).click();
    await page.getByLabel('Filter note').fill('empty');
    await page.getByLabel('Filter note').press('Enter');
    await expect.poll(() => status.textContent()).toBe('Rows 1–100 (filtered)');
    await page.getByRole('button', { name: 'Last page' }).click();
    await expect.poll(() => status.textContent()).toBe('Rows 1–100 from the end (filtered)');
    expect(await shownIds()).toEqual((await ids('WHERE note IS NULL', 'amount, id')).slice(100));
    await page.getByRole('button', { name: 'Previous' }).click();
    await expect.poll(() => status.textContent()).toBe('Rows 101–200 from the end (filtered)');
    expect(await shownIds()).toEqual((await ids('WHERE note IS NULL', 'amount, id')).slice(0, 100));
  });

  it('loads under 300 KB of compressed JavaScript for the home page; the editor and charts only on their pages', async () => {
    const scripts = () =>
      page.evaluate(() =>
        performance
          .getEntriesByType('resource')
          .filter((e) => e.name.endsWith('.js'))
          .map((e) => {
            const r = e as unknown as { name: string; encodedBodySize: number; decodedBodySize: number };
            return { name: new URL(r.name).pathname, encoded: r.encodedBodySize, decoded: r.decodedBodySize };
          }),
      );
    await page.goto(`${t.url}/connections`);
    await expect.poll(() => page.getByRole('heading', { name: 'Connections' }).count()).toBe(1);
    const home = await scripts();
    // The home page's health panel: 14 days of calls, today's bar the busiest division's calls so far.
    const { rows: today } = await t.db.pool.query<{ calls: number }>(
      `SELECT coalesce(max(n), 0)::int AS calls FROM (SELECT sum(api_calls) AS n FROM exact_sync.runs
       WHERE started_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' GROUP BY division) d`,
    );
    const bars = page.locator('[data-calls-chart] rect');
    await expect.poll(() => bars.count()).toBe(14);
    expect(today[0]!.calls).toBeGreaterThan(0);
    expect(await bars.last().locator('title').textContent()).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\d: ${today[0]!.calls.toLocaleString('en-US')} calls in the busiest division`),
    );
    await screenshot('home-health');
    // Near-real-time cannot be turned on without the app's webhook secret, and the card says why.
    await page.locator('[data-near-real-time="off"]').getByRole('button', { name: 'Turn on' }).click();
    await expect
      .poll(() => page.locator('[data-near-real-time] [data-error-code]').getAttribute('data-error-code'))
      .toBe('webhooks_off');
    const kb = (list: { encoded: number }[]) => Math.round(list.reduce((s, x) => s + x.encoded, 0) / 1024);
    expect(home.map((s) => s.name)).toEqual([expect.stringMatching(/^\/static\/console\.[0-9a-f]{8}\.js$/)]);
    // Compressed on the wire (brotli or gzip, as the build left it beside the script).
    expect(home[0]!.encoded).toBeLessThan(home[0]!.decoded / 2);
    expect(kb(home)).toBeLessThan(300);
    await page.getByRole('link', { name: 'SQL' }).click();
    await expect.poll(() => page.locator('.cm-content').count()).toBe(1);
    const sql = (await scripts()).filter((s) => !home.some((h) => h.name === s.name));
    expect(sql.some((s) => s.name.startsWith('/static/sql.'))).toBe(true);
    expect(sql.some((s) => s.name.startsWith('/static/charts.'))).toBe(false);
    console.log(
      `console JavaScript, compressed: home page ${kb(home)} KB (${Math.round(home[0]!.decoded / 1024)} KB unpacked); ` +
        `the SQL page adds ${kb(sql)} KB in ${sql.length} files`,
    );
  });

  it('SQL: completes columns, marks a syntax error, runs a good query, charts it, saves it with its chart', async () => {
    await page.goto(`${t.url}/connections`);
    await page.getByRole('link', { name: 'SQL' }).click();
    const editor = page.locator('.cm-content');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    // Completion: the columns of the table the query reads, offered bare.
    await page.keyboard.type('SELECT  FROM transactionlines');
    await page.keyboard.press('Home');
    for (let i = 0; i < 'SELECT '.length; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.type('amou');
    const options = page.locator('.cm-tooltip-autocomplete li');
    await expect.poll(() => options.allTextContents()).toContainEqual(expect.stringContaining('amountdc'));
    await screenshot('sql-completion');
    await page.keyboard.press('Escape');

    const replace = async (sql: string) => {
      await editor.click();
      await page.keyboard.press('ControlOrMeta+a');
      await page.keyboard.press('Delete');
      await page.keyboard.insertText(sql);
    };
    // A syntax error: the message, and the place marked in the text.
    await replace('SELECT amountdc\nFROM transactionlines\nWHER amountdc > 0');
    await page.keyboard.press('ControlOrMeta+Enter');
    await expect.poll(() => page.locator('[data-error-code]').getAttribute('data-error-code')).toBe('query_syntax');
    await expect.poll(() => page.locator('.cm-lintRange-error').textContent()).toBe('amountdc');
    await screenshot('sql-syntax-error');

    // A good query: the grid holds what PostgreSQL answers.
    const sql =
      'SELECT financialperiod AS period, sum(abs(amountdc)) AS total\nFROM transactionlines\nGROUP BY 1\nORDER BY 1';
    await replace(sql);
    await page.getByRole('button', { name: /^Run/ }).click();
    await expect.poll(() => page.locator('[data-run-status]').textContent()).toMatch(/^\d+ rows in [\d.]+ s$/);
    expect(await page.locator('.cm-lintRange-error').count()).toBe(0);
    const { rows: want } = await t.db.pool.query<{ period: number; total: string }>(
      `SELECT financialperiod AS period, sum(abs(amountdc))::text AS total FROM exact_online.transactionlines GROUP BY 1 ORDER BY 1`,
    );
    const grid = await page.$$eval('table[aria-label="Result"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.children].map((td) => td.textContent)),
    );
    expect(grid.map((r) => [Number(r[0]), Number(r[1])])).toEqual(want.map((r) => [r.period, Number(r.total)]));
    await screenshot('sql-result');

    // Its chart: one bar per period, drawn as SVG.
    await page.getByRole('tab', { name: 'Chart' }).click();
    await page.getByRole('combobox', { name: 'Chart' }).selectOption('bar');
    const chart = page.locator('[data-chart="bar"] svg');
    await expect.poll(() => chart.count()).toBe(1);
    await expect
      .poll(() =>
        page.$$eval(
          '[data-chart="bar"] svg path',
          (ps) =>
            ps.filter(
              (p) =>
                p.getAttribute('fill') !== 'none' &&
                (p as unknown as { getBBox(): { height: number } }).getBBox().height > 1,
            ).length,
        ),
      )
      .toBeGreaterThanOrEqual(want.length);
    await screenshot('sql-chart');

    // Saved with its chart, as a saved query Excel and Sheets can run.
    await page.getByRole('button', { name: 'Save…' }).click();
    await page.getByRole('dialog').getByLabel('Name').fill('Totals per period');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('query')).toMatch(/^\d+$/);
    const admin = (await keys(t)).admin;
    const saved = await apiCall(t, admin, 'GET', `/queries/${new URL(page.url()).searchParams.get('query')}`);
    expect(saved.body).toMatchObject({
      name: 'Totals per period',
      sql,
      chart: { type: 'bar', x: 'period', y: 'total' },
    });
    await expect.poll(() => page.locator('h1').textContent()).toBe('SQL · Totals per period');
    // The page stays as it was: the chart is still drawn.
    expect(await chart.count()).toBe(1);
  });

  it('SQL: publishes the saved query as a view that a BI login (psql) and GET /api/v1/tables read', async () => {
    await page.getByRole('button', { name: 'Publish…' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.getByLabel('View name').inputValue()).toBe('totals_per_period');
    await dialog.getByLabel(/^Materialized/).check();
    await dialog.getByRole('button', { name: 'Publish' }).click();
    await expect
      .poll(() => page.locator('[data-published]').textContent())
      .toBe('Published as reports.totals_per_period');
    await screenshot('sql-published');
    const admin = (await keys(t)).admin;
    const { rows: want } = await t.db.pool.query<{ line: string }>(
      `SELECT financialperiod || ',' || sum(abs(amountdc)) AS line FROM exact_online.transactionlines GROUP BY financialperiod ORDER BY financialperiod`,
    );
    const bi = await apiCall(t, admin, 'POST', '/bi-users', { name: `views_${Date.now().toString(36)}` });
    const { spawnSync } = await import('node:child_process');
    const psql = (sql: string) =>
      spawnSync('psql', [bi.body.url, '-X', '-A', '-t', '-F', ',', '-c', sql], { encoding: 'utf8' });
    const read = psql('SELECT period, total FROM reports.totals_per_period ORDER BY period');
    expect(read.stderr).toBe('');
    expect(read.stdout.trim().split('\n')).toEqual(want.map((r) => r.line));
    // A BI login finds it without the schema too (reports is on its search_path), and cannot drop it.
    expect(psql('SELECT count(*) FROM totals_per_period').stdout.trim()).toBe(String(want.length));
    expect(psql('DROP MATERIALIZED VIEW reports.totals_per_period').status).not.toBe(0);
    const tables = await apiCall(t, admin, 'GET', '/tables');
    expect(tables.body.tables.find((x: { name: string }) => x.name === 'totals_per_period')).toMatchObject({
      view: 'materialized',
      columns: [{ name: 'period' }, { name: 'total' }],
    });
    await page.getByRole('link', { name: 'Views' }).click();
    await page.locator('tr[data-view="totals_per_period"]').getByText('ok').waitFor();
    // A starter model, a click away.
    await page.locator('[data-starter="revenue_by_customer_month"]').getByRole('button', { name: 'Publish' }).click();
    await page.locator('tr[data-view="revenue_by_customer_month"]').getByText('ok').waitFor();
    expect(await page.locator('[data-starter="revenue_by_customer_month"]').textContent()).toContain('published');
    await screenshot('views');
  });

  it('SQL: cancel stops the query in PostgreSQL too; history lists what ran, latest first', async () => {
    await page.locator('header').getByRole('link', { name: 'SQL' }).click();
    const editor = page.locator('.cm-content');
    await editor.click();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('SELECT pg_sleep(30)');
    await page.keyboard.press('ControlOrMeta+Enter');
    await expect.poll(() => page.locator('[data-run-status]').textContent()).toBe('Running…');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByText('Cancelled: the query was stopped.').count()).toBe(1);
    await expect
      .poll(
        async () =>
          (
            await t.db.pool.query(
              "SELECT 1 FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
            )
          ).rowCount,
      )
      .toBe(0);

    // History: what ran, latest first; picking one puts it back in the editor.
    await page.getByRole('button', { name: 'History' }).click();
    const entries = await page.getByRole('menuitem').allTextContents();
    expect(entries[0]).toContain('SELECT financialperiod');
    expect(entries.some((e) => e.includes('query_syntax'))).toBe(true);
    await screenshot('sql-history');
    await page.getByRole('menuitem').first().click();
    await expect.poll(() => editor.textContent()).toContain('financialperiod');
  });

  it('creates a BI user whose login, shown once, psql can use; revokes it', async () => {
    await page.goto(`${t.url}/bi-users`);
    const name = `console_${Date.now().toString(36)}`;
    await page.locator('input[name=bi-name]').fill(name);
    await page.getByRole('button', { name: 'Create BI user' }).click();
    await page.locator('[data-bi-login]').waitFor();
    await screenshot('bi-user-created');
    const url = await page.locator('[data-field=url]').textContent();
    expect(await page.locator('[data-field=user]').textContent()).toBe(`bi_${name}`);
    const { spawnSync } = await import('node:child_process');
    expect(
      spawnSync('psql', [url!, '-X', '-A', '-t', '-c', 'SELECT count(*) > 0 FROM exact_online.transactionlines'], {
        encoding: 'utf8',
      }).stdout.trim(),
    ).toBe('t');
    page.once('dialog', (d) => void d.accept());
    await page.locator(`tr[data-bi-user="bi_${name}"]`).getByRole('button', { name: 'Revoke' }).click();
    await page.locator(`tr[data-bi-user="bi_${name}"]`).getByText('revoked').waitFor();
    expect(spawnSync('psql', [url!, '-X', '-c', 'SELECT 1'], { encoding: 'utf8' }).status).not.toBe(0);
  });

  it('adds a Google Sheets target; without a service account a push fails with what to set, and says so', async () => {
    await page.goto(`${t.url}/sheets`);
    await page.locator('input[name=target-name]').fill('GL to Sheets');
    await page
      .locator('input[name=spreadsheet]')
      .fill('https://docs.google.com/spreadsheets/d/1AbCdEf_gh-IJ/edit#gid=0');
    await page.locator('input[name=sheet]').fill('GL');
    await page.locator('input[name=source]').fill('glaccounts');
    await page.getByRole('button', { name: 'Add target' }).click();
    await page.locator('tr[data-target="GL to Sheets"]').waitFor();
    const { rows } = await t.db.pool.query('SELECT spreadsheet_id FROM exact_sync.sheet_targets');
    expect(rows[0].spreadsheet_id).toBe('1AbCdEf_gh-IJ');
    await page.locator('tr[data-target="GL to Sheets"]').getByRole('button', { name: 'Push now' }).click();
    await page.getByText(/The push failed: .*GOOGLE_APPLICATION_CREDENTIALS/).waitFor();
    await page.locator('tr[data-target="GL to Sheets"] [data-last-push=failed]').waitFor();
    await screenshot('sheets-push-failed');
    // A scheduled target can be switched off and on again.
    await page.locator('input[name=target-name]').fill('Hourly');
    await page.locator('input[name=spreadsheet]').fill('1AbCdEf_gh-IJ');
    await page.locator('input[name=sheet]').fill('Hourly');
    await page.locator('input[name=source]').fill('glaccounts');
    await page.getByLabel('Schedule').selectOption({ label: 'every hour' });
    await page.getByRole('button', { name: 'Add target' }).click();
    const hourly = page.locator('tr[data-target="Hourly"]');
    await hourly.getByRole('switch', { name: 'Scheduled pushes of Hourly' }).click();
    await hourly.getByText('off').waitFor();
    const enabled = async () =>
      (await t.db.pool.query(`SELECT enabled FROM exact_sync.sheet_targets WHERE name = 'Hourly'`)).rows[0].enabled;
    expect(await enabled()).toBe(false);
    // (The switch's thumb slides: the picture waits for it.)
    await page.waitForTimeout(400);
    await screenshot('sheets-target-off');
    await hourly.getByRole('switch', { name: 'Scheduled pushes of Hourly' }).click();
    await hourly.getByText('on', { exact: true }).waitFor();
    expect(await enabled()).toBe(true);
  });

  it('shows a refused consent on a page that offers to try again, and nothing is connected', async () => {
    await page.goto(`${t.url}/connections/new`);
    await page.getByRole('button', { name: 'Connect Exact Online' }).click();
    await page.waitForURL(`${sb.url}/**`);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByText('Access was not granted').waitFor();
    await screenshot('consent-refused');
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM exact_sync.connections');
    expect(rows[0].n).toBe(1);
    await page.getByRole('link', { name: 'Try again' }).click();
    await page.getByText('Country of your Exact Online').waitFor();
  });
});
