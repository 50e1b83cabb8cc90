import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { assertWarehouseEqualsSandbox, syncedDivision, type SyncedDivision } from '../helpers/syncSetup.ts';

/**
 * What a finance team builds first: a P&L per reporting classification and cost centre, from the ledger
 * joined to the GL accounts, their classification mappings, the classifications and the cost centres.
 */
describe('a P&L per classification and cost centre from the warehouse', () => {
  let synced: SyncedDivision;
  let db: TestDatabase;
  let sb: RunningSandbox;
  let division: number;
  beforeAll(async () => {
    synced = await syncedDivision('reporting', 3000);
    ({ db, sb, division } = synced);
  });
  afterAll(async () => {
    await synced?.close();
  });

  it('holds the mappings, schemes and dimensions as Exact has them', async () => {
    await assertWarehouseEqualsSandbox(db.pool, sb, division, [
      'glaccountclassificationmappings',
      'glschemes',
      'costcenters',
      'costunits',
      'reportingbalance',
      'profitlossoverview',
    ]);
  });

  it('has a profit and loss overview whose revenue, costs and result are the ledger’s', async () => {
    const { rows } = await db.pool.query(
      `SELECT o.currentyear, o.revenuecurrentyear::numeric(18,2)::text AS revenue, o.costscurrentyear::numeric(18,2)::text AS costs,
         o.resultcurrentyear::numeric(18,2)::text AS result,
         (SELECT (-sum(tl.amountdc))::numeric(18,2)::text FROM exact_online.transactionlines tl
            JOIN exact_online.glaccounts ga ON ga.id = tl.glaccount
            WHERE ga.type = 110 AND tl.financialyear = o.currentyear) AS ledger_revenue,
         (SELECT sum(tl.amountdc)::numeric(18,2)::text FROM exact_online.transactionlines tl
            JOIN exact_online.glaccounts ga ON ga.id = tl.glaccount
            WHERE ga.balancetype = 'W' AND ga.type <> 110 AND tl.financialyear = o.currentyear) AS ledger_costs
       FROM exact_online.profitlossoverview o WHERE o.division = $1`,
      [division],
    );
    expect(rows).toHaveLength(1);
    const o = rows[0]!;
    expect(o.revenue).toBe(o.ledger_revenue);
    expect(o.costs).toBe(o.ledger_costs);
    expect(Number(o.result)).toBeCloseTo(Number(o.revenue) - Number(o.costs), 2);
    expect(Number(o.revenue)).toBeGreaterThan(0);
  });

  it('reads the reporting balances a year at a time, and they equal the ledger per account, year, period and cost centre', async () => {
    const { rows } = await db.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (
         (SELECT glaccountcode, reportingyear, reportingperiod, coalesce(costcentercode, ''), amount::numeric(18,2)
            FROM exact_online.reportingbalance WHERE division = $1
          EXCEPT
          SELECT glaccountcode, financialyear, financialperiod, coalesce(costcenter, ''), sum(amountdc)::numeric(18,2)
            FROM exact_online.transactionlines WHERE division = $1
            GROUP BY glaccountcode, financialyear, financialperiod, coalesce(costcenter, ''), coalesce(costunit, ''))
       ) differ`,
      [division],
    );
    expect(rows[0]!.n).toBe(0);
    const { rows: years } = await db.pool.query<{ y: number }>(
      'SELECT DISTINCT reportingyear AS y FROM exact_online.reportingbalance ORDER BY 1',
    );
    expect(years.length).toBe(3);
    // One read per year, each filtered on it.
    const reads = sb.sandbox.calls.filter((c) => decodeURIComponent(c.path).includes('financial/ReportingBalance'));
    expect(reads.length).toBeGreaterThanOrEqual(5);
    for (const r of reads)
      expect(decodeURIComponent(r.path.replace(/\+/g, ' '))).toMatch(/\$filter=ReportingYear eq \d{4}/);
  });

  it('joins transactionlines → glaccounts → mappings → glclassifications and → costcenters, to the sandbox’s own totals', async () => {
    const { rows } = await db.pool.query<{ classification: string; costcenter: string; amount: string }>(
      `SELECT c.code AS classification, coalesce(cc.code, '(none)') AS costcenter, sum(tl.amountdc)::text AS amount
       FROM exact_online.transactionlines tl
       JOIN exact_online.glaccounts ga ON ga.id = tl.glaccount AND ga.division = tl.division
       JOIN exact_online.glaccountclassificationmappings m ON m.glaccount = ga.id AND m.division = ga.division
       JOIN exact_online.glschemes s ON s.id = m.glschemeid AND s.division = m.division AND s.main = 1
       JOIN exact_online.glclassifications c ON c.id = m.classification AND c.division = m.division
       LEFT JOIN exact_online.costcenters cc ON cc.code = tl.costcenter AND cc.division = tl.division
       WHERE ga.balancetype = 'W' AND tl.division = $1
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [division],
    );

    // The same from the sandbox's rows, without SQL.
    const table = (name: string) => {
      const t = sb.sandbox.table(division, name);
      return Array.from({ length: t.end }, (_, i) => t.get(i)).filter((r) => r !== undefined);
    };
    const accounts = new Map(table('GLAccounts').map((g) => [g.ID, g]));
    const classes = new Map(table('GLClassifications').map((c) => [c.ID, c.Code]));
    const classOf = new Map(
      table('GLAccountClassificationMappings').map((m) => [m.GLAccount, classes.get(m.Classification)]),
    );
    const centers = new Set(table('Costcenters').map((c) => c.Code));
    const totals = new Map<string, number>();
    for (const l of table('TransactionLines')) {
      if (accounts.get(l.GLAccount)?.BalanceType !== 'W') continue;
      const center = typeof l.CostCenter === 'string' ? l.CostCenter : null;
      // Every cost centre a line names exists.
      if (center !== null) expect(centers.has(center), center).toBe(true);
      const key = `${String(classOf.get(l.GLAccount))}|${center ?? '(none)'}`;
      totals.set(key, (totals.get(key) ?? 0) + (l.AmountDC as number));
    }
    const expected = [...totals]
      .map(([k, v]) => ({ classification: k.split('|')[0]!, costcenter: k.split('|')[1]!, amount: v.toFixed(2) }))
      .sort((a, b) =>
        a.classification === b.classification
          ? a.costcenter < b.costcenter
            ? -1
            : 1
          : a.classification < b.classification
            ? -1
            : 1,
      );
    expect(rows.map((r) => ({ ...r, amount: Number(r.amount).toFixed(2) }))).toEqual(expected);
    // A real P&L: revenue, costs of several kinds, several cost centres.
    expect(new Set(rows.map((r) => r.classification)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(rows.map((r) => r.costcenter)).size).toBeGreaterThanOrEqual(4);
  });
});
