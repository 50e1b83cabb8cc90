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
