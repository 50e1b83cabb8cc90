import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppsScript } from '../../apps-script/build.ts';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { grantWarehouseSchema } from '../../server/db/roles.ts';
import { apiCall, connectAndSync, keys, startTestServer, syncNow, type TestServer } from '../helpers/server.ts';

/**
 * The built Apps Script file (dist/apps-script/Code.js), loaded into a Node vm context with stand-ins
 * for SpreadsheetApp, UrlFetchApp, PropertiesService and HtmlService, run against a real exact-sync
 * server with the sandbox's synced data: onOpen, every menu function, the sidebar's calls, and the
 * cells they write.
 */

let sb: RunningSandbox;
let t: TestServer;
let code: string;
let readKey: string;
let adminKey: string;
let connectionId: number;

beforeAll(async () => {
  sb = await sandboxForFile({ divisions: 1, scale: 200, autoApprove: true });
  t = await startTestServer('apps_script', sb);
  ({ read: readKey, admin: adminKey } = await keys(t));
  connectionId = await connectAndSync(t, adminKey);
  code = readFileSync(await buildAppsScript(), 'utf8');
});
afterAll(async () => {
  await t?.close();
});

interface SheetState {
  name: string;
  cells: Map<string, { value: unknown; format?: string; formula?: string }>;
  notes: Map<string, string>;
  frozenRows: number;
  hidden: boolean;
  maxRows: number;
  maxColumns: number;
}
interface State {
  sheets: SheetState[];
  userProps: Map<string, string>;
  documentProps: Map<string, string>;
  menus: { name: string; items: [string, string][] }[];
  alerts: string[];
  sidebars: { title: string; html: string }[];
  toasts: string[];
  fetches: string[];
  triggers: { id: string; fn: string; at?: number; everyMs?: number }[];
  clock: { now: number; started: number; killed: boolean };
}
interface Ran {
  fn: string;
  ok: boolean;
  killed: boolean;
  error?: string;
  elapsedMs: number;
}

/** A spreadsheet with the module loaded (in a worker thread: see appsScriptWorker.ts); `run` calls a global function of Code.js. */
class Spreadsheet {
  private readonly worker = new Worker(new URL('../helpers/appsScriptWorker.ts', import.meta.url));
  state!: State;
  prompts: ['OK' | 'CANCEL', string][] = [];
  private ask<T>(req: object): Promise<T> {
    return new Promise((resolve) => {
      this.worker.once('message', (m: T & { state: State }) => {
        this.state = m.state;
        resolve(m);
      });
      this.worker.postMessage(req);
    });
  }
  async load(): Promise<this> {
    await this.ask({ kind: 'load', code });
    return this;
  }
  async run(fn: string, ...args: unknown[]): Promise<unknown> {
    const prompts = this.prompts;
    this.prompts = [];
    const m = await this.ask<{ ok: boolean; result?: unknown; error?: string }>({ kind: 'run', fn, args, prompts });
    if (!m.ok) throw new Error(m.error);
    return m.result;
  }
  /** Lets time pass until the next one-shot trigger, which runs in an execution of its own; at most `max`. */
  async triggers(max = 1): Promise<Ran[]> {
    return (await this.ask<{ ran: Ran[] }>({ kind: 'triggers', max })).ran;
  }
  /** Changes the spreadsheet as its user would; `fn` is `(world) => …` as source text (it runs in the worker). */
  async edit(fn: string): Promise<void> {
    await this.ask({ kind: 'edit', fn });
  }
  sheet(name: string): SheetState | undefined {
    return this.state.sheets.find((x) => x.name === name);
  }
  close(): Promise<number> {
    return this.worker.terminate();
  }
}

const open: Spreadsheet[] = [];
async function load(): Promise<Spreadsheet> {
  const s = await new Spreadsheet().load();
  open.push(s);
  return s;
}
afterAll(async () => {
  for (const s of open) await s.close();
});

async function connected(): Promise<Spreadsheet> {
  const w = await load();
  w.prompts.push(['OK', t.url], ['OK', readKey]);
  await w.run('showSettings');
  return w;
}

/** The used block of a sheet, as getDataRange().getValues() gives it. */
function values(sheet: SheetState): unknown[][] {
  let rows = 0;
  let cols = 0;
  for (const [k, c] of sheet.cells)
    if (c.value !== '') {
      const [r, col] = k.split(',').map(Number) as [number, number];
      rows = Math.max(rows, r);
      cols = Math.max(cols, col);
    }
  return Array.from({ length: rows }, (_, r) =>
    Array.from({ length: cols }, (_, c) => sheet.cells.get(`${r + 1},${c + 1}`)?.value ?? ''),
  );
}

describe('the Apps Script module, built and run in a vm', () => {
  it('onOpen adds the Exact Online menu, each item naming a global function of the file', async () => {
    const w = await load();
    await w.run('onOpen');
    expect(w.state.menus).toHaveLength(1);
    expect(w.state.menus[0]!.name).toBe('Exact Online');
    expect(w.state.menus[0]!.items.map(([caption]) => caption)).toEqual([
      'Settings…',
      'Insert table…',
      'Insert saved query…',
      'Refresh this sheet',
      'Refresh all',
      'Refresh on a schedule…',
    ]);
    for (const [, fn] of w.state.menus[0]!.items)
      expect(new RegExp(`^function ${fn}\\(`, 'm').test(code), fn).toBe(true);
  });

  it('Settings: keeps URL and key in the user properties and checks them against the server', async () => {
    const w = await connected();
    expect(w.state.userProps.get('EXACT_SYNC_SERVER_URL')).toBe(t.url);
    expect(w.state.userProps.get('EXACT_SYNC_API_KEY')).toBe(readKey);
    expect(w.state.toasts.at(-1)).toContain('Connected to exact-sync');
    const bad = await load();
    bad.prompts.push(['OK', t.url], ['OK', 'esk_wrongwrongwrongwrongwrong']);
    await bad.run('showSettings');
    expect(bad.state.alerts.at(-1)).toMatch(/refused the API key/);
    const notUrl = await load();
    notUrl.prompts.push(['OK', 'exact-sync.example.com'], ['OK', readKey]);
    await notUrl.run('showSettings');
    expect(notUrl.state.alerts.at(-1)).toMatch(/must start with https:\/\//);
    expect(notUrl.state.userProps.size).toBe(0);
    // Plain http to another machine: the key would travel in clear.
    const clear = await load();
    clear.prompts.push(['OK', 'http://exact-sync.example.com'], ['OK', readKey]);
    await clear.run('showSettings');
    expect(clear.state.alerts.at(-1)).toMatch(/would travel in clear/);
    expect(clear.state.userProps.size).toBe(0);
  });

  it('the sidebar: ids in data- attributes (a quote in a name breaks nothing), every button disabled while one runs', async () => {
    const w = await connected();
    await w.run('showInsertTable');
    const html = w.state.sidebars[0]!.html;
    expect(html).toContain('data-id="glaccounts"');
    expect(html).not.toMatch(/onclick/);
    // The sidebar's script, run against a minimal page: two buttons, google.script.run recording the call.
    const script = /<script>([\s\S]*)<\/script>/.exec(html)![1]!;
    const make = (id: string) => {
      const listeners: (() => void)[] = [];
      return {
        id,
        disabled: false,
        getAttribute: () => id,
        addEventListener: (_: string, f: () => void) => listeners.push(f),
        click: () => listeners.forEach((f) => f()),
      };
    };
    const buttons = [make("it's"), make('glaccounts')];
    const status = { textContent: '' };
    const calls: [string, unknown][] = [];
    let succeed: (m: string) => void = () => undefined;
    const run = {
      withSuccessHandler(f: (m: string) => void) {
        succeed = f;
        return run;
      },
      withFailureHandler() {
        return run;
      },
      insertTable: (id: string) => calls.push(['insertTable', id]),
    };
    const { runInNewContext } = await import('node:vm');
    runInNewContext(script, {
      document: { querySelectorAll: () => buttons, getElementById: () => status },
      google: { script: { run } },
    });
    buttons[0]!.click();
    expect(calls).toEqual([['insertTable', "it's"]]);
    expect(buttons.map((b) => b.disabled)).toEqual([true, true]);
    succeed('Inserted 3 rows.');
    expect(buttons.map((b) => b.disabled)).toEqual([false, false]);
    expect(status.textContent).toBe('Inserted 3 rows.');
  });

  it('Insert table…: a sidebar lists the tables; picking one fills a new sheet with header, typed values, formats and a note', async () => {
    const w = await connected();
    await w.run('showInsertTable');
    expect(w.state.sidebars[0]!.title).toBe('Insert an Exact Online table');
    const answer = await w.run('insertTable', 'glaccounts');
    expect(answer).toMatch(/Inserted \d+ rows into "glaccounts"/);
    const sheet = w.sheet('glaccounts')!;
    const { rows } = await t.db.pool.query<{ code: string; n: number }>(
      'SELECT (SELECT count(*)::int FROM exact_online.glaccounts) AS n, min(code) AS code FROM exact_online.glaccounts',
    );
    const all = values(sheet);
    expect(all).toHaveLength(rows[0]!.n + 1);
    const header = all[0] as string[];
    expect(header).toContain('code');
    expect(sheet.frozenRows).toBe(1);
    expect(sheet.notes.get('1,1')).toMatch(/Pulled from exact-sync \(glaccounts\) on .* UTC: \d+ rows/);
    const modified = header.indexOf('modified') + 1;
    // A date serial (days since 1899-12-30), the same moment in every spreadsheet time zone.
    const serial = sheet.cells.get(`2,${modified}`)!.value as number;
    expect(typeof serial).toBe('number');
    expect(serial).toBeGreaterThan(36_526); // 2000-01-01
    expect(serial).toBeLessThan(73_051); // 2100-01-01
    expect(sheet.cells.get(`2,${modified}`)!.format).toBe('yyyy-mm-dd hh:mm:ss');
    expect(sheet.cells.get(`2,${header.indexOf('code') + 1}`)!.format).toBe('@');
  });

  it('Insert saved query… and Refresh all: changes in Exact reach every pulled sheet; a smaller result clears the old rows', async () => {
    const saved = await apiCall(t, adminKey, 'POST', '/queries', {
      name: 'Top accounts',
      description: 'by code',
      sql: 'SELECT code, description FROM glaccounts ORDER BY code LIMIT 5',
    });
    const w = await connected();
    await w.run('showInsertQuery');
    expect(w.state.sidebars[0]!.html).toContain('Top accounts');
    await w.run('insertSavedQuery', String(saved.body.id));
    await w.run('insertTable', 'glaccounts');
    expect(values(w.sheet('Top accounts')!)).toHaveLength(6);

    const division = sb.sandbox.divisions[0]!.code;
    const first = sb.sandbox.table(division, 'GLAccounts').get(0)!;
    sb.sandbox.update(division, 'GLAccounts', String(first.ID), { Description: 'Renamed in Exact' });
    await syncNow(t, adminKey, connectionId);
    await apiCall(t, adminKey, 'PATCH', `/queries/${saved.body.id}`, {
      sql: 'SELECT code, description FROM glaccounts ORDER BY code LIMIT 2',
    });
    await w.run('refreshAll');
    expect(w.state.alerts).toEqual([]);
    expect(values(w.sheet('glaccounts')!).flat()).toContain('Renamed in Exact');
    expect(values(w.sheet('Top accounts')!)).toHaveLength(3);
    expect(w.sheet('Top accounts')!.cells.get('4,1')!.value).toBe('');
  });

  it('Refresh this sheet on a sheet not pulled, a failing query, and no settings: alerts, nothing written', async () => {
    const w = await connected();
    await w.run('refreshThisSheet');
    expect(w.state.alerts.at(-1)).toMatch(/was not pulled from exact-sync/);
    await expect(w.run('insertSavedQuery', '99999')).rejects.toThrow(/no saved query/);
    expect(w.state.sheets.map((x) => x.name)).toEqual(['Sheet1']);
    const fresh = await load();
    await fresh.run('showInsertTable');
    expect(fresh.state.alerts.at(-1)).toMatch(/not set up yet/);
  });
});

describe("the Apps Script module at Google's limits (issue 19)", () => {
  const columns = Array.from({ length: 19 }, (_, j) => `c${j + 1} text`).join(', ');
  const fill = (table: string, n: number) =>
    t.db.pool.query(
      `INSERT INTO exact_online.${table} SELECT i, ${Array.from({ length: 19 }, (_, j) => `'row ' || i || ' col ${j + 1}'`).join(', ')} FROM generate_series(1, ${n}) i`,
    );
  beforeAll(async () => {
    await t.db.pool.query(`CREATE TABLE exact_online.big (id integer PRIMARY KEY, ${columns})`);
    await t.db.pool.query(`CREATE TABLE exact_online.growing (id integer PRIMARY KEY, ${columns})`);
    await t.db.pool.query(`CREATE TABLE exact_online.few (id integer PRIMARY KEY, amount numeric)`);
    await t.db.pool.query(`CREATE TABLE exact_online.dated (id integer PRIMARY KEY, day date, at timestamptz)`);
    await t.db.pool.query(`INSERT INTO exact_online.dated VALUES (1, '2026-03-02', '2026-03-02T08:00:00Z')`);
    await fill('big', 50_000);
    await fill('growing', 10);
    await t.db.pool.query(`CREATE TABLE exact_online.mid (id integer PRIMARY KEY, ${columns})`);
    await fill('mid', 5000);
    await t.db.pool.query(`INSERT INTO exact_online.few SELECT i, i * 1.5 FROM generate_series(1, 5) i`);
    await grantWarehouseSchema(t.db.pool, 'exact_online');
  });

  it('50,000 × 20 into a new sheet sized exactly; a 10-row sheet refreshed to 50,000 rows grows its grid first', async () => {
    const w = await connected();
    expect(await w.run('insertTable', 'big')).toMatch(/Inserted 50000 rows/);
    expect(w.sheet('big')).toMatchObject({ maxRows: 50_001, maxColumns: 20 });
    expect(values(w.sheet('big')!)[50_000]![19]).toBe('row 50000 col 19');
    await w.run('insertTable', 'growing');
    expect(w.sheet('growing')).toMatchObject({ maxRows: 11, maxColumns: 20 });
    await fill('growing', 0);
    await t.db.pool.query(
      `INSERT INTO exact_online.growing SELECT i, ${Array.from({ length: 19 }, () => `'x'`).join(', ')} FROM generate_series(11, 50000) i`,
    );
    await w.edit(`(world) => { world.spreadsheet.active = world.spreadsheet.getSheetByName('growing'); }`);
    await w.run('refreshThisSheet');
    expect(w.state.alerts).toEqual([]);
    expect(w.sheet('growing')).toMatchObject({ maxRows: 50_001, maxColumns: 20 });
    expect(values(w.sheet('growing')!)).toHaveLength(50_001);
  }, 120_000);

  it("keeps the user's formula column beside the data, filled down as it grows, through a shrink; refuses to write over it", async () => {
    const w = await connected();
    await w.run('insertTable', 'few');
    // The user adds a column and a formula on every row.
    await w.edit(`(world) => {
      const s = world.spreadsheet.getSheetByName('few');
      world.spreadsheet.active = s;
      s.insertColumnsAfter(2, 1);
      s.getRange(1, 3).setValues([['Double']]);
      for (let r = 2; r <= 6; r++) s.getRange(r, 3).setValues([['=B' + r + '*2']]);
    }`);
    const formulas = () =>
      [...w.sheet('few')!.cells]
        .filter(([k, c]) => k.endsWith(',3') && c.formula)
        .map(([k, c]) => [Number(k.split(',')[0]), c.formula])
        .sort((a, b) => (a[0] as number) - (b[0] as number));
    await t.db.pool.query(`INSERT INTO exact_online.few SELECT i, i * 1.5 FROM generate_series(6, 8) i`);
    await w.run('refreshThisSheet');
    expect(w.state.alerts).toEqual([]);
    expect(formulas()).toEqual(Array.from({ length: 8 }, (_, i) => [i + 2, `=B${i + 2}*2`]));
    await t.db.pool.query(`DELETE FROM exact_online.few WHERE id > 2`);
    await w.run('refreshThisSheet');
    expect(
      values(w.sheet('few')!)
        .slice(0, 3)
        .map((r) => r.slice(0, 2)),
    ).toEqual([
      ['id', 'amount'],
      [1, 1.5],
      [2, 3],
    ]);
    // Old rows of exact-sync's columns cleared; the user's column untouched.
    expect(w.sheet('few')!.cells.get('5,1')?.value ?? '').toBe('');
    expect(formulas()).toHaveLength(8);
    expect(w.sheet('few')!.cells.get('2,2')!.format).toBe('#,##0.00');
    // A result one column wider would write over the user's column: refused, nothing changed.
    await t.db.pool.query(`ALTER TABLE exact_online.few ADD COLUMN note text`);
    const before = JSON.stringify([...w.sheet('few')!.cells]);
    await w.run('refreshThisSheet');
    expect(w.state.alerts.at(-1)).toMatch(/needs the cells C1:C3 of "few", and some are in use/);
    expect(JSON.stringify([...w.sheet('few')!.cells])).toBe(before);
    await t.db.pool.query(`ALTER TABLE exact_online.few DROP COLUMN note`);
  });

  it("a date reads the same calendar day in New York, Amsterdam and Tokyo; an instant reads on each zone's clock", async () => {
    const shown: unknown[] = [];
    for (const zone of ['America/New_York', 'Europe/Amsterdam', 'Asia/Tokyo']) {
      const w = await connected();
      await w.edit(`(world) => { world.spreadsheet.timeZone = '${zone}'; }`);
      await w.run('insertTable', 'dated');
      const cells = w.sheet('dated')!.cells;
      const asText = (serial: number) =>
        new Date(Math.round((serial - 25_569) * 86_400_000)).toISOString().slice(0, 16).replace('T', ' ');
      shown.push([
        zone,
        asText(cells.get('2,2')!.value as number).slice(0, 10),
        asText(cells.get('2,3')!.value as number),
      ]);
    }
    expect(shown).toEqual([
      ['America/New_York', '2026-03-02', '2026-03-02 03:00'],
      ['Europe/Amsterdam', '2026-03-02', '2026-03-02 09:00'],
      ['Asia/Tokyo', '2026-03-02', '2026-03-02 17:00'],
    ]);
  });

  it('refuses before adding a sheet when the grids would pass 10 million cells', async () => {
    const w = await connected();
    await w.edit(`(world) => { const s = world.spreadsheet.getSheetByName('Sheet1'); s.maxRows = 384000; }`);
    await w.run('insertTable', 'big').then(
      () => expect.unreachable(),
      (err: Error) => expect(err.message).toMatch(/10,000,000/),
    );
    expect(w.state.sheets.map((s) => s.name)).toEqual(['Sheet1']);
  });

  /** The data rows of a sheet's first column, as text (what a user sees in it). */
  const firstColumn = (w: Spreadsheet, name: string) =>
    [...w.sheet(name)!.cells].filter(([k]) => k.endsWith(',2') && k !== '1,2').map(([, c]) => String(c.value));

  it('Refresh all of 5 large sheets on a slow day: through continuations, never past 6 minutes, never a half-written sheet', async () => {
    const w = await connected();
    for (let i = 0; i < 5; i++) await w.run('insertTable', 'mid');
    const names = w.state.sheets.filter((x) => /^mid/.test(x.name)).map((x) => x.name);
    expect(names).toEqual(['mid', 'mid (2)', 'mid (3)', 'mid (4)', 'mid (5)']);
    await t.db.pool.query(`UPDATE exact_online.mid SET c1 = 'new ' || id`);
    // Google on a slow day: 1.5 ms a cell written, so one 5,000 × 20 sheet takes minutes to stage and copy.
    await w.edit(`(world) => { world.clock.costs.cellWrite = 1.5; }`);
    await w.run('refreshAll');
    expect(w.state.toasts.at(-1)).toMatch(/Going on in the background/);
    const oldOrNew = () =>
      names.map((n) => {
        const col = firstColumn(w, n);
        return col.every((v) => v.startsWith('new '))
          ? 'new'
          : col.every((v) => v.startsWith('row '))
            ? 'old'
            : 'mixed';
      });
    expect(oldOrNew()).not.toContain('mixed');
    const executions: Ran[] = [];
    for (let i = 0; i < 40 && w.state.triggers.some((x) => x.fn === 'continueRefresh'); i++) {
      executions.push(...(await w.triggers(1)));
      // Between executions every sheet holds its old data or its new data, never a mix.
      expect(oldOrNew()).not.toContain('mixed');
    }
    expect(executions.length).toBeGreaterThan(3);
    expect(executions.every((e) => e.ok && !e.killed && e.elapsedMs <= 360_000)).toBe(true);
    expect(oldOrNew()).toEqual(['new', 'new', 'new', 'new', 'new']);
    expect(w.state.triggers).toEqual([]);
    // The staging sheets are gone, and so is the job.
    expect(w.state.sheets.map((x) => x.name).filter((n) => n.includes('staging'))).toEqual([]);
    expect([...w.state.documentProps.keys()].filter((k) => k.startsWith('exact-sync.job'))).toEqual([]);
    expect(w.state.toasts.at(-1)).toMatch(/Done: .*mid \(5\) \(5000 rows\)/);
  }, 300_000);

  it('an insert that needs more than one execution shows no sheet until it is complete', async () => {
    const w = await connected();
    await w.edit(`(world) => { world.clock.costs.cellWrite = 1.5; }`);
    expect(await w.run('insertTable', 'mid')).toMatch(/Going on in the background/);
    // Only the hidden staging sheet exists meanwhile.
    expect(w.state.sheets.map((x) => [x.name, x.hidden])).toEqual([
      ['Sheet1', false],
      ['exact-sync staging 1', true],
    ]);
    for (let i = 0; i < 10 && w.state.triggers.length; i++) await w.triggers(1);
    expect(w.state.sheets.map((x) => x.name)).toEqual(['Sheet1', 'mid']);
    expect(values(w.sheet('mid')!)).toHaveLength(5001);
  }, 120_000);

  it('two refreshes never run at once; a saved query is kept by id only; a schedule is one trigger', async () => {
    const w = await connected();
    await w.run('insertTable', 'few');
    await w.edit(`(world) => { world.lock.holder = 'another execution'; }`);
    const before = JSON.stringify([...w.sheet('few')!.cells]);
    await w.run('refreshAll');
    expect(w.state.alerts.at(-1)).toMatch(/Another refresh or insert is running/);
    expect(JSON.stringify([...w.sheet('few')!.cells])).toBe(before);
    await w.edit(`(world) => { world.lock.holder = undefined; }`);

    const made = await apiCall(t, adminKey, 'POST', '/queries', {
      name: 'Few by id',
      sql: `SELECT id, amount FROM few WHERE amount > 0 ${'/* a long comment */ '.repeat(200)}`,
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    await w.run('insertSavedQuery', String((made.body as { id: number }).id));
    const stored = [...w.state.documentProps.values()].find((v) => v.includes('Few by id'))!;
    expect(JSON.parse(stored)).toEqual({
      kind: 'query',
      queryId: (made.body as { id: number }).id,
      label: 'Few by id',
    });

    w.prompts.push(['OK', 'hour']);
    await w.run('showSchedule');
    w.prompts.push(['OK', 'day']);
    await w.run('showSchedule');
    expect(w.state.triggers.map((x) => [x.fn, x.everyMs])).toEqual([['scheduledRefresh', 86_400_000]]);
    w.prompts.push(['OK', 'off']);
    await w.run('showSchedule');
    expect(w.state.triggers).toEqual([]);
  });
});
