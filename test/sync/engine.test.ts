import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExactClient } from '../../server/exact/client.ts';
import { ALL_TABLES, TABLES } from '../../server/catalog/tables.ts';
import { syncDivision, syncTable, YEARS_BACK, type SyncContext } from '../../server/sync/engine.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertWarehouseEqualsSandbox, SCHEMA, setUpSync } from '../helpers/syncSetup.ts';

let db: TestDatabase;
let sb: RunningSandbox;
let ctx: SyncContext;
let client: ExactClient;

beforeAll(async () => {
  db = await createTestDatabase('sync_engine');
  sb = await startSandbox({ autoApprove: true, scale: 1500, divisions: 2, limits: false });
  ({ ctx, client } = await setUpSync(db, sb));
});
afterAll(async () => {
  await sb?.close();
  await db?.drop();
});

// syncDivision reads every catalog table, not only the default ones: all are compared.
const assertEqual = (division: number) =>
  assertWarehouseEqualsSandbox(
    db.pool,
    sb,
    division,
    ALL_TABLES.map((t) => t.name),
  );

describe('sync engine', () => {
  it('copies every catalog table of every division into typed warehouse tables, value for value', async () => {
    for (const d of sb.sandbox.divisions) await syncDivision(ctx, d.code);
    for (const d of sb.sandbox.divisions) await assertEqual(d.code);
    // Exact's mandatory filtering: every read of a plain or bulk endpoint with a sync counterpart filtered,
    // the first one too (no starting year: Modified ge 1900-01-01). The sandbox refuses any other.
    const reads = sb.sandbox.calls
      .map((c) => decodeURIComponent(c.path))
      .filter((p) => /\/api\/v1\/\d+\/(salesinvoice\/SalesInvoices|bulk\/SalesOrder\/SalesOrders)\?/.test(p));
    expect(reads.length).toBeGreaterThanOrEqual(4);
    for (const p of reads) expect(p).toMatch(/\$filter=Modified ge datetime'/);
    expect(sb.sandbox.calls.filter((c) => c.status === 400)).toEqual([]);
    const types = await db.pool.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'transactionlines' AND column_name IN ('id','amountdc','date','timestamp','description','status')`,
      [SCHEMA],
    );
    const lookup = await db.pool.query(
      `SELECT number, name, table_name FROM ${SCHEMA}.entitytype WHERE number IN (1, 2, 13, 52, 55) ORDER BY number`,
    );
    expect(lookup.rows).toEqual([
      { number: 1, name: 'TransactionLines', table_name: 'transactionlines' },
      { number: 2, name: 'Accounts', table_name: 'accounts' },
      { number: 13, name: 'SalesInvoices', table_name: 'salesinvoices' },
      { number: 55, name: 'BillOfMaterialVersions', table_name: 'billofmaterialversions' },
    ]);
    expect(Object.fromEntries(types.rows.map((r) => [r.column_name, r.data_type]))).toEqual({
      id: 'uuid',
      amountdc: 'numeric',
      date: 'date',
      timestamp: 'bigint',
      description: 'text',
      status: 'integer',
    });
  });

  it('trims every code the same way, so transaction lines, receivables and accounts join on their codes', async () => {
    // Exact pads Accounts.Code (CHAR(18)) and the AccountCode copies of it (docs/exact-online.md 4.5).
    const padded = sb.sandbox.table(sb.sandbox.divisions[0]!.code, 'TransactionLines');
    const sample = [...Array(padded.end).keys()].map((i) => padded.get(i)).find((r) => r?.AccountCode)!;
    expect(String(sample.AccountCode)).toMatch(/^ +\d+$/);
    const { rows } = await db.pool.query<{
      lines: number;
      unmatched: number;
      receivables: number;
      unmatchedReceivables: number;
    }>(
      `SELECT
         (SELECT count(*)::int FROM ${SCHEMA}.transactionlines WHERE accountcode IS NOT NULL) AS lines,
         (SELECT count(*)::int FROM ${SCHEMA}.transactionlines t WHERE t.accountcode IS NOT NULL AND NOT EXISTS
            (SELECT 1 FROM ${SCHEMA}.accounts a WHERE a.division = t.division AND a.code = t.accountcode)) AS unmatched,
         (SELECT count(*)::int FROM ${SCHEMA}.receivables) AS receivables,
         (SELECT count(*)::int FROM ${SCHEMA}.receivables r WHERE NOT EXISTS
            (SELECT 1 FROM ${SCHEMA}.accounts a WHERE a.division = r.division AND a.code = r.accountcode)) AS "unmatchedReceivables"`,
    );
    expect(rows[0]!.lines).toBeGreaterThan(0);
    expect(rows[0]!.receivables).toBeGreaterThan(0);
    expect(rows[0]).toMatchObject({ unmatched: 0, unmatchedReceivables: 0 });
  });

  it('applies a delete of every entity type the catalog has a Sync API table for', async () => {
    const division = sb.sandbox.divisions[0]!.code;
    const targets = TABLES.filter((t) => t.strategy === 'sync' && t.deletedType !== undefined);
    expect(targets.length).toBeGreaterThanOrEqual(40);
    const gone: { table: string; key: string; column: string }[] = [];
    for (const t of targets) {
      const source = sb.sandbox.table(division, t.entity.name);
      let row;
      for (let i = source.end - 1; i >= 0 && !row; i--) row = source.get(i);
      if (!row) continue;
      const key = String(row[t.entity.key]);
      expect(sb.sandbox.remove(division, t.entity.name, key)).toBe(true);
      gone.push({ table: t.name, key, column: t.key.name });
    }
    expect(gone.length).toBe(targets.length);
    const results = await syncDivision(ctx, division);
    expect(results.find((r) => r.table === 'deleted')!.deleted).toBeGreaterThanOrEqual(gone.length);
    for (const g of gone) {
      const { rows } = await db.pool.query(`SELECT 1 FROM ${SCHEMA}.${g.table} WHERE ${g.column} = $1`, [g.key]);
      expect(rows, `${g.table} ${g.key}`).toEqual([]);
    }
    await assertEqual(division);
  });

  it('after changes and deletes in Exact, an incremental run makes the warehouse equal again', async () => {
    const division = sb.sandbox.divisions[0]!.code;
    const lines = sb.sandbox.table(division, 'TransactionLines');
    const ids: string[] = [];
    for (let i = 0; i < lines.end; i++) ids.push(String(lines.get(i)?.ID));
    for (let k = 0; k < Math.ceil(ids.length / 100); k++)
      sb.sandbox.update(division, 'TransactionLines', ids[(k * 97) % ids.length]!, {
        Description: `Changed ${k}`,
        AmountDC: k + 0.5,
      });
    for (let k = 0; k < Math.ceil(ids.length / 200); k++)
      sb.sandbox.remove(division, 'TransactionLines', ids[(k * 89 + 7) % ids.length]!);
    const account = sb.sandbox.insert(division, 'Accounts', { Name: 'New customer', Code: '9000' });
    sb.sandbox.update(division, 'Journals', String(sb.sandbox.table(division, 'Journals').get(0)!.ID), {
      Description: 'Renamed journal',
    });
    // An invoice loses a line and gets a new description: in Exact a change to a line changes its invoice too.
    const invoiceLines = sb.sandbox.table(division, 'SalesInvoiceLines');
    const line = invoiceLines.get(invoiceLines.end - 1)!;
    sb.sandbox.remove(division, 'SalesInvoiceLines', String(line.ID));
    sb.sandbox.update(division, 'SalesInvoices', String(line.InvoiceID), { Description: 'Credited one line' });
    // An order is deleted, with its lines.
    const order = sb.sandbox.table(division, 'SalesOrders').get(1)!;
    const orderLines = sb.sandbox.table(division, 'SalesOrderLines');
    let linesOfOrder = 0;
    for (let i = 0; i < orderLines.end; i++) if (orderLines.get(i)?.OrderID === order.OrderID) linesOfOrder++;
    expect(linesOfOrder).toBeGreaterThan(0);
    sb.sandbox.remove(division, 'SalesOrders', String(order.OrderID));
    // An invoice is deleted, with its lines (sync/Deleted names the invoice) …
    const invoice = sb.sandbox.table(division, 'SalesInvoices').get(2)!;
    sb.sandbox.remove(division, 'SalesInvoices', String(invoice.InvoiceID));
    // … and a line of another is deleted with sync/Deleted naming the line (what EntityKey holds for
    // EntityType 13 is undocumented; both readings are applied). Its invoice is not modified.
    let other: Record<string, unknown> | undefined;
    for (let i = 0; i < invoiceLines.end && !other; i++) {
      const l = invoiceLines.get(i);
      if (l && l.InvoiceID !== invoice.InvoiceID && l.InvoiceID !== line.InvoiceID) other = l;
    }
    sb.sandbox.remove(division, 'SalesInvoiceLines', String(other!.ID));
    sb.sandbox
      .table(division, 'Deleted')
      .insert({ DeletedBy: null, DeletedDate: null, Division: division, EntityKey: String(other!.ID), EntityType: 13 });

    const results = await syncDivision(ctx, division);
    await assertEqual(division);
    const byName = Object.fromEntries(results.map((r) => [r.table, r]));
    expect(byName.accounts!.inserted).toBe(1);
    expect(byName.salesinvoices!.updated).toBeGreaterThanOrEqual(1);
    expect(
      (
        await db.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.salesorderlines WHERE orderid = $1`, [
          order.OrderID,
        ])
      ).rows[0].n,
    ).toBe(0);
    // The deleted transaction lines; the order, from the legacy table and the Sync API's headers (the same
    // orders), and each of its lines (Exact logs them as SalesOrderLines, 33); the invoice (its lines go with
    // it, not counted apart); and the invoice line named by its own key.
    expect(byName.deleted!.deleted).toBe(Math.ceil(ids.length / 200) + 2 + linesOfOrder + 2);
    expect(
      (
        await db.pool.query(
          `SELECT count(*)::int AS n FROM ${SCHEMA}.salesinvoicelines WHERE invoiceid = $1 OR id = $2`,
          [invoice.InvoiceID, other!.ID],
        )
      ).rows[0].n,
    ).toBe(0);
    expect((await db.pool.query(`SELECT name FROM ${SCHEMA}.accounts WHERE id = $1`, [account.ID])).rows).toEqual([
      { name: 'New customer' },
    ]);
  });

  it('costs one call per table per division when nothing changed (a table read whole: its pages)', async () => {
    const division = sb.sandbox.divisions[1]!.code;
    const before = client.stats.calls;
    const results = await syncDivision(ctx, division);
    // Plain endpoints serve 60 rows a page (docs/exact-online.md 4.3).
    const pages = (rows: number) => Math.max(1, Math.ceil(rows / 60));
    const calls = TABLES.reduce((n, t) => {
      if (t.strategy !== 'full') return n + 1;
      const source = sb.sandbox.table(division, t.entity.name);
      if (t.since?.kind !== 'years') return n + pages(source.size);
      // Read a year at a time, five years back: a call per year at least.
      const year = new Date().getUTCFullYear();
      let k = 0;
      for (let y = year - YEARS_BACK + 1; y <= year; y++) {
        let inYear = 0;
        for (let i = 0; i < source.end; i++) if (source.get(i)?.ReportingYear === y) inYear++;
        k += pages(inYear);
      }
      return n + k;
    }, 0);
    expect(calls).toBeGreaterThan(TABLES.length);
    expect(client.stats.calls - before).toBe(calls);
    expect(results.every((r) => r.inserted === 0 && r.deleted === 0)).toBe(true);
  });

  it('a read of a whole table from the beginning removes what Exact no longer has (purchase entries: not in sync/Deleted)', async () => {
    const division = sb.sandbox.divisions[1]!.code;
    const entry = sb.sandbox.table(division, 'PurchaseEntries').get(0)!;
    sb.sandbox.remove(division, 'PurchaseEntries', String(entry.EntryID));
    const count = async () =>
      (
        await db.pool.query(
          `SELECT (SELECT count(*)::int FROM ${SCHEMA}.purchaseentries WHERE entryid = $1) AS entries, (SELECT count(*)::int FROM ${SCHEMA}.purchaseentrylines WHERE entryid = $1) AS lines`,
          [entry.EntryID],
        )
      ).rows[0];
    const before = await count();
    expect(before.entries).toBe(1);
    expect(before.lines).toBeGreaterThan(0);
    // An incremental run cannot know: nothing modified, nothing in sync/Deleted.
    await syncTable(ctx, 'purchaseentries', division);
    expect(await count()).toEqual(before);
    // What `exact-sync sync --full` does: the cursor goes, the table is read from the beginning.
    await db.pool.query(`DELETE FROM exact_sync.sync_state WHERE division = $1 AND table_name = 'purchaseentries'`, [
      division,
    ]);
    const result = await syncTable(ctx, 'purchaseentries', division);
    expect(result.deleted).toBe(1);
    expect(await count()).toEqual({ entries: 0, lines: 0 });
    await assertEqual(division);
  });

  it('a weekly key sweep removes purchase entries Exact no longer has, without reading them whole', async () => {
    const division = sb.sandbox.divisions[1]!.code;
    const entry = sb.sandbox.table(division, 'PurchaseEntries').get(1)!;
    sb.sandbox.remove(division, 'PurchaseEntries', String(entry.EntryID));
    const present = async () =>
      (await db.pool.query(`SELECT 1 FROM ${SCHEMA}.purchaseentries WHERE entryid = $1`, [entry.EntryID])).rows.length;
    // The full read of the test before counts as a sweep: none is due yet.
    let now = new Date();
    const at = { ...ctx, now: () => now };
    const calls = sb.sandbox.calls.length;
    await syncTable(at, 'purchaseentries', division);
    expect(await present()).toBe(1);
    expect(sb.sandbox.calls.length - calls).toBe(1);
    // A week later the run compares every key: one more read, of the key alone, and the entry goes with its lines.
    now = new Date(now.getTime() + 7 * 86_400_000 + 1);
    const before = sb.sandbox.calls.length;
    const result = await syncTable(at, 'purchaseentries', division);
    expect(result.deleted).toBe(1);
    expect(await present()).toBe(0);
    const sweep = sb.sandbox.calls.slice(before).map((c) => decodeURIComponent(c.path));
    expect(sweep.some((p) => p.includes('$select=EntryID&'))).toBe(true);
    await assertEqual(division);
    // And not again before another week.
    const after = sb.sandbox.calls.length;
    await syncTable(at, 'purchaseentries', division);
    expect(sb.sandbox.calls.length - after).toBe(1);
  });
});
