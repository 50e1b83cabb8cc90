import { guidAt, mix } from '../ids.ts';
import { layoutOf } from '../layout.ts';
import { JOURNALS, PRODUCTS, USER_ID, USER_NAME } from '../ledgerData.ts';
import type { Row } from '../model.ts';
import { COSTS, DAY, REVENUE, pick, round2, type LedgerCore } from './core.ts';
import type { generalLedger, relations } from './reference.ts';
import { lineDimensions } from './dimensions.ts';

/** Transaction lines: balanced journal entries of 2-4 lines. */

const ENTRY_TYPES: readonly [number, string][] = [
  [20, '70'],
  [30, '60'],
  [20, '70'],
  [40, '20'],
  [30, '60'],
  [90, '90'],
];

export interface EntryLine {
  gl: string;
  amount: number;
  account?: number;
  vat?: boolean;
  description: string;
}

/** The lines of each entry, computed once per entry (lines of one entry are asked for one after the other). */
export function journalEntries(c: LedgerCore, rel: ReturnType<typeof relations>) {
  const { seed, lines } = c;
  const { accountName, customerFor, supplierFor } = rel;
  const entryLayout = layoutOf([2, 3, 4, 3, 2, 4], lines);
  let cachedEntry = -1;
  let cachedLines: EntryLine[] = [];
  const entryLines = (e: number): EntryLine[] => {
    if (e === cachedEntry) return cachedLines;
    const size = entryLayout.size(e);
    const [type] = pick(ENTRY_TYPES, e);
    const out: EntryLine[] = [];
    const net = (k: number) => round2(20 + (mix(seed, e * 7 + k) % 250_000) / 100);
    if (type === 20 || type === 30) {
      const sales = type === 20;
      const account = sales ? customerFor(e) : supplierFor(e);
      const body = size - 1 - (size >= 3 ? 1 : 0);
      let total = 0;
      for (let k = 0; k < body; k++) {
        const amount = net(k);
        total += amount;
        out.push({
          gl: sales ? pick(REVENUE, e + k) : pick(COSTS, e + k),
          amount: sales ? -amount : amount,
          description: sales ? pick(PRODUCTS, e + k) : `Purchase ${pick(PRODUCTS, e + k).toLowerCase()}`,
          vat: true,
        });
      }
      if (size >= 3) {
        const vat = round2(total * 0.21);
        total = round2(total + vat);
        out.push({ gl: sales ? '1510' : '1500', amount: sales ? -vat : vat, description: 'VAT 21%' });
      }
      out.unshift({
        gl: sales ? '1300' : '1600',
        amount: sales ? round2(total) : -round2(total),
        account,
        description: sales ? `Invoice ${accountName(account)}` : `Bill ${accountName(account)}`,
      });
    } else if (type === 40) {
      let total = 0;
      for (let k = 1; k < size; k++) {
        const account = customerFor(e + k);
        const amount = net(k);
        total += amount;
        out.push({ gl: '1300', amount: -amount, account, description: `Payment ${accountName(account)}` });
      }
      out.unshift({ gl: '1100', amount: round2(total), description: 'Bank statement' });
    } else {
      let total = 0;
      for (let k = 1; k < size; k++) {
        const amount = net(k);
        total += amount;
        out.push({
          gl: pick(['4000', '4500', '4100', '4300'], e + k),
          amount,
          description: pick(['Salaries', 'Depreciation', 'Rent accrual', 'Office costs'], e + k),
        });
      }
      out.unshift({ gl: pick(['1700', '0150', '1100'], e), amount: -round2(total), description: 'Memorial entry' });
    }
    // Cents lost to rounding go to the first line, so the entry sums to exactly zero.
    const sum = out.reduce((s, l) => s + Math.round(l.amount * 100), 0);
    out[0]!.amount = round2(out[0]!.amount - sum / 100);
    cachedEntry = e;
    cachedLines = out;
    return out;
  };
  return { entryLayout, entryLines };
}

/** Transaction lines, one row per line of an entry. */
export function transactionLines(
  c: LedgerCore,
  gl: ReturnType<typeof generalLedger>,
  rel: ReturnType<typeof relations>,
  entries: ReturnType<typeof journalEntries>,
) {
  const { o, seed, ids, dayAt, period, stamp } = c;
  const { glRef } = gl;
  const { accountRef } = rel;
  const { entryLayout, entryLines } = entries;
  const journal = (code: string) => JOURNALS.find(([c]) => c === code)!;
  const lineRow = (j: number): Row => {
    const { group: e, pos } = entryLayout.locate(j);
    const l = entryLines(e)[pos]!;
    const [type, journalCode] = pick(ENTRY_TYPES, e);
    const day = dayAt(e / entryLayout.groups);
    const gl = glRef(l.gl);
    const account = l.account === undefined ? undefined : accountRef(l.account);
    const [, journalDescription] = journal(journalCode);
    const { FinancialYear, FinancialPeriod } = period(day);
    const entryNumber = (FinancialYear % 100) * 10_000_000 + Number(journalCode) * 100_000 + ((e + 1) % 100_000);
    const vat = l.vat === true;
    const t = stamp(day, j);
    const { center, unit } = lineDimensions(seed, j, gl.balance);
    // Written out field by field (no spreads): this runs for every one of millions of lines.
    return {
      ID: guidAt(ids.line, j),
      EntryID: guidAt(ids.entry, e),
      EntryNumber: entryNumber,
      LineNumber: pos + 1,
      LineType: 0,
      Type: type,
      Status: 50,
      Date: day,
      FinancialYear,
      FinancialPeriod,
      DueDate: account ? day + 30 * DAY : null,
      AmountDC: l.amount,
      AmountFC: l.amount,
      Currency: 'EUR',
      ExchangeRate: 1,
      AmountVATBaseFC: vat ? -l.amount : null,
      AmountVATFC: vat ? round2(-l.amount * 0.21) : null,
      VATCode: vat ? '2' : null,
      VATCodeDescription: vat ? 'VAT 21%' : null,
      VATPercentage: vat ? 0.21 : null,
      VATType: vat ? 'S' : null,
      GLAccount: gl.id,
      GLAccountCode: gl.code,
      GLAccountDescription: gl.description,
      JournalCode: journalCode,
      JournalDescription: journalDescription,
      CostCenter: center ? center[0] : null,
      CostCenterDescription: center ? center[1] : null,
      CostUnit: unit ? unit[0] : null,
      CostUnitDescription: unit ? unit[1] : null,
      Account: account?.id ?? null,
      AccountCode: account ? account.code.padStart(18, ' ') : null,
      AccountName: account?.name ?? null,
      InvoiceNumber: type === 20 ? entryNumber : null,
      Description: l.description,
      YourRef: type === 30 ? `INV-${(mix(seed, e) % 90000) + 10000}` : null,
      PaymentReference: type === 20 ? String(entryNumber).padStart(16, '0') : null,
      Created: t,
      Creator: USER_ID,
      CreatorFullName: USER_NAME,
      Modified: t,
      Modifier: USER_ID,
      ModifierFullName: USER_NAME,
      Division: o.division,
    };
  };
  return { lineRow };
}
