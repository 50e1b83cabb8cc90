import { auth, sheets } from '@googleapis/sheets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushToSheet } from '../../server/sheets/writeback.ts';
import { gridOf, REQUEST_LIMIT, startSheetsStandIn, type SheetsStandIn } from '../helpers/sheetsStandIn.ts';

/** The writeback with the real googleapis client, pointed (rootUrl) at a local stand-in of the Sheets v4 endpoints. */

let g: SheetsStandIn;
let api: ReturnType<typeof sheets>;
/** Virtual time: Google's quota minute passes when the client's backoff sleeps (60 writes a virtual minute). */
let virtualNow = 0;
const noSleep = async (ms: number) => {
  virtualNow += ms;
};

const result = (rows: number, columns = 3, seed = 0) => ({
  columns: Array.from({ length: columns }, (_, j) =>
    j === 0
      ? { name: 'id', type: 'integer', kind: 'integer' }
      : j === 1
        ? { name: 'day', type: 'date', kind: 'date' }
        : { name: `c${j}`, type: 'text', kind: 'text' },
  ),
  rows: Array.from({ length: rows }, (_, i) =>
    Array.from({ length: columns }, (_, j) =>
      j === 0 ? i + seed : j === 1 ? '2026-03-02' : `row ${i + seed} col ${j} lorem ipsum dolor`,
    ),
  ),
});

/** The Sheets stand-in and a googleapis client for it, signed in with a token the stand-in knows. */
async function standInWithApi(options: Parameters<typeof startSheetsStandIn>[0]) {
  const standIn = await startSheetsStandIn(options);
  standIn.tokens.add('test-token');
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: 'test-token' });
  return { standIn, api: sheets({ version: 'v4', rootUrl: `${standIn.url}/`, auth: client }) };
}

beforeAll(async () => {
  ({ standIn: g, api } = await standInWithApi({ now: () => virtualNow }));
  g.books.set('book1', { sheets: [{ sheetId: 0, title: 'Sheet1', cells: new Map(), formats: new Map(), frozen: 0 }] });
});
afterAll(async () => {
  await g.close();
});

describe('pushToSheet', () => {
  it('a first push: header, values (dates as serials), formats, frozen header; the sheet made when missing', async () => {
    const out = await pushToSheet(api, { spreadsheetId: 'book1', sheet: 'Accounts' }, result(10), undefined, {
      sleep: noSleep,
    });
    expect(out).toMatchObject({ rows: 10, columns: 3, retries: 0 });
    const values = g.values('book1', 'Accounts');
    expect(values[0]).toEqual(['id', 'day', 'c2']);
    expect(values[1]).toEqual([0, 46083, 'row 0 col 2 lorem ipsum dolor']);
    expect(values).toHaveLength(11);
    const sheet = g.books.get('book1')!.sheets.find((s) => s.title === 'Accounts')!;
    expect([...sheet.formats]).toEqual([
      [0, '0'],
      [1, 'yyyy-mm-dd'],
      [2, '@'],
    ]);
    expect(sheet.frozen).toBe(1);
  });

  it('a smaller second push clears the old rows and columns; the header stays', async () => {
    await pushToSheet(
      api,
      { spreadsheetId: 'book1', sheet: 'Accounts' },
      result(4, 2, 100),
      { rows: 11, columns: 3 },
      { sleep: noSleep },
    );
    const values = g.values('book1', 'Accounts');
    expect(values).toEqual([
      ['id', 'day'],
      [100, 46083],
      [101, 46083],
      [102, 46083],
      [103, 46083],
    ]);
  });

  it('a 429 (and a 503) in the middle is retried, and the push completes', async () => {
    // On the writes (POST, which the client itself does not retry): Google's quota answer, then an outage.
    g.failNext.push({ path: /values:batchUpdate$/, status: 429 }, { path: /values:batchUpdate$/, status: 503 });
    const before = g.requests.length;
    const out = await pushToSheet(api, { spreadsheetId: 'book1', sheet: 'Retry' }, result(20), undefined, {
      sleep: noSleep,
    });
    expect(out.retries).toBe(2);
    expect(g.values('book1', 'Retry')).toHaveLength(21);
    expect(g.requests.length - before).toBe(out.requests + 2);
  });

  it('a missing spreadsheet or a refused permission: a clear error, and nothing written', async () => {
    const before = g.requests.length;
    await expect(
      pushToSheet(api, { spreadsheetId: 'nope', sheet: 'X' }, result(3), undefined, { sleep: noSleep }),
    ).rejects.toMatchObject({ code: 'spreadsheet_not_found' });
    g.books.set('secret', {
      sheets: [{ sheetId: 0, title: 'Sheet1', cells: new Map(), formats: new Map(), frozen: 0 }],
    });
    g.forbidden.add('secret');
    await expect(
      pushToSheet(api, { spreadsheetId: 'secret', sheet: 'Sheet1' }, result(3), undefined, { sleep: noSleep }),
    ).rejects.toThrow(/share it with the service account/);
    expect(g.requests.slice(before).map((r) => r.path)).toEqual(['/v4/spreadsheets/nope', '/v4/spreadsheets/secret']);
    expect(g.books.get('secret')!.sheets[0]!.cells.size).toBe(0);
  });

  it('50,000 rows × 20 columns go through in chunks within the request limits', async () => {
    const before = g.requests.length;
    const out = await pushToSheet(api, { spreadsheetId: 'book1', sheet: 'Big' }, result(50_000, 20), undefined, {
      sleep: noSleep,
    });
    expect(out.rows).toBe(50_000);
    const writes = g.requests.slice(before).filter((r) => r.path.endsWith('values:batchUpdate'));
    expect(writes.length).toBeGreaterThan(5);
    for (const w of writes) expect(w.bytes).toBeLessThanOrEqual(Math.min(REQUEST_LIMIT, 2_200_000));
    const values = g.values('book1', 'Big');
    expect(values).toHaveLength(50_001);
    expect(values[50_000]![19]).toBe('row 49999 col 19 lorem ipsum dolor');
  });
});

describe("pushToSheet at Google's limits (issue 19)", () => {
  const sheet = (_book: string, title: string, grid?: { rows: number; columns: number }) => ({
    sheetId: Math.floor(Math.random() * 1e6),
    title,
    cells: new Map<string, unknown>(),
    formats: new Map<number, string>(),
    frozen: 0,
    ...(grid ? { rowCount: grid.rows, columnCount: grid.columns } : {}),
  });

  it('50,000 × 20 into a small existing sheet (1000 × 26): the grid grows first, only as far as needed', async () => {
    g.books.set('small', { sheets: [sheet('small', 'Sheet1')] });
    const out = await pushToSheet(api, { spreadsheetId: 'small', sheet: 'Sheet1' }, result(50_000, 20), undefined, {
      sleep: noSleep,
    });
    expect(out.rows).toBe(50_000);
    expect(gridOf(g.sheet('small', 'Sheet1'))).toEqual({ rows: 50_001, columns: 26 });
    expect(g.values('small', 'Sheet1')[50_000]![19]).toBe('row 49999 col 19 lorem ipsum dolor');
  });

  it('a sheet it adds gets exactly the grid it needs, not 26 columns (they count against the 10M cells)', async () => {
    g.books.set('fresh', { sheets: [sheet('fresh', 'Sheet1')] });
    await pushToSheet(api, { spreadsheetId: 'fresh', sheet: 'Data' }, result(5, 3), undefined, { sleep: noSleep });
    expect(g.sheet('fresh', 'Data')).toMatchObject({ rowCount: 6, columnCount: 3, frozen: 1 });
  });

  it('refuses before writing anything when the grid cells of all sheets would pass 10 million', async () => {
    // 384,000 × 26 = 9,984,000 cells in another sheet, all empty: Google counts them all the same.
    g.books.set('full', { sheets: [sheet('full', 'Sheet1', { rows: 384_000, columns: 26 })] });
    const before = g.requests.length;
    await expect(
      pushToSheet(api, { spreadsheetId: 'full', sheet: 'More' }, result(1000, 20), undefined, { sleep: noSleep }),
    ).rejects.toMatchObject({ code: 'too_many_cells', message: expect.stringContaining('10,000,000') });
    expect(g.requests.slice(before).filter((r) => r.write)).toEqual([]);
    expect(g.books.get('full')!.sheets).toHaveLength(1);
  });

  it("keeps the user's formula column beside the data, filled down when the data grows; refuses to write over cells in use", async () => {
    g.books.set('own', { sheets: [sheet('own', 'Data')] });
    const target = { spreadsheetId: 'own', sheet: 'Data' };
    const first = await pushToSheet(api, target, result(5, 2), undefined, { sleep: noSleep });
    // The user adds a column: a header and a formula on every data row.
    const cells = g.sheet('own', 'Data').cells;
    cells.set('1,3', 'Double');
    for (let r = 2; r <= 6; r++) cells.set(`${r},3`, `=A${r}*2`);
    let previous = { rows: first.rows + 1, columns: first.columns };
    const grown = await pushToSheet(api, target, result(8, 2, 10), previous, { sleep: noSleep });
    const values = g.values('own', 'Data');
    expect(values.map((r) => r[2])).toEqual(['Double', ...Array.from({ length: 8 }, (_, i) => `=A${i + 2}*2`)]);
    expect(values[8]![0]).toBe(17);
    previous = { rows: grown.rows + 1, columns: grown.columns };
    await pushToSheet(api, target, result(3, 2, 20), previous, { sleep: noSleep });
    const shrunk = g.values('own', 'Data');
    // Its old rows are cleared, the user's column is not.
    expect(shrunk.slice(4).every((r) => r[0] === '' && r[1] === '')).toBe(true);
    expect(shrunk[1]![2]).toBe('=A2*2');
    expect(shrunk[8]![2]).toBe('=A9*2');
    // A result one column wider would write over it: refused, nothing written.
    const before = g.requests.length;
    await expect(
      pushToSheet(api, target, result(3, 3, 30), { rows: 4, columns: 2 }, { sleep: noSleep }),
    ).rejects.toMatchObject({ code: 'cells_in_use', message: expect.stringContaining("'Data'!C1:C4") });
    expect(g.requests.slice(before).filter((r) => r.write)).toEqual([]);
    // A first push into a sheet someone already uses is refused the same way.
    g.books.set('used', { sheets: [sheet('used', 'Sheet1')] });
    g.sheet('used', 'Sheet1').cells.set('3,2', 'a note');
    await expect(
      pushToSheet(api, { spreadsheetId: 'used', sheet: 'Sheet1' }, result(5, 2), undefined, { sleep: noSleep }),
    ).rejects.toMatchObject({ code: 'cells_in_use' });
  });

  it("a date is the same day in every spreadsheet's zone; an instant reads on the spreadsheet's clock", async () => {
    const dated = {
      columns: [
        { name: 'day', type: 'date', kind: 'date' },
        { name: 'at', type: 'timestamptz', kind: 'datetime' },
      ],
      rows: [['2026-03-02', '2026-03-02T08:00:00Z']],
    };
    const shown: unknown[] = [];
    for (const zone of ['America/New_York', 'Europe/Amsterdam', 'Asia/Tokyo']) {
      const id = `zone-${zone.replace('/', '-')}`;
      g.books.set(id, { sheets: [sheet(id, 'Sheet1')], timeZone: zone });
      await pushToSheet(api, { spreadsheetId: id, sheet: 'Data' }, dated, undefined, { sleep: noSleep });
      const [day, at] = g.values(id, 'Data')[1] as [number, number];
      shown.push([day, new Date(Math.round((at - 25_569) * 86_400_000)).toISOString().slice(11, 16)]);
    }
    expect(shown).toEqual([
      [46083, '03:00'],
      [46083, '09:00'],
      [46083, '17:00'],
    ]);
  });

  it('absorbs the per-minute write quota (429s) and a dropped connection: the push completes', async () => {
    const { standIn: tight, api: api2 } = await standInWithApi({ writesPerMinute: 3, windowMs: 1500 });
    try {
      tight.books.set('q', { sheets: [sheet('q', 'Sheet1')] });
      tight.failNext.push({ path: /values:batchUpdate$/, status: 0 });
      // Time runs 40 times faster for the backoff; the stand-in's window is real (1.5 s for 3 writes).
      const fast = (ms: number) => new Promise<void>((r) => setTimeout(r, ms / 40));
      const out = await pushToSheet(api2, { spreadsheetId: 'q', sheet: 'Data' }, result(3000, 20), undefined, {
        sleep: fast,
      });
      expect(out.rows).toBe(3000);
      expect(tight.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
      expect(out.retries).toBeGreaterThanOrEqual(tight.requests.filter((r) => r.status === 429).length);
      expect(tight.values('q', 'Data')).toHaveLength(3001);
    } finally {
      await tight.close();
    }
  });

  it("gives up, with Google's message, when the quota does not refill within the time allowed", async () => {
    const { standIn: shut, api: api3 } = await standInWithApi({ writesPerMinute: 0, windowMs: 3_600_000 });
    try {
      shut.books.set('q', { sheets: [sheet('q', 'Sheet1')] });
      const waits: number[] = [];
      await expect(
        pushToSheet(api3, { spreadsheetId: 'q', sheet: 'Sheet1' }, result(3), undefined, {
          sleep: async (ms) => void waits.push(ms),
        }),
      ).rejects.toThrow(/Quota exceeded/);
      // Exponential, each wait at most 64 s, all of them within the 150 s allowed.
      expect(waits.length).toBeGreaterThan(3);
      expect(Math.max(...waits)).toBeLessThanOrEqual(64_000 * 1.2);
      expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(150_000);
    } finally {
      await shut.close();
    }
  });
});

describe('sheetsClient', () => {
  it('says what is wrong with the service-account setting instead of failing at the first push', async () => {
    const { sheetsClient } = await import('../../server/sheets/client.ts');
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-sa-bad-'));
    expect(sheetsClient({ credentialsFile: undefined })).toMatchObject({
      code: 'sheets_not_configured',
      message: expect.stringContaining('GOOGLE_APPLICATION_CREDENTIALS'),
    });
    await writeFile(path.join(dir, 'user.json'), JSON.stringify({ type: 'authorized_user', client_id: 'x' }));
    expect(sheetsClient({ credentialsFile: path.join(dir, 'user.json') })).toMatchObject({
      code: 'sheets_not_configured',
      message: expect.stringContaining('not a service-account key'),
    });
    await writeFile(path.join(dir, 'broken.json'), '{ not json');
    expect(sheetsClient({ credentialsFile: path.join(dir, 'broken.json') })).toMatchObject({
      message: expect.stringContaining('not a readable service-account JSON key'),
    });
  });
});
