import { CHART } from '../ledgerData.ts';
import type { Row } from '../model.ts';
import { GL, round2, type LedgerCore } from './core.ts';

/**
 * financial/ReportingBalance of a generated administration: per GL account, reporting year and period,
 * cost centre and cost unit, the sum of the transaction lines booked there (debit, credit, count), so the
 * balances equal the ledger. Computed from the generated lines once, when the division is made (changes
 * made later through the API are not reflected, as Exact's own balances lag its entries).
 */
export function reportingBalances(
  c: LedgerCore,
  lineRow: (j: number) => Row,
): { readonly count: number; row(i: number): Row; lazy: true } {
  interface Sum {
    gl: string;
    code: string;
    description: string;
    year: number;
    period: number;
    center: string | null;
    centerDescription: string | null;
    unit: string | null;
    unitDescription: string | null;
    debit: number;
    credit: number;
    count: number;
  }
  let rows: Sum[] | undefined;
  // Summing every line of a million-line division takes seconds: only a division whose balances are read pays.
  const sum = (): Sum[] => {
    if (rows) return rows;
    const sums = new Map<string, Sum>();
    for (let j = 0; j < c.lines; j++) {
      const l = lineRow(j);
      const key = `${String(l.GLAccountCode)}|${String(l.FinancialYear)}|${String(l.FinancialPeriod)}|${String(l.CostCenter)}|${String(l.CostUnit)}`;
      let s = sums.get(key);
      if (!s) {
        s = {
          gl: String(l.GLAccount),
          code: String(l.GLAccountCode),
          description: String(l.GLAccountDescription),
          year: l.FinancialYear as number,
          period: l.FinancialPeriod as number,
          center: (l.CostCenter as string | null) ?? null,
          centerDescription: (l.CostCenterDescription as string | null) ?? null,
          unit: (l.CostUnit as string | null) ?? null,
          unitDescription: (l.CostUnitDescription as string | null) ?? null,
          debit: 0,
          credit: 0,
          count: 0,
        };
        sums.set(key, s);
      }
      const amount = l.AmountDC as number;
      if (amount >= 0) s.debit += amount;
      else s.credit -= amount;
      s.count++;
    }
    return (rows = [...sums.values()]);
  };
  return {
    lazy: true,
    get count() {
      return sum().length;
    },
    row: (i) => {
      const s = sum()[i]!;
      return {
        ID: i + 1,
        Amount: round2(s.debit - s.credit),
        AmountDebit: round2(s.debit),
        AmountCredit: round2(s.credit),
        BalanceType: CHART[GL[s.code]!]![3],
        CostCenterCode: s.center,
        CostCenterDescription: s.centerDescription,
        CostUnitCode: s.unit,
        CostUnitDescription: s.unitDescription,
        Count: s.count,
        Division: c.o.division,
        GLAccount: s.gl,
        GLAccountCode: s.code,
        GLAccountDescription: s.description,
        ReportingPeriod: s.period,
        ReportingYear: s.year,
        Status: 50,
        Type: 0,
      };
    },
  };
}

/**
 * read/financial/ProfitLossOverview: one row, the latest year and period of the books against the year
 * before, from the same sums as the balances. Revenue is what G/L accounts of type 110 booked (credit
 * positive); costs every other P&L account; the result their difference.
 */
export function profitLossOverview(
  c: LedgerCore,
  balances: { readonly count: number; row(i: number): Row },
): { readonly count: number; row(i: number): Row; lazy: true } {
  const year = c.years[c.years.length - 1]!;
  const period = new Date(c.o.endLocal).getUTCMonth() + 1;
  return {
    lazy: true,
    count: 1,
    row: () => {
      const sum = (kind: 'revenue' | 'costs', y: number, upTo: number, only?: number) => {
        let total = 0;
        for (let i = 0; i < balances.count; i++) {
          const b = balances.row(i);
          if (b.BalanceType !== 'W' || b.ReportingYear !== y) continue;
          const p = b.ReportingPeriod as number;
          if (p > upTo || (only !== undefined && p !== only)) continue;
          const revenue = CHART[GL[b.GLAccountCode as string]!]![2] === 110;
          if (revenue === (kind === 'revenue')) total += b.Amount as number;
        }
        return kind === 'revenue' ? round2(-total) : round2(total);
      };
      const row = (y: number, upTo: number, only?: number) => {
        const revenue = sum('revenue', y, upTo, only);
        const costs = sum('costs', y, upTo, only);
        return { revenue, costs, result: round2(revenue - costs) };
      };
      const cy = row(year, 12);
      const cp = row(year, period, period);
      const py = row(year - 1, 12);
      const pp = row(year - 1, period, period);
      return {
        CurrentYear: year,
        CurrentPeriod: period,
        PreviousYear: year - 1,
        PreviousYearPeriod: period,
        CurrencyCode: 'EUR',
        RevenueCurrentYear: cy.revenue,
        CostsCurrentYear: cy.costs,
        ResultCurrentYear: cy.result,
        RevenueCurrentPeriod: cp.revenue,
        CostsCurrentPeriod: cp.costs,
        ResultCurrentPeriod: cp.result,
        RevenuePreviousYear: py.revenue,
        CostsPreviousYear: py.costs,
        ResultPreviousYear: py.result,
        RevenuePreviousYearPeriod: pp.revenue,
        CostsPreviousYearPeriod: pp.costs,
        ResultPreviousYearPeriod: pp.result,
      };
    },
  };
}
