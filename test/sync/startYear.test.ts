import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactDateMs, localToUtc } from '../../server/exact/values.ts';
import { syncDivision, type SyncContext } from '../../server/sync/engine.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { api, authorize, rowsOf } from '../helpers/sandbox.ts';
import { SCHEMA, setUpSync } from '../helpers/syncSetup.ts';

let db: TestDatabase;
let sb: RunningSandbox;
let ctx: SyncContext;
const START = Date.UTC(2026, 5, 15);

beforeAll(async () => {
  db = await createTestDatabase('sync_start_year');
  sb = await startSandbox({ autoApprove: true, scale: 3000, divisions: 1, limits: false, start: START });
  ({ ctx } = await setUpSync(db, sb));
});
afterAll(async () => {
  await sb?.close();
  await db?.drop();
});

describe('starting year', () => {
  it("the sandbox's SyncTimestamp gives the Timestamp before the first row modified on or after a date", async () => {
    const { access_token: token } = await authorize(sb);
    const division = sb.sandbox.divisions[0]!.code;
    const res = await api(
      sb,
      token,
      `/api/v1/${division}/read/sync/Sync/SyncTimestamp?modified=datetime'2025-01-01'&endPoint='TransactionLines'`,
    );
    expect(res.status, res.text).toBe(200);
    const ts = rowsOf(res.body)[0].TimeStampAsBigInt as string;
    const after = rowsOf(
      (
        await api(
          sb,
          token,
          `/api/v1/${division}/sync/Financial/TransactionLines?$select=Modified&$filter=Timestamp gt ${ts}L&$top=1`,
        )
      ).body,
    )[0];
    expect(exactDateMs(after.Modified)!).toBeGreaterThanOrEqual(Date.UTC(2025, 0, 1));
    const before = rowsOf(
      (
        await api(
          sb,
          token,
          `/api/v1/${division}/sync/Financial/TransactionLines?$select=Modified&$filter=Timestamp eq ${ts}L`,
        )
      ).body,
    )[0];
    expect(exactDateMs(before.Modified)!).toBeLessThan(Date.UTC(2025, 0, 1));
    expect((await api(sb, token, `/api/v1/${division}/read/sync/Sync/SyncTimestamp?modified=yesterday`)).status).toBe(
      400,
    );
  });

  it('limits the first sync of date-bearing tables to the starting year, and leaves the others whole', async () => {
    const division = sb.sandbox.divisions[0]!.code;
    await syncDivision({ ...ctx, startYear: 2025 }, division);
    const jan1 = localToUtc(Date.UTC(2025, 0, 1), 'Europe/Amsterdam');
    const lines = await db.pool.query(
      `SELECT min(modified) AS first, count(*)::int AS n FROM ${SCHEMA}.transactionlines`,
    );
    expect(lines.rows[0].first.getTime()).toBeGreaterThanOrEqual(jan1);
    expect(lines.rows[0].n).toBeLessThan(3000);
    expect(lines.rows[0].n).toBeGreaterThan(1000);
    const invoices = await db.pool.query(
      `SELECT min(invoicedate) AS first, count(*)::int AS n FROM ${SCHEMA}.salesinvoices`,
    );
    expect(invoices.rows[0].first.getTime()).toBeGreaterThanOrEqual(jan1);
    expect(invoices.rows[0].n).toBeLessThan(sb.sandbox.table(division, 'SalesInvoices').size);
    const accounts = await db.pool.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.accounts`);
    expect(accounts.rows[0].n).toBe(sb.sandbox.table(division, 'Accounts').size);
  });

  it('a full read with a later starting year removes only rows it could have seen: older ones stay', async () => {
    const division = sb.sandbox.divisions[0]!.code;
    const jan2026 = localToUtc(Date.UTC(2026, 0, 1), 'Europe/Amsterdam');
    const count = async () =>
      (
        await db.pool.query(
          `SELECT count(*) FILTER (WHERE invoicedate < $1)::int AS older, count(*) FILTER (WHERE invoicedate >= $1)::int AS newer FROM ${SCHEMA}.salesinvoices`,
          [new Date(jan2026)],
        )
      ).rows[0];
    const before = await count();
    expect(before.older).toBeGreaterThan(0);
    // One 2026 invoice is deleted in Exact (sync/Deleted would say so too; here only the full read can tell).
    const invoices = sb.sandbox.table(division, 'SalesInvoices');
    let gone: string | undefined;
    for (let i = 0; i < invoices.end && !gone; i++) {
      const inv = invoices.get(i);
      if (inv && (inv.InvoiceDate as number) >= Date.UTC(2026, 0, 1)) gone = String(inv.InvoiceID);
    }
    sb.sandbox.table(division, 'SalesInvoices').remove(sb.sandbox.table(division, 'SalesInvoices').indexOf(gone!)!);
    await db.pool.query(`DELETE FROM exact_sync.sync_state WHERE table_name = 'salesinvoices'`);
    const { syncTable } = await import('../../server/sync/engine.ts');
    const result = await syncTable({ ...ctx, startYear: 2026 }, 'salesinvoices', division);
    expect(result.deleted).toBe(1);
    expect(await count()).toEqual({ older: before.older, newer: before.newer - 1 });
  });
});
