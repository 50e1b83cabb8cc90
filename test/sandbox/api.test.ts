import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../server/sandbox/index.ts';
import { api, authorize, readAll, rowsOf, sandboxForFile } from '../helpers/sandbox.ts';

// Paging and query options, on an app Exact spares from mandatory filtering (docs/exact-online.md 4.5);
// the sandbox's default, strict filtering has its own tests below.
const sb = await sandboxForFile({ scale: 700, divisions: 2, limits: false, mandatoryFilter: false });
const { access_token: token } = await authorize(sb);
const [big, small] = sb.sandbox.divisions.map((d) => d.code) as [number, number];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('sandbox: paging', () => {
  it('serves 60 rows a page on plain endpoints and the exact count through __next', async () => {
    const first = await api(sb, token, `/api/v1/${big}/financialtransaction/TransactionLines?$select=ID,AmountDC`);
    expect(first.body.d.results).toHaveLength(60);
    expect(first.body.d.__next).toMatch(
      new RegExp(
        `^${sb.url}/api/v1/${big}/financialtransaction/TransactionLines\\?\\$select=ID,AmountDC&\\$skiptoken=guid'[0-9a-f-]{36}'$`,
      ),
    );
    const { rows, pages } = await readAll(
      sb,
      token,
      `/api/v1/${big}/financialtransaction/TransactionLines?$select=ID,AmountDC`,
    );
    expect(rows).toHaveLength(700);
    expect(pages).toBe(Math.ceil(700 / 60));
    expect(new Set(rows.map((r) => r.ID)).size).toBe(700);
  });

  it('serves 1000 rows a page on bulk endpoints, and requires $select there', async () => {
    const { rows, pages } = await readAll(sb, token, `/api/v1/${big}/bulk/Financial/TransactionLines?$select=ID`);
    expect(rows).toHaveLength(700);
    expect(pages).toBe(1);
    const bare = await api(sb, token, `/api/v1/${big}/bulk/Financial/TransactionLines`);
    expect(bare.status).toBe(400);
    expect(bare.body).toEqual({
      error: {
        code: '',
        message: { lang: '', value: 'Please add a $select or a $top=1 statement to the query string.' },
      },
    });
  });

  it('carries the rest of $top in __next, and answers a last small page in the {"d":[…]} form', async () => {
    const first = await api(sb, token, `/api/v1/${big}/financialtransaction/TransactionLines?$select=ID&$top=100`);
    expect(first.body.d.results).toHaveLength(60);
    expect(first.body.d.__next).toContain('$top=40');
    const second = await api(sb, token, first.body.d.__next);
    expect(Array.isArray(second.body.d)).toBe(true);
    expect(second.body.d).toHaveLength(40);
    const ids = [...first.body.d.results, ...second.body.d].map((r: { ID: string }) => r.ID);
    expect(new Set(ids).size).toBe(100);
  });

  it('counts with $inlinecount=allpages, as a string', async () => {
    const res = await api(sb, token, `/api/v1/${big}/financial/GLAccounts?$select=ID&$inlinecount=allpages&$top=1`);
    expect(res.body.d.__count).toBe(String(sb.sandbox.table(big, 'GLAccounts').size));
  });

  it('pages with $skip when $orderby is given', async () => {
    const { rows } = await readAll(sb, token, `/api/v1/${big}/crm/Accounts?$select=ID,Name&$orderby=Name desc`);
    expect(rows).toHaveLength(sb.sandbox.table(big, 'Accounts').size);
    const names = rows.map((r) => r.Name as string);
    expect(names).toEqual([...names].sort().reverse());
  });
});

describe('sandbox: sync, Timestamp and deletes', () => {
  it('returns only rows changed after a Timestamp, in Timestamp order, as Int64 strings', async () => {
    const all = await readAll(
      sb,
      token,
      `/api/v1/${small}/sync/Financial/GLAccounts?$select=ID,Code,Description,Timestamp&$filter=Timestamp gt 1L`,
    );
    const stamps = all.rows.map((r) => r.Timestamp as string);
    for (const s of stamps) expect(s).toMatch(/^\d+$/);
    expect(Number(stamps[0])).toBeGreaterThan(2 ** 32);
    const max = stamps.map(BigInt).reduce((a, b) => (a > b ? a : b));

    const nothing = await api(
      sb,
      token,
      `/api/v1/${small}/sync/Financial/GLAccounts?$select=ID&$filter=Timestamp gt ${max}L`,
    );
    expect(rowsOf(nothing.body)).toEqual([]);

    const [a, b] = all.rows as [{ ID: string }, { ID: string }];
    sb.sandbox.update(small, 'GLAccounts', b.ID, { Description: 'Changed second' });
    sb.sandbox.update(small, 'GLAccounts', a.ID, { Description: 'Changed first' });
    const added = sb.sandbox.insert(small, 'GLAccounts', { Code: '9999', Description: 'New account', Type: 90 });
    const changed = await api(
      sb,
      token,
      `/api/v1/${small}/sync/Financial/GLAccounts?$select=ID,Description,Timestamp&$filter=Timestamp gt ${max}L`,
    );
    const rows = rowsOf(changed.body) as { ID: string; Description: string; Timestamp: string }[];
    expect(rows.map((r) => r.ID)).toEqual([b.ID, a.ID, added.ID]);
    expect(rows.map((r) => r.Description)).toEqual(['Changed second', 'Changed first', 'New account']);
    const ts = rows.map((r) => BigInt(r.Timestamp));
    expect(ts[0]! > max && ts[0]! < ts[1]! && ts[1]! < ts[2]!).toBe(true);
  });

  it('lists deletes in sync/Deleted with the entity-type number, and drops the row', async () => {
    const before = await api(sb, token, `/api/v1/${small}/sync/Deleted?$select=Timestamp&$filter=Timestamp gt 1L`);
    const after = rowsOf(before.body).length;
    const { rows } = await readAll(
      sb,
      token,
      `/api/v1/${small}/sync/Financial/TransactionLines?$select=ID,Timestamp&$filter=Timestamp gt 1L`,
    );
    const victim = rows[5] as { ID: string };
    expect(sb.sandbox.remove(small, 'TransactionLines', victim.ID)).toBe(true);
    const deleted = rowsOf(
      (
        await api(
          sb,
          token,
          `/api/v1/${small}/sync/Deleted?$select=EntityKey,EntityType,Division,DeletedDate,Timestamp&$filter=Timestamp gt 1L and EntityType eq 1`,
        )
      ).body,
    );
    expect(deleted.length).toBeGreaterThan(0);
    const entry = deleted.find((d: { EntityKey: string }) => d.EntityKey === victim.ID);
    expect(entry).toMatchObject({ EntityType: 1, Division: small });
    expect(entry.DeletedDate).toMatch(/^\/Date\(\d+\)\/$/);
    expect(
      rowsOf((await api(sb, token, `/api/v1/${small}/sync/Deleted?$select=ID&$filter=Timestamp gt 1L`)).body).length,
    ).toBe(after + 1);
    const again = await readAll(
      sb,
      token,
      `/api/v1/${small}/sync/Financial/TransactionLines?$select=ID&$filter=Timestamp gt 1L`,
    );
    expect(again.rows.map((r) => r.ID)).not.toContain(victim.ID);
    expect(again.rows).toHaveLength(rows.length - 1);
  });
});

describe('sandbox: more of the ledger', () => {
  it('lists outstanding receivables and payables by HID, paging on the number', async () => {
    const large = await startSandbox({ scale: 60_000, divisions: 1, autoApprove: true, limits: false });
    try {
      const t = await authorize(large);
      const code = large.sandbox.divisions[0]!.code;
      const first = await api(
        large,
        t.access_token,
        `/api/v1/${code}/read/financial/ReceivablesList?$select=HID,Amount,DueDate,AccountCode`,
      );
      expect(first.body.d.results).toHaveLength(60);
      expect(first.body.d.__next).toContain('$skiptoken=60L');
      const all = await readAll(
        large,
        t.access_token,
        `/api/v1/${code}/read/financial/ReceivablesList?$select=HID,Amount,DueDate,AccountCode`,
      );
      expect(all.rows.map((r) => r.HID)).toEqual(all.rows.map((_, i) => String(i + 1)));
      expect(all.rows.length).toBe(large.sandbox.table(code, 'ReceivablesList').size);
      // Only recent invoices are open: every due date is after the books' first 45-day window.
      const payables = await readAll(
        large,
        t.access_token,
        `/api/v1/${code}/read/financial/PayablesList?$select=HID,Amount,AccountName`,
      );
      expect(payables.rows.length).toBeGreaterThan(10);
      for (const p of payables.rows) expect(p.Amount).toBeLessThan(0);
    } finally {
      await large.close();
    }
  });

  it('regenerates every Timestamp when a division moves, and says when in DivisionMoveDate', async () => {
    const before = rowsOf(
      (await api(sb, token, `/api/v1/${big}/sync/CRM/Accounts?$select=ID,Timestamp&$filter=Timestamp gt 1L`)).body,
    );
    const max = before
      .map((r: { Timestamp: string }) => BigInt(r.Timestamp))
      .reduce((a: bigint, b: bigint) => (a > b ? a : b));
    sb.sandbox.regenerateTimestamps(big);
    const after = rowsOf(
      (await api(sb, token, `/api/v1/${big}/sync/CRM/Accounts?$select=ID,Timestamp&$filter=Timestamp gt ${max}L`)).body,
    );
    expect(after.map((r: { ID: string }) => r.ID).sort()).toEqual(before.map((r: { ID: string }) => r.ID).sort());
    const division = rowsOf(
      (await api(sb, token, `/api/v1/${big}/system/Divisions?$select=Code,DivisionMoveDate`)).body,
    ).find((d: { Code: number }) => d.Code === big);
    expect(division.DivisionMoveDate).toMatch(/^\/Date\(\d+\)\/$/);
  });
});

describe('sandbox: filters', () => {
  const list = async (path: string) => {
    const res = await api(sb, token, path);
    expect(res.status, res.text).toBe(200);
    return rowsOf(res.body);
  };

  it('filters on guids, strings, numbers, dates, with and/or', async () => {
    const lines = (
      await readAll(
        sb,
        token,
        `/api/v1/${big}/financialtransaction/TransactionLines?$select=ID,EntryID,GLAccountCode,AmountDC,Date,JournalCode`,
      )
    ).rows;
    const sample = lines[10]!;
    expect(
      await list(
        `/api/v1/${big}/financialtransaction/TransactionLines?$select=ID&$filter=ID eq guid'${sample.ID.toUpperCase()}'`,
      ),
    ).toEqual([{ __metadata: expect.any(Object), ID: sample.ID }]);
    const entry = await list(
      `/api/v1/${big}/financialtransaction/TransactionLines?$select=ID,AmountDC&$filter=EntryID eq guid'${sample.EntryID}'`,
    );
    expect(entry.length).toBeGreaterThanOrEqual(2);
    expect(entry.reduce((s: number, r: { AmountDC: number }) => s + Math.round(r.AmountDC * 100), 0)).toBe(0);

    const revenue = await list(
      `/api/v1/${big}/bulk/Financial/TransactionLines?$select=ID&$filter=GLAccountCode eq '8000' or GLAccountCode eq '8100'`,
    );
    expect(revenue.length).toBe(lines.filter((l) => l.GLAccountCode === '8000' || l.GLAccountCode === '8100').length);
    const bigAmounts = await list(
      `/api/v1/${big}/bulk/Financial/TransactionLines?$select=ID&$filter=AmountDC gt 1000 and JournalCode eq '70'`,
    );
    expect(bigAmounts.length).toBe(lines.filter((l) => l.AmountDC > 1000 && l.JournalCode === '70').length);

    const day = Number(/\d+/.exec(sample.Date)![0]);
    const iso = new Date(day).toISOString().slice(0, 10);
    const since = await list(
      `/api/v1/${big}/bulk/Financial/TransactionLines?$select=ID&$filter=Date ge datetime'${iso}'`,
    );
    expect(since.length).toBe(lines.filter((l) => Number(/\d+/.exec(l.Date)![0]) >= day).length);
  });

  it('needs the leading spaces of an account Code, or trim(), as Exact does', async () => {
    const account = (await list(`/api/v1/${big}/crm/Accounts?$select=ID,Code&$top=1`))[0] as {
      ID: string;
      Code: string;
    };
    expect(account.Code).toHaveLength(18);
    const short = account.Code.trim();
    expect(await list(`/api/v1/${big}/crm/Accounts?$select=ID&$filter=Code eq '${short}'`)).toEqual([]);
    expect(
      (await list(`/api/v1/${big}/crm/Accounts?$select=ID&$filter=Code eq '${account.Code}'`)).map(
        (r: { ID: string }) => r.ID,
      ),
    ).toEqual([account.ID]);
    expect(
      (await list(`/api/v1/${big}/crm/Accounts?$select=ID&$filter=trim(Code) eq '${short}'`)).map(
        (r: { ID: string }) => r.ID,
      ),
    ).toEqual([account.ID]);
  });

  it.each([
    ['$filter=Nope eq 1', "Property 'Nope' does not exist on type 'Exact.Web.Api.Models.Account'"],
    ['$filter=Name eq', 'the filter ends too early'],
    ["$filter=Name eq 'x", 'unterminated string'],
    ["$filter=ID eq guid'not-a-guid'", "Unrecognized 'Edm.Guid' literal"],
    ['$select=ID,Bogus', "Type 'Exact.Web.Api.Models.Account' does not have a property named 'Bogus'."],
    ['$top=abc', "Invalid value 'abc' for $top"],
    ['$orderby=Name sideways', "Error in query syntax: 'Name sideways' in $orderby."],
  ])('answers %s with a 400 in Exact’s error shape', async (query, message) => {
    const res = await api(sb, token, `/api/v1/${big}/crm/Accounts?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('');
    expect(res.body.error.message.lang).toBe('');
    expect(res.body.error.message.value).toContain(message);
  });
});

describe('sandbox: errors', () => {
  it('refuses a missing or unknown token with 401', async () => {
    expect((await fetch(`${sb.url}/api/v1/${big}/crm/Accounts`)).status).toBe(401);
    expect((await api(sb, 'not-a-token', `/api/v1/${big}/crm/Accounts`)).status).toBe(401);
  });

  it('refuses a division the user has no access to with 403 and a Reason', async () => {
    const res = await api(sb, token, '/api/v1/999/crm/Accounts');
    expect(res.status).toBe(403);
    expect(res.headers.get('reason')).toBe('NoDivisionAccess');
    expect(res.body.error.message.value).toBe('Forbidden');
  });

  it('answers an unknown endpoint and an unknown key with 404', async () => {
    expect((await api(sb, token, `/api/v1/${big}/crm/Nothing`)).status).toBe(404);
    expect(
      (await api(sb, token, `/api/v1/${big}/crm/Accounts(guid'00000000-0000-0000-0000-000000000000')`)).status,
    ).toBe(404);
  });

  it('refuses a bare read of an endpoint with a sync counterpart by default (mandatory filtering), and only those', async () => {
    const strict = await startSandbox({ scale: 50, autoApprove: true });
    try {
      const t = await authorize(strict);
      const code = strict.sandbox.divisions[0]!.code;
      const get = (path: string) => api(strict, t.access_token, `/api/v1/${code}/${path}`);
      for (const path of [
        'crm/Accounts?$select=ID',
        'bulk/CRM/Accounts?$select=ID',
        // Sync counterparts by Exact's reference: sync/SalesInvoice/SalesInvoices, sync/SalesOrder/SalesOrders.
        'salesinvoice/SalesInvoices?$select=InvoiceID',
        'salesorder/SalesOrders?$select=OrderID',
      ]) {
        const bare = await get(path);
        expect(bare.status, path).toBe(400);
        expect(bare.body.error.message.value, path).toMatch(
          /^A GET request for this endpoint must have a \$filter parameter with one of the following fields in the url:/,
        );
      }
      expect((await get(`crm/Accounts?$select=ID&$filter=Modified ge datetime'1900-01-01'`)).status).toBe(200);
      expect((await get('sync/CRM/Accounts?$select=ID')).status).toBe(200);
      // No sync counterpart: purchase entries, journals.
      expect((await get('purchaseentry/PurchaseEntries?$select=EntryID')).status).toBe(200);
      expect((await get('financial/Journals?$select=ID')).status).toBe(200);
      const one = (await get("crm/Accounts?$select=ID&$filter=Modified ge datetime'1900-01-01'&$top=1")).body.d[0];
      expect((await get(`crm/Accounts(guid'${one.ID}')?$select=ID`)).status).toBe(200);
    } finally {
      await strict.close();
    }
  });
});

describe('sandbox: each endpoint serves its own type (Exact reference)', () => {
  const refused = (body: { error: { message: { value: string } } }) => body.error.message.value;

  it('serves a sync endpoint the fields of its own type and refuses the others with Exact’s message', async () => {
    // TransactionLineSync lacks ShopOrder; GLAccountSync lacks DeductibilityPercentages (picqer issue 652).
    const lines = await api(sb, token, `/api/v1/${small}/sync/Financial/TransactionLines?$select=ID,ShopOrder`);
    expect(lines.status).toBe(400);
    expect(refused(lines.body)).toBe(
      "Type 'Exact.Web.Api.Models.Financial.TransactionLineSync' does not have a property named 'ShopOrder'.",
    );
    const plain = await api(
      sb,
      token,
      `/api/v1/${small}/financialtransaction/TransactionLines?$select=ID,ShopOrder&$top=1`,
    );
    expect(plain.status).toBe(200);
    const gl = await api(sb, token, `/api/v1/${small}/sync/Financial/GLAccounts?$select=DeductibilityPercentages`);
    expect(refused(gl.body)).toBe(
      "Type 'Exact.Web.Api.Models.GLAccountSync' does not have a property named 'DeductibilityPercentages'.",
    );
    // Timestamp is the sync type's own: the plain endpoint lacks it.
    const ts = await api(sb, token, `/api/v1/${small}/financial/GLAccounts?$select=ID,Timestamp`);
    expect(ts.status).toBe(400);
    expect(refused(ts.body)).toBe("Type 'Exact.Web.Api.Models.GLAccount' does not have a property named 'Timestamp'.");
    // The whole set of a sync type is served, including a field the plain endpoint lacks (Documents' ItemMaterial).
    const docs = await api(sb, token, `/api/v1/${small}/sync/Documents/Documents?$select=ID,ItemMaterial,Timestamp`);
    expect(docs.status).toBe(200);
  });

  it('refuses an unknown field in $filter and $orderby with Exact’s other phrasing', async () => {
    const res = await api(sb, token, `/api/v1/${small}/sync/CRM/Accounts?$select=ID&$filter=BRIN eq null`);
    expect(res.status).toBe(400);
    expect(refused(res.body)).toMatch(/^Property 'BRIN' does not exist on type 'Exact\.Web\.Api\.Models\.AccountSync'/);
  });

  it('drops a field from an endpoint at run time through the control API, and brings it back', async () => {
    const path = `/api/v1/${small}/sync/CRM/Contacts?$select=ID,Notes,Timestamp&$top=1`;
    expect((await api(sb, token, path)).status).toBe(200);
    const drop = (body: object) =>
      fetch(`${sb.url}/_sandbox/endpoints/drop-field`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await drop({ path: 'sync/CRM/Contacts', field: 'Notes' })).status).toBe(204);
    const gone = await api(sb, token, path);
    expect(gone.status).toBe(400);
    expect(refused(gone.body)).toBe("Type 'Exact.Web.Api.Models.ContactSync' does not have a property named 'Notes'.");
    // Only that endpoint lost it.
    expect((await api(sb, token, `/api/v1/${small}/bulk/CRM/Contacts?$select=ID,Notes&$top=1`)).status).toBe(200);
    expect((await drop({ path: 'sync/CRM/Contacts', field: 'Notes', restore: true })).status).toBe(204);
    expect((await api(sb, token, path)).status).toBe(200);
    expect((await drop({ path: 'sync/Nothing', field: 'Notes' })).status).toBe(404);
    expect((await drop({ path: 'sync/CRM/Contacts' })).status).toBe(400);
  });
});

describe('sandbox: rate limits', () => {
  it('counts down on every response and answers 429 with only the limit that was hit', async () => {
    const limited = await startSandbox({ scale: 50, autoApprove: true, limits: { minutely: 5, daily: 8 } });
    try {
      const t = await authorize(limited);
      const [one, two] = limited.sandbox.divisions.map((d) => d.code) as [number, number];
      // The start of a minute, so all calls fall into one window.
      limited.sandbox.clock.set(Math.ceil(limited.sandbox.clock.now() / 60_000) * 60_000 + 100);
      const remaining: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await api(limited, t.access_token, `/api/v1/${one}/financial/Journals?$select=ID`);
        expect(res.status).toBe(200);
        remaining.push(res.headers.get('x-ratelimit-minutely-remaining')!);
        expect(res.headers.get('x-ratelimit-limit')).toBe('8');
        expect(res.headers.get('x-ratelimit-minutely-limit')).toBe('5');
      }
      expect(remaining).toEqual(['4', '3', '2', '1', '0']);
      const refused = await api(limited, t.access_token, `/api/v1/${one}/financial/Journals?$select=ID`);
      expect(refused.status).toBe(429);
      expect(refused.text).toBe('');
      expect(refused.headers.get('x-ratelimit-minutely-remaining')).toBe('0');
      expect(refused.headers.get('x-ratelimit-remaining')).toBeNull();
      // The window ends at the next sandbox minute; on the wire, the real moment the sandbox reaches it.
      const windowEnd = Math.ceil(limited.sandbox.clock.now() / 60_000) * 60_000;
      const reset = Number(refused.headers.get('x-ratelimit-minutely-reset'));
      expect(reset).toBe(Math.round(limited.sandbox.clock.toRealEpoch(windowEnd)));

      // Another division has its own budget.
      expect((await api(limited, t.access_token, `/api/v1/${two}/financial/Journals?$select=ID`)).status).toBe(200);

      limited.sandbox.clock.advance(60_000);
      for (let i = 0; i < 3; i++)
        expect((await api(limited, t.access_token, `/api/v1/${one}/financial/Journals?$select=ID`)).status).toBe(200);
      const daily = await api(limited, t.access_token, `/api/v1/${one}/financial/Journals?$select=ID`);
      expect(daily.status).toBe(429);
      expect(daily.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(daily.headers.get('x-ratelimit-minutely-remaining')).toBeNull();
      const dailyReset = Number(daily.headers.get('x-ratelimit-reset'));
      const sandboxMidnight = Math.ceil(limited.sandbox.clock.now() / 86_400_000) * 86_400_000;
      expect(dailyReset).toBe(Math.round(limited.sandbox.clock.toRealEpoch(sandboxMidnight)));
    } finally {
      await limited.close();
    }
  });

  it('runs time faster with a time scale: a minute window resets within two real seconds at 30x', async () => {
    const fast = await startSandbox({
      scale: 50,
      autoApprove: true,
      limits: { minutely: 1, daily: 1000 },
      timeScale: 30,
    });
    try {
      const t = await authorize(fast);
      const code = fast.sandbox.divisions[0]!.code;
      // The start of a sandbox minute: the calls below fall into one window (it lasts 2 real seconds).
      fast.sandbox.clock.set(Math.ceil(fast.sandbox.clock.now() / 60_000) * 60_000 + 100);
      let res = await api(fast, t.access_token, `/api/v1/${code}/financial/Journals?$select=ID`);
      if (res.status === 200) res = await api(fast, t.access_token, `/api/v1/${code}/financial/Journals?$select=ID`);
      expect(res.status).toBe(429);
      // The window's end in sandbox time, sent as the real moment it comes: a sandbox minute is 2 real seconds.
      const windowEnd = Math.ceil(fast.sandbox.clock.now() / 60_000) * 60_000;
      const reset = Number(res.headers.get('x-ratelimit-minutely-reset'));
      expect(reset).toBe(Math.round(fast.sandbox.clock.toRealEpoch(windowEnd)));
      expect(fast.sandbox.clock.toRealEpoch(windowEnd) - fast.sandbox.clock.toRealEpoch(windowEnd - 60_000)).toBe(2000);
    } finally {
      await fast.close();
    }
  });

  it('sends no rate-limit headers when limits are off', async () => {
    const res = await api(sb, token, `/api/v1/${big}/financial/Journals?$select=ID`);
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('sandbox: writes', () => {
  it('creates, updates, finds and deletes a document, with Exact’s status codes', async () => {
    const account = rowsOf((await api(sb, token, `/api/v1/${big}/crm/Accounts?$select=ID,Name&$top=1`)).body)[0];
    const created = await api(sb, token, `/api/v1/${big}/documents/Documents`, {
      method: 'POST',
      body: JSON.stringify({
        Subject: "Invoice: 24700001 'quoted'",
        DocumentDate: '2026-06-25',
        Account: account.ID,
        Type: 10,
      }),
    });
    expect(created.status).toBe(201);
    const doc = created.body.d;
    expect(doc.ID).toMatch(GUID);
    expect(doc).toMatchObject({
      Subject: "Invoice: 24700001 'quoted'",
      Type: 10,
      TypeDescription: 'Sales invoice',
      AccountName: account.Name,
      DocumentDate: `/Date(${Date.UTC(2026, 5, 25)})/`,
    });
    expect(doc.Created).toMatch(/^\/Date\(\d+\)\/$/);

    const put = await api(sb, token, `/api/v1/${big}/documents/Documents(guid'${doc.ID}')`, {
      method: 'PUT',
      body: JSON.stringify({ Body: 'Paid' }),
    });
    expect(put.status).toBe(204);
    expect(put.text).toBe('');
    const found = rowsOf(
      (
        await api(
          sb,
          token,
          `/api/v1/${big}/documents/Documents?$select=ID,Body,Subject&$filter=Subject eq 'Invoice: 24700001 ''quoted'''`,
        )
      ).body,
    );
    expect(found).toEqual([
      { __metadata: expect.any(Object), ID: doc.ID, Body: 'Paid', Subject: "Invoice: 24700001 'quoted'" },
    ]);

    expect(
      (await api(sb, token, `/api/v1/${big}/documents/Documents(guid'${doc.ID}')`, { method: 'DELETE' })).status,
    ).toBe(204);
    const twice = await api(sb, token, `/api/v1/${big}/documents/Documents(guid'${doc.ID}')`, { method: 'DELETE' });
    expect(twice.status).toBe(403);
    expect(twice.body.error.message.value).toBe('Forbidden');
    const deleted = rowsOf(
      (await api(sb, token, `/api/v1/${big}/sync/Deleted?$select=EntityKey,EntityType&$filter=EntityType eq 6`)).body,
    );
    expect(deleted).toContainEqual({ __metadata: expect.any(Object), EntityKey: doc.ID, EntityType: 6 });
  });

  it.each([
    [{ Subject: 'x' }, 400, 'Mandatory: Type'],
    [{ Type: 10 }, 400, 'Mandatory: Subject'],
    [
      { Subject: 'x', Type: 10, Bogus: 1 },
      400,
      "The property 'Bogus' does not exist on type 'Exact.Web.Api.Models.Document'",
    ],
    [
      { Subject: 'x', Type: 10, Account: 'not-a-guid' },
      500,
      "Error in converting value for property 'Account' to type 'Guid'",
    ],
    [{ Subject: 'x', Type: 12345 }, 400, 'Document type 12345 does not exist.'],
  ])('refuses a bad document %j', async (body, status, message) => {
    const res = await api(sb, token, `/api/v1/${big}/documents/Documents`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(status);
    expect(res.body.error.message.value).toContain(message);
  });

  it('attaches a file from base64, serves it for download, and refuses bad base64 and oversized bodies', async () => {
    const doc = (
      await api(sb, token, `/api/v1/${big}/documents/Documents`, {
        method: 'POST',
        body: JSON.stringify({ Subject: 'With attachment', Type: 10 }),
      })
    ).body.d;
    const content = Buffer.from('%PDF-1.4 test bytes \u00e9');
    const posted = await api(sb, token, `/api/v1/${big}/documents/DocumentAttachments`, {
      method: 'POST',
      body: JSON.stringify({ Document: doc.ID, FileName: 'invoice.pdf', Attachment: content.toString('base64') }),
    });
    expect(posted.status).toBe(201);
    expect(posted.body.d).toMatchObject({
      Document: doc.ID,
      FileName: 'invoice.pdf',
      FileSize: content.length,
      Attachment: null,
    });
    expect(posted.body.d.Url).toBe(`${sb.url}/docs/SysAttachment.aspx?ID=${posted.body.d.ID}&_Division_=${big}`);
    const download = await fetch(`${posted.body.d.Url}&Download=1`, { headers: { Authorization: `Bearer ${token}` } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true);
    expect((await fetch(`${posted.body.d.Url}&Download=1`)).status).toBe(401);

    const bad = await api(sb, token, `/api/v1/${big}/documents/DocumentAttachments`, {
      method: 'POST',
      body: JSON.stringify({ Document: doc.ID, FileName: 'x.txt', Attachment: 'not base64!' }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message.value).toBe('The value of Attachment is not valid base64.');

    const huge = await api(sb, token, `/api/v1/${big}/documents/DocumentAttachments`, {
      method: 'POST',
      body: JSON.stringify({
        Document: doc.ID,
        FileName: 'big.bin',
        Attachment: Buffer.alloc(8 * 1024 * 1024).toString('base64'),
      }),
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.message.value).toContain('larger than 10 MB');

    // Deleting the document takes its attachments with it.
    await api(sb, token, `/api/v1/${big}/documents/Documents(guid'${doc.ID}')`, { method: 'DELETE' });
    expect(
      (await fetch(`${posted.body.d.Url}&Download=1`, { headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(404);
  });

  it('refuses writes in a read-only division and PUT on attachments', async () => {
    const division = sb.sandbox.division(small)!;
    division.readOnly = true;
    try {
      const res = await api(sb, token, `/api/v1/${small}/documents/Documents`, {
        method: 'POST',
        body: JSON.stringify({ Subject: 'x', Type: 10 }),
      });
      expect(res.status).toBe(403);
    } finally {
      division.readOnly = false;
    }
    const attachment = rowsOf(
      (await api(sb, token, `/api/v1/${big}/documents/DocumentAttachments?$select=ID&$top=1`)).body,
    )[0];
    expect(
      (
        await api(sb, token, `/api/v1/${big}/documents/DocumentAttachments(guid'${attachment.ID}')`, {
          method: 'PUT',
          body: '{}',
        })
      ).status,
    ).toBe(405);
  });
});

describe('sandbox: injected faults and the call log', () => {
  it('fails the Nth call, drops a connection, and logs every call', async () => {
    const since = sb.sandbox.clock.now();
    sb.sandbox.faults.add({ path: '/financial/Journals', nth: 2, status: 503 });
    const path = `/api/v1/${big}/financial/Journals?$select=ID`;
    expect((await api(sb, token, path)).status).toBe(200);
    const failed = await api(sb, token, path);
    expect(failed.status).toBe(503);
    expect(failed.body.error.message.value).toBe('Service Unavailable');
    expect((await api(sb, token, path)).status).toBe(200);

    sb.sandbox.faults.add({ path: '/financial/Journals', nth: 1, drop: true });
    await expect(api(sb, token, path)).rejects.toThrow();
    sb.sandbox.faults.clear();

    const calls = sb.sandbox.calls.filter((c) => c.at >= since && c.path.includes('/financial/Journals'));
    expect(calls.map((c) => c.status)).toEqual([200, 503, 200]);
    expect(calls[0]).toMatchObject({ method: 'GET', division: big });
  });
});

describe('sandbox: generated books', () => {
  it('balances every journal entry and matches invoices to their lines', async () => {
    // The big division: a line of the small one was deleted above, which unbalances its entry on purpose.
    const lines = (await readAll(sb, token, `/api/v1/${big}/bulk/Financial/TransactionLines?$select=EntryID,AmountDC`))
      .rows;
    const byEntry = new Map<string, number>();
    for (const l of lines) byEntry.set(l.EntryID, (byEntry.get(l.EntryID) ?? 0) + Math.round(l.AmountDC * 100));
    expect(byEntry.size).toBeGreaterThan(10);
    for (const sum of byEntry.values()) expect(sum).toBe(0);

    const invoices = (
      await readAll(
        sb,
        token,
        `/api/v1/${small}/salesinvoice/SalesInvoices?$select=InvoiceID,AmountDC,VATAmountDC,SalesInvoiceLines&$expand=SalesInvoiceLines`,
      )
    ).rows;
    expect(invoices.length).toBeGreaterThan(3);
    for (const inv of invoices) {
      const net = inv.SalesInvoiceLines.results.reduce(
        (s: number, l: { AmountDC: number }) => s + Math.round(l.AmountDC * 100),
        0,
      );
      const vat = inv.SalesInvoiceLines.results.reduce(
        (s: number, l: { VATAmountDC: number }) => s + Math.round(l.VATAmountDC * 100),
        0,
      );
      expect(Math.round(inv.AmountDC * 100)).toBe(net + vat);
      expect(Math.round(inv.VATAmountDC * 100)).toBe(vat);
    }
  });

  it('is the same for the same seed and different for another', async () => {
    const page = async (seed: number) => {
      const s = await startSandbox({ scale: 100, seed, autoApprove: true, start: Date.UTC(2026, 0, 15) });
      try {
        const t = await authorize(s);
        const body = (
          await api(
            s,
            t.access_token,
            `/api/v1/${s.sandbox.divisions[0]!.code}/sync/Financial/TransactionLines?$select=ID,AmountDC,Description,Date&$filter=Timestamp gt 1L`,
          )
        ).body;
        return rowsOf(body).map(({ __metadata, ...rest }: { __metadata: { uri: string } }) => ({
          ...rest,
          uri: __metadata.uri.replace(/^http:\/\/[^/]+/, ''),
        }));
      } finally {
        await s.close();
      }
    };
    const a = await page(7);
    expect(await page(7)).toEqual(a);
    expect(await page(8)).not.toEqual(a);
  });
});
