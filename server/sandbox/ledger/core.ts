import { guidPrefix, mix } from '../ids.ts';
import { CHART, USER_ID, USER_NAME } from '../ledgerData.ts';

/**
 * What every family of generated rows shares: the options, the seed, the GUID prefixes of each entity,
 * the span of the books and the row counts. Every row is a pure function of (seed, division, index).
 */

export interface LedgerOptions {
  seed: number;
  division: number;
  /** Transaction lines in this division (at least 2). */
  lines: number;
  /** The last day of the books, Exact-local ms (the sandbox clock at start-up). */
  endLocal: number;
}

export const DAY = 86_400_000;

export const GL = Object.fromEntries(CHART.map(([code], i) => [code, i])) as Record<string, number>;
export const REVENUE = ['8000', '8010', '8100', '8110', '8120', '8200'];
export const COSTS = [
  '4100',
  '4110',
  '4200',
  '4210',
  '4300',
  '4330',
  '4400',
  '4450',
  '4600',
  '4610',
  '4700',
  '7000',
  '7010',
  '7020',
];

export function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length]!;
}

/** Cents; never -0 (JSON writes it as 0, so a row must hold 0 too). */
export const round2 = (x: number) => Math.round(x * 100) / 100 + 0;

export type LedgerCore = ReturnType<typeof ledgerCore>;

export function ledgerCore(o: LedgerOptions) {
  const seed = (o.seed ^ Math.imul(o.division, 0x2545f491)) >>> 0;
  const prefix = (entity: string) => guidPrefix(o.seed, o.division, entity);
  const ids = {
    gl: prefix('GLAccounts'),
    journal: prefix('Journals'),
    period: prefix('FinancialPeriods'),
    account: prefix('Accounts'),
    contact: prefix('Contacts'),
    item: prefix('Items'),
    line: prefix('TransactionLines'),
    entry: prefix('Transactions'),
    invoice: prefix('SalesInvoices'),
    invoiceLine: prefix('SalesInvoiceLines'),
    order: prefix('SalesOrders'),
    orderLine: prefix('SalesOrderLines'),
    address: prefix('Addresses'),
    classification: prefix('GLClassifications'),
    purchase: prefix('PurchaseEntries'),
    purchaseLine: prefix('PurchaseEntryLines'),
    receivable: prefix('Receivables'),
    document: prefix('Documents'),
    attachment: prefix('DocumentAttachments'),
    scheme: prefix('GLSchemes'),
    mapping: prefix('GLAccountClassificationMappings'),
    costCenter: prefix('Costcenters'),
    costUnit: prefix('Costunits'),
  };
  const endDay = Math.floor(o.endLocal / DAY) * DAY;
  const endYear = new Date(endDay).getUTCFullYear();
  const years = [endYear - 2, endYear - 1, endYear];
  const startDay = Date.UTC(years[0]!, 0, 1);
  const spanDays = Math.max(1, Math.round((endDay - startDay) / DAY));
  /** A business day for position `f` in [0,1) of the books' span. */
  const dayAt = (f: number) => startDay + Math.min(spanDays, Math.floor(f * (spanDays + 1))) * DAY;
  /** Modified/Created: during office hours on or after `day`, never after the end of the books. */
  const stamp = (day: number, n: number) =>
    Math.min(o.endLocal, day + (8 * 3600 + (mix(seed, n) % (9 * 3600))) * 1000 + (n % 1000));
  const audit = (day: number, n: number) => {
    const t = stamp(day, n);
    return {
      Created: t,
      Creator: USER_ID,
      CreatorFullName: USER_NAME,
      Modified: t,
      Modifier: USER_ID,
      ModifierFullName: USER_NAME,
      Division: o.division,
    };
  };
  const period = (day: number) => {
    const d = new Date(day);
    return { FinancialYear: d.getUTCFullYear(), FinancialPeriod: d.getUTCMonth() + 1 };
  };

  const lines = Math.max(2, Math.floor(o.lines));
  const counts = {
    accounts: Math.max(10, Math.ceil(lines / 50)),
    items: Math.max(6, Math.ceil(lines / 200)),
    invoices: Math.max(4, Math.ceil(lines / 25)),
    orders: Math.max(3, Math.ceil(lines / 60)),
    purchases: Math.max(3, Math.ceil(lines / 40)),
  };
  const documents = Math.ceil(counts.invoices / 2);
  return { o, seed, ids, years, startDay, dayAt, stamp, audit, period, lines, counts, documents };
}
