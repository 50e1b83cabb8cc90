import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../server/lib/crypto.ts';
import { QueryRunner } from '../../server/query/runner.ts';
import { STARTER_MODELS } from '../../server/query/starterModels.ts';
import { publishStarter } from '../../server/query/views.ts';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { syncedDivision, type SyncedDivision } from '../helpers/syncSetup.ts';

/**
 * Every starter model, published on a synced division, against the sandbox's own rows (read without
 * SQL): the ledger's totals per period and account, balances, open items per account, revenue per customer.
 */

let synced: SyncedDivision;
let db: TestDatabase;
let sb: RunningSandbox;
let division: number;
let runner: QueryRunner;
const limits = { timeoutMs: 30_000, maxRows: 1_000_000, maxRowBytes: 8 * 1024 * 1024 };

beforeAll(async () => {
  synced = await syncedDivision('starters', 3000);
  ({ db, sb, division } = synced);
  runner = await QueryRunner.open(db.url, db.pool, createSecretBox(randomBytes(32)));
  const { rows } = await db.pool.query<{ id: number }>('SELECT id FROM exact_sync.connections ORDER BY id LIMIT 1');
  for (const m of STARTER_MODELS)
    await publishStarter(db.pool, runner, limits, m.name, {
      connectionId: rows[0]!.id,
      schema: 'exact_online',
      materialized: m.name === 'pl_by_month',
    });
}, 180_000);
afterAll(async () => {
  await runner?.close();
  await synced?.close();
});

/** The sandbox's rows of an entity, as it serves them. */
const rowsOf = (entity: string) => {
  const t = sb.sandbox.table(division, entity);
  return Array.from({ length: t.end }, (_, i) => t.get(i)).filter((r) => r !== undefined);
};
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const fixed = (m: Map<string, number>) => new Map([...m].map(([k, v]) => [k, v.toFixed(2)]));
/** The view's sums of `value` per `key` (SQL expressions over the view's columns). */
async function viewSums(view: string, key: string, value: string): Promise<Map<string, string>> {
  const { rows } = await db.pool.query<{ k: string; v: string }>(
    `SELECT ${key} AS k, sum(${value})::numeric(18,2)::text AS v FROM reports.${view} WHERE division = $1 GROUP BY 1`,
    [division],
  );
  return new Map(rows.map((r) => [r.k, r.v]));
}

describe('starter models equal the sandbox’s own totals', () => {
  const accounts = () => new Map(rowsOf('GLAccounts').map((g) => [g.ID, g]));

  it('pl_by_month: per period and per G/L account, every result line counted once', async () => {
    const byAccount = accounts();
    const perPeriod = new Map<string, number>();
    const perAccount = new Map<string, number>();
    for (const l of rowsOf('TransactionLines')) {
      const ga = byAccount.get(l.GLAccount);
      if (ga?.BalanceType !== 'W') continue;
      add(perPeriod, `${String(l.FinancialYear)}-${String(l.FinancialPeriod)}`, l.AmountDC as number);
      add(perAccount, String(ga.Code), l.AmountDC as number);
    }
    expect(perPeriod.size).toBeGreaterThan(12);
    expect(await viewSums('pl_by_month', "year || '-' || period", 'amount')).toEqual(fixed(perPeriod));
    expect(await viewSums('pl_by_month', 'glaccount', 'amount')).toEqual(fixed(perAccount));
  });

  it('balance_by_month: each balance account ends at the sum of all its lines', async () => {
    const byAccount = accounts();
    const closing = new Map<string, number>();
    for (const l of rowsOf('TransactionLines')) {
      const ga = byAccount.get(l.GLAccount);
      if (ga?.BalanceType === 'B') add(closing, String(ga.Code), l.AmountDC as number);
    }
    const { rows } = await db.pool.query<{ glaccount: string; balance: string }>(
      `SELECT DISTINCT ON (glaccount) glaccount, balance::numeric(18,2)::text AS balance
       FROM reports.balance_by_month WHERE division = $1 ORDER BY glaccount, year DESC, period DESC`,
      [division],
    );
    expect(new Map(rows.map((r) => [r.glaccount, r.balance]))).toEqual(fixed(closing));
  });

  for (const [view, entity] of [
    ['receivables_ageing', 'ReceivablesList'],
    ['payables_ageing', 'PayablesList'],
  ] as const)
    it(`${view}: the open amount per account, and the buckets add up to it`, async () => {
      const perAccount = new Map<string, number>();
      for (const r of rowsOf(entity)) add(perAccount, String(r.AccountCode).trim(), r.Amount as number);
      expect(perAccount.size).toBeGreaterThan(0);
      expect(await viewSums(view, 'account_code', 'amount')).toEqual(fixed(perAccount));
      const buckets = await viewSums(view, 'ageing_bucket', 'amount');
      const total = [...perAccount.values()].reduce((a, b) => a + b, 0);
      expect([...buckets.values()].reduce((a, b) => a + Number(b), 0)).toBeCloseTo(total, 2);
      for (const b of buckets.keys()) expect(['not due', '1-30', '31-60', '61-90', '90+']).toContain(b);
      // Overdue days agree with the bucket.
      const { rows } = await db.pool.query(
        `SELECT 1 FROM reports.${view} WHERE (ageing_bucket = 'not due') <> (days_overdue = 0)
           OR (ageing_bucket = '1-30' AND days_overdue NOT BETWEEN 1 AND 30) OR (ageing_bucket = '90+' AND days_overdue <= 90)`,
      );
      expect(rows).toEqual([]);
    });

  it('revenue_by_customer_month: revenue per customer, positive', async () => {
    const byAccount = accounts();
    const perCustomer = new Map<string, number>();
    for (const l of rowsOf('TransactionLines')) {
      if (byAccount.get(l.GLAccount)?.Type !== 110) continue;
      const code = typeof l.AccountCode === 'string' ? l.AccountCode.trim() : '';
      add(perCustomer, code, -(l.AmountDC as number));
    }
    const sums = await viewSums('revenue_by_customer_month', 'customer_code', 'revenue');
    expect(sums).toEqual(fixed(perCustomer));
    expect([...perCustomer.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  });

  it('a materialized starter is stored; one reading tables not synced is refused with which to turn on', async () => {
    const { rows } = await db.pool.query("SELECT relkind FROM pg_class WHERE oid = 'reports.pl_by_month'::regclass");
    expect(rows).toEqual([{ relkind: 'm' }]);
    await db.pool.query('ALTER TABLE exact_online.payableslist RENAME TO payableslist_away');
    try {
      await db.pool.query('DELETE FROM exact_sync.published_views WHERE name = $1', ['payables_ageing']);
      await db.pool.query('DROP VIEW reports.payables_ageing');
      const { rows: c } = await db.pool.query<{ id: number }>('SELECT id FROM exact_sync.connections LIMIT 1');
      await expect(
        publishStarter(db.pool, runner, limits, 'payables_ageing', {
          connectionId: c[0]!.id,
          schema: 'exact_online',
          materialized: false,
        }),
      ).rejects.toMatchObject({ code: 'tables_not_synced', message: expect.stringContaining('payableslist') });
    } finally {
      await db.pool.query('ALTER TABLE exact_online.payableslist_away RENAME TO payableslist');
    }
  });
});
