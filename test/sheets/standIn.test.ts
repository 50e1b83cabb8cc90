import { createSign, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gridOf, startSheetsStandIn, type SheetsStandIn } from '../helpers/sheetsStandIn.ts';

/** The Sheets v4 stand-in's own rules (each cited in test/helpers/sheetsStandIn.ts), over plain HTTP as Google is reached. */

let g: SheetsStandIn;
let clock = 0;
beforeAll(async () => {
  g = await startSheetsStandIn({ writesPerMinute: 5, now: () => clock });
  g.tokens.add('t');
});
afterAll(async () => {
  await g.close();
});

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${g.url}/v4/spreadsheets/${path}`, {
    method: 'POST',
    headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const get = async (path: string) => {
  const res = await fetch(`${g.url}/v4/spreadsheets/${path}`, { headers: { Authorization: 'Bearer t' } });
  return { status: res.status, body: (await res.json()) as any };
};
const fresh = (id: string) => {
  clock += 60_000;
  g.books.set(id, { sheets: [{ sheetId: 1, title: 'Sheet1', cells: new Map(), formats: new Map(), frozen: 0 }] });
};

describe('the Sheets stand-in', () => {
  it("a new sheet is 1000 × 26; writing past the grid is refused with Google's message; the grid can grow and shrink", async () => {
    fresh('a');
    const added = await post('a:batchUpdate', { requests: [{ addSheet: { properties: { title: 'New' } } }] });
    const id = added.body.replies[0].addSheet.properties.sheetId;
    expect(added.body.replies[0].addSheet.properties.gridProperties).toEqual({ rowCount: 1000, columnCount: 26 });
    const past = await post('a/values:batchUpdate', {
      valueInputOption: 'RAW',
      data: [{ range: "'New'!A1000:A1001", values: [[1], [2]] }],
    });
    expect(past).toMatchObject({
      status: 400,
      body: { error: { message: "Range ('New'!A1000:A1001) exceeds grid limits. Max rows: 1000, max columns: 26" } },
    });
    expect(g.sheet('a', 'New').cells.size).toBe(0);
    await post('a:batchUpdate', { requests: [{ appendDimension: { sheetId: id, dimension: 'ROWS', length: 1 } }] });
    expect(
      (await post('a/values:batchUpdate', { data: [{ range: "'New'!A1000:A1001", values: [[1], [2]] }] })).status,
    ).toBe(200);
    // Shrinking cuts off what lies outside.
    await post('a:batchUpdate', {
      requests: [
        {
          updateSheetProperties: {
            properties: { sheetId: id, gridProperties: { rowCount: 1000, columnCount: 3 } },
            fields: 'gridProperties.rowCount,gridProperties.columnCount',
          },
        },
      ],
    });
    expect(gridOf(g.sheet('a', 'New'))).toEqual({ rows: 1000, columns: 3 });
    expect([...g.sheet('a', 'New').cells.keys()]).toEqual(['1000,1']);
    const meta = await get('a');
    expect(meta.body.sheets[1].properties.gridProperties).toEqual({ rowCount: 1000, columnCount: 3 });
  });

  it('counts 10 million cells as the grid cells of all sheets, and a failing batch changes nothing', async () => {
    fresh('b');
    const bad = await post('b:batchUpdate', {
      requests: [
        { addSheet: { properties: { title: 'Ok' } } },
        { addSheet: { properties: { title: 'Huge', gridProperties: { rowCount: 400_000, columnCount: 26 } } } },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('above the limit of 10000000 cells');
    expect(g.books.get('b')!.sheets.map((s) => s.title)).toEqual(['Sheet1']);
    const mixed = await post('b/values:batchUpdate', {
      data: [
        { range: "'Sheet1'!A1:A1", values: [['kept?']] },
        { range: "'Sheet1'!A1:A1001", values: [[1]] },
      ],
    });
    expect(mixed.status).toBe(400);
    expect(g.sheet('b', 'Sheet1').cells.size).toBe(0);
  });

  it('answers 429 RESOURCE_EXHAUSTED past the writes of a minute, and again after the minute', async () => {
    fresh('c');
    const write = () => post('c/values:batchUpdate', { data: [{ range: "'Sheet1'!A1:A1", values: [[1]] }] });
    for (let i = 0; i < 5; i++) expect((await write()).status).toBe(200);
    const over = await write();
    expect(over).toMatchObject({ status: 429, body: { error: { status: 'RESOURCE_EXHAUSTED' } } });
    // Reads are not writes.
    expect((await get('c')).status).toBe(200);
    clock += 60_000;
    expect((await write()).status).toBe(200);
  });

  it('batchGet leaves out trailing empty rows and cells; copyPaste moves relative row references', async () => {
    fresh('d');
    const cells = g.sheet('d', 'Sheet1').cells;
    cells.set('2,1', 5);
    cells.set('2,2', '=A2*2+$A$1');
    await post('d:batchUpdate', {
      requests: [
        {
          copyPaste: {
            source: { sheetId: 1, startRowIndex: 1, endRowIndex: 2, startColumnIndex: 1, endColumnIndex: 2 },
            destination: { sheetId: 1, startRowIndex: 2, endRowIndex: 4, startColumnIndex: 1, endColumnIndex: 2 },
          },
        },
      ],
    });
    const got = await get(`d/values:batchGet?ranges=${encodeURIComponent("'Sheet1'!A1:C9")}&valueRenderOption=FORMULA`);
    expect(got.body.valueRanges[0].values).toEqual([[], [5, '=A2*2+$A$1'], ['', '=A3*2+$A$1'], ['', '=A4*2+$A$1']]);
  });

  it('issues an access token only for a well-formed assertion signed by a key it knows; API calls need one it issued', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    g.serviceAccounts.set('k', { email: 'sa@x.iam.gserviceaccount.com', publicKey });
    const now = Math.floor(Date.now() / 1000);
    const assertion = (claims: object, key = privateKey, kid = 'k') => {
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const unsigned = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64(claims)}`;
      return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(key).toString('base64url')}`;
    };
    const good = {
      iss: 'sa@x.iam.gserviceaccount.com',
      scope: 'https://www.googleapis.com/auth/spreadsheets',
      aud: `${g.url}/token`,
      iat: now,
      exp: now + 3600,
    };
    const exchange = async (a: string) => {
      const res = await fetch(`${g.url}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: a }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const other = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    for (const bad of [
      assertion(good, other.privateKey),
      assertion(good, privateKey, 'unknown'),
      assertion({ ...good, aud: 'https://elsewhere/token' }),
      assertion({ ...good, exp: now + 7200 }),
      assertion({ ...good, iat: now - 7200, exp: now - 3600 }),
      assertion({ ...good, scope: 'https://www.googleapis.com/auth/drive' }),
    ])
      expect((await exchange(bad)).status).toBe(400);
    const ok = await exchange(assertion(good));
    expect(ok).toMatchObject({ status: 200, body: { token_type: 'Bearer', expires_in: 3599 } });
    const call = (token: string) =>
      fetch(`${g.url}/v4/spreadsheets/a`, { headers: { Authorization: `Bearer ${token}` } }).then((r) => r.status);
    fresh('a');
    expect(await call(ok.body.access_token)).toBe(200);
    expect(await call('ya29.made-up')).toBe(401);
  });
});
