import { auth, sheets } from '@googleapis/sheets';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushToSheet } from '../../server/sheets/writeback.ts';
import { REQUEST_LIMIT, startSheetsStandIn, type SheetsStandIn } from '../helpers/sheetsStandIn.ts';

/** The writeback with the real googleapis client, pointed (rootUrl) at a local stand-in of the Sheets v4 endpoints. */

let g: SheetsStandIn;
let api: ReturnType<typeof sheets>;
const noSleep = async () => undefined;

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

beforeAll(async () => {
  g = await startSheetsStandIn();
  const client = new auth.OAuth2();
  client.setCredentials({ access_token: 'test-token' });
  api = sheets({ version: 'v4', rootUrl: `${g.url}/`, auth: client });
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
