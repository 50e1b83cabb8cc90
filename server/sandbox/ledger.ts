import { guidAt, guidPrefix, mix, unit } from './ids.ts';
import { layoutOf, linesFor } from './layout.ts';
import {
  CHART,
  CITIES,
  COMPANY_A,
  COMPANY_B,
  COMPANY_C,
  FIRST,
  JOURNALS,
  PRODUCTS,
  USER_ID,
  USER_NAME,
} from './ledgerData.ts';
import type { Row } from './model.ts';

/**
 * The generated administration of one division: every row is a pure function of (seed, division, index),
 * computed when asked for, so a division of millions of transaction lines costs no memory. The books are
 * consistent: journal entries balance, invoices equal the sum of their lines, receivables follow invoices,
 * lines point at GL accounts, journals, relations and items that exist. DateTime values are Exact-local
 * milliseconds (see localTime.ts).
 *
 * Not modelled: the transaction lines of sales invoices are not the invoices' own bookings (both exist,
 * each consistent in itself), and there are no foreign currencies (everything is EUR, ExchangeRate 1).
 */

export interface Generated {
  count: number;
  row(index: number): Row;
}

export interface LedgerOptions {
  seed: number;
  division: number;
  /** Transaction lines in this division (at least 2). */
  lines: number;
  /** The last day of the books, Exact-local ms (the sandbox clock at start-up). */
  endLocal: number;
}

const DAY = 86_400_000;

const GL = Object.fromEntries(CHART.map(([code], i) => [code, i])) as Record<string, number>;
const REVENUE = ['8000', '8010', '8100', '8110', '8120', '8200'];
const COSTS = [
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

function pick<T>(list: readonly T[], n: number): T {
  return list[n % list.length]!;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export interface Ledger {
  readonly entities: ReadonlyMap<string, Generated>;
  /** Financial years covered, first to last. */
  readonly years: readonly number[];
}

export function createLedger(o: LedgerOptions): Ledger {
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

  // --- reference data -------------------------------------------------------------------------------
  const glRow = (i: number): Row => {
    const [code, description, type, balanceType, balanceSide] = CHART[i]!;
    return {
      ID: guidAt(ids.gl, i),
      Code: code,
      Description: description,
      Type: type,
      BalanceType: balanceType,
      BalanceSide: balanceSide,
      SearchCode: code,
      IsBlocked: false,
      Matching: type === 20 || type === 22,
      Compress: false,
      RevalueCurrency: false,
      VATCode: type === 110 ? '2' : null,
      ...audit(startDay, i),
    };
  };
  const glRefs = new Map<string, { id: string; code: string; description: string }>();
  const glRef = (code: string) => {
    let ref = glRefs.get(code);
    if (!ref) {
      const i = GL[code]!;
      glRefs.set(code, (ref = { id: guidAt(ids.gl, i), code, description: CHART[i]![1] }));
    }
    return ref;
  };
  const accountName = (i: number) =>
    `${pick(COMPANY_A, mix(seed, i * 3))} ${pick(COMPANY_B, mix(seed, i * 3 + 1))} ${pick(COMPANY_C, mix(seed, i * 3 + 2))}`;
  const isSupplier = (i: number) => i % 5 === 4;
  const accountRow = (i: number): Row => {
    const [city, country] = pick(CITIES, mix(seed, i + 77));
    const name = accountName(i);
    const slug = name.toLowerCase().replace(/[^a-z]+/g, '');
    return {
      ID: guidAt(ids.account, i),
      Code: String(1000 + i),
      Name: name,
      SearchCode: name.slice(0, 10).toUpperCase(),
      Status: isSupplier(i) ? 'A' : 'C',
      Type: 'A',
      IsSupplier: isSupplier(i),
      IsSales: !isSupplier(i),
      IsPurchase: isSupplier(i),
      Blocked: false,
      City: city,
      Country: country,
      CountryName: { NL: 'Netherlands', BE: 'Belgium', DE: 'Germany' }[country],
      AddressLine1: `${pick(['Kerkstraat', 'Stationsweg', 'Dorpsstraat', 'Industrieweg', 'Havenkade'], mix(seed, i + 5))} ${1 + (mix(seed, i + 6) % 180)}`,
      Postcode: `${1000 + (mix(seed, i + 7) % 8999)} ${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + ((i >> 3) % 26))}`,
      Email: `info@${slug}.example`,
      Phone: `+31 ${10 + (mix(seed, i + 8) % 89)} ${String(1_000_000 + (mix(seed, i + 9) % 8_999_999))}`,
      Website: `www.${slug}.example`,
      VATNumber: country === 'NL' ? `NL${String(mix(seed, i + 10) % 1_000_000_000).padStart(9, '0')}B01` : null,
      ChamberOfCommerce: String(10_000_000 + (mix(seed, i + 11) % 89_999_999)),
      Language: 'NL',
      Currency: 'EUR',
      SalesCurrency: 'EUR',
      CustomerSince: isSupplier(i) ? null : dayAt(unit(seed, i + 12) * 0.5),
      MainContact: guidAt(ids.contact, i),
      BankAccounts: null,
      ...audit(dayAt(unit(seed, i + 13) * 0.3), i + 900_000),
    };
  };
  const accountRefs: ({ id: string; code: string; name: string } | undefined)[] = [];
  const accountRef = (i: number) =>
    (accountRefs[i] ??= { id: guidAt(ids.account, i), code: String(1000 + i), name: accountName(i) });
  const customerFor = (n: number) => {
    let i = mix(seed, n + 31) % counts.accounts;
    if (isSupplier(i)) i = (i + 1) % counts.accounts;
    return i;
  };
  const supplierFor = (n: number) => {
    const suppliers = Math.max(1, Math.floor(counts.accounts / 5));
    return Math.min(counts.accounts - 1, (mix(seed, n + 37) % suppliers) * 5 + 4);
  };
  const contactRow = (i: number): Row => {
    const first = pick(FIRST, mix(seed, i + 41));
    const last = pick(COMPANY_A, mix(seed, i + 42));
    const account = accountRef(i);
    return {
      ID: guidAt(ids.contact, i),
      Account: account.id,
      AccountName: account.name,
      AccountIsCustomer: !isSupplier(i),
      AccountIsSupplier: isSupplier(i),
      AccountMainContact: guidAt(ids.contact, i),
      IsMainContact: true,
      FirstName: first,
      LastName: last,
      FullName: `${first} ${last}`,
      Initials: `${first[0]}.`,
      Email: `${first.toLowerCase()}@${account.name.toLowerCase().replace(/[^a-z]+/g, '')}.example`,
      BusinessPhone: `+31 6 ${String(10_000_000 + (mix(seed, i + 43) % 89_999_999))}`,
      Language: 'NL',
      HID: 100 + i,
      Country: pick(CITIES, mix(seed, i + 77))[1],
      ...audit(dayAt(unit(seed, i + 13) * 0.3), i + 800_000),
    };
  };
  const addressRow = (i: number): Row => {
    const account = accountRow(i);
    return {
      ID: guidAt(ids.address, i),
      Account: account.ID,
      AccountName: account.Name,
      AccountIsSupplier: account.IsSupplier,
      Main: true,
      Type: 1,
      AddressLine1: account.AddressLine1,
      City: account.City,
      Postcode: account.Postcode,
      Country: account.Country,
      CountryName: account.CountryName,
      Phone: account.Phone,
      Contact: guidAt(ids.contact, i),
      ContactName: contactRow(i).FullName,
      ...audit(dayAt(unit(seed, i + 13) * 0.3), i + 850_000),
    };
  };
  /** A small reporting scheme: balance sheet and profit and loss, each with a few sections. */
  const CLASSIFICATIONS: readonly [string, string, number | null, 'D' | 'C' | null][] = [
    ['B', 'Balance sheet', null, null],
    ['B.1', 'Fixed assets', 0, 'D'],
    ['B.2', 'Current assets', 0, 'D'],
    ['B.3', 'Equity', 0, 'C'],
    ['B.4', 'Liabilities', 0, 'C'],
    ['W', 'Profit and loss', null, null],
    ['W.1', 'Revenue', 5, 'C'],
    ['W.2', 'Cost of sales', 5, 'D'],
    ['W.3', 'Personnel costs', 5, 'D'],
    ['W.4', 'Other operating costs', 5, 'D'],
    ['W.5', 'Financial result', 5, 'C'],
  ];
  const classificationRow = (i: number): Row => {
    const [code, name, parent, balance] = CLASSIFICATIONS[i]!;
    return {
      ID: guidAt(ids.classification, i),
      Code: code,
      Name: name,
      Description: name,
      Parent: parent === null ? null : guidAt(ids.classification, parent),
      Abstract: parent === null,
      Balance: balance,
      IsTupleSubElement: false,
      Nondeductible: false,
      PeriodType: parent === null ? null : 'duration',
      ...audit(startDay, i + 60),
    };
  };
  const itemPrice = (i: number) => round2(15 + (mix(seed, i + 51) % 48500) / 100);
  const itemRow = (i: number): Row => {
    const revenue = glRef(pick(REVENUE, i));
    const costs = glRef('7000');
    return {
      ID: guidAt(ids.item, i),
      Code: `ART${String(i + 1).padStart(4, '0')}`,
      Description: `${pick(PRODUCTS, i)}${i >= PRODUCTS.length ? ` ${Math.floor(i / PRODUCTS.length) + 1}` : ''}`,
      IsSalesItem: true,
      IsPurchaseItem: i % 3 === 0,
      IsStockItem: i % 3 === 0,
      IsSerialItem: false,
      IsBatchItem: 0,
      Unit: i % 4 === 0 ? 'uur' : 'stuk',
      UnitDescription: i % 4 === 0 ? 'Hour' : 'Piece',
      SalesVatCode: '2',
      SalesVatCodeDescription: 'VAT 21%',
      CostPriceStandard: round2(itemPrice(i) * 0.55),
      AverageCost: round2(itemPrice(i) * 0.57),
      CostPriceCurrency: 'EUR',
      GLRevenue: revenue.id,
      GLRevenueCode: revenue.code,
      GLRevenueDescription: revenue.description,
      GLCosts: costs.id,
      GLCostsCode: costs.code,
      GLCostsDescription: costs.description,
      Stock: i % 3 === 0 ? mix(seed, i) % 400 : 0,
      ...audit(dayAt(unit(seed, i + 14) * 0.2), i + 700_000),
    };
  };
  const itemCount = counts.items;

  // --- transaction lines: balanced entries of 2-4 lines ------------------------------------------------
  const entryLayout = layoutOf([2, 3, 4, 3, 2, 4], lines);
  const ENTRY_TYPES: readonly [number, string][] = [
    [20, '70'],
    [30, '60'],
    [20, '70'],
    [40, '20'],
    [30, '60'],
    [90, '90'],
  ];
  interface EntryLine {
    gl: string;
    amount: number;
    account?: number;
    vat?: boolean;
    description: string;
  }
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

  // --- sales invoices and their lines ------------------------------------------------------------------
  const INVOICE_PATTERN = [1, 2, 3, 4];
  const invoiceLayout = layoutOf(INVOICE_PATTERN, linesFor(INVOICE_PATTERN, counts.invoices));
  const invoiceLineAmounts = (inv: number, pos: number) => {
    const item = mix(seed, inv * 11 + pos) % itemCount;
    const quantity = 1 + (mix(seed, inv * 13 + pos) % 12);
    const price = itemPrice(item);
    const net = round2(quantity * price);
    return { item, quantity, price, net, vat: round2(net * 0.21) };
  };
  const invoiceTotals = (inv: number) => {
    let net = 0;
    let vat = 0;
    for (let p = 0; p < invoiceLayout.size(inv); p++) {
      const a = invoiceLineAmounts(inv, p);
      net += a.net;
      vat += a.vat;
    }
    return { net: round2(net), vat: round2(vat) };
  };
  const invoiceNumber = (inv: number, day: number) =>
    Number(`${new Date(day).getUTCFullYear()}${String(inv + 1).padStart(5, '0')}`);
  const invoiceDay = (inv: number) => dayAt(inv / counts.invoices);
  const invoiceRow = (inv: number): Row => {
    const day = invoiceDay(inv);
    const customer = accountRef(customerFor(inv + 500));
    const t = invoiceTotals(inv);
    const hasDocument = inv % 2 === 0;
    return {
      InvoiceID: guidAt(ids.invoice, inv),
      InvoiceNumber: invoiceNumber(inv, day),
      InvoiceDate: day,
      OrderDate: day,
      DueDate: day + 30 * DAY,
      InvoiceTo: customer.id,
      InvoiceToName: customer.name,
      OrderedBy: customer.id,
      OrderedByName: customer.name,
      DeliverTo: customer.id,
      DeliverToName: customer.name,
      Journal: '70',
      JournalDescription: 'Sales',
      Currency: 'EUR',
      AmountFC: round2(t.net + t.vat),
      AmountDC: round2(t.net + t.vat),
      AmountFCExclVat: t.net,
      VATAmountFC: t.vat,
      VATAmountDC: t.vat,
      AmountDiscount: 0,
      AmountDiscountExclVat: 0,
      Discount: 0,
      Type: 8020,
      TypeDescription: 'Sales invoice',
      Status: 50,
      StatusDescription: 'Processed',
      Description: `Invoice ${customer.name}`,
      PaymentCondition: '30',
      PaymentConditionDescription: '30 days',
      Document: hasDocument ? guidAt(ids.document, inv / 2) : null,
      DocumentNumber: hasDocument ? inv / 2 + 1 : null,
      SalesInvoiceLines: null,
      ...audit(day, inv + 600_000),
    };
  };
  const invoiceLineRow = (j: number): Row => {
    const { group: inv, pos } = invoiceLayout.locate(j);
    const a = invoiceLineAmounts(inv, pos);
    const item = itemRow(a.item);
    return {
      ID: guidAt(ids.invoiceLine, j),
      InvoiceID: guidAt(ids.invoice, inv),
      LineNumber: pos + 1,
      Item: item.ID,
      ItemCode: item.Code,
      ItemDescription: item.Description,
      Description: item.Description,
      Quantity: a.quantity,
      UnitPrice: a.price,
      NetPrice: a.price,
      AmountFC: a.net,
      AmountDC: a.net,
      Discount: 0,
      VATAmountFC: a.vat,
      VATAmountDC: a.vat,
      VATCode: '2',
      VATCodeDescription: 'VAT 21%',
      VATPercentage: 0.21,
      GLAccount: item.GLRevenue,
      GLAccountDescription: item.GLRevenueDescription,
      UnitCode: item.Unit,
      UnitDescription: item.UnitDescription,
      DeliveryDate: invoiceDay(inv),
      Division: o.division,
    };
  };

  // --- sales orders: two lines each ------------------------------------------------------------------
  const orderLine = (ord: number, pos: number) => invoiceLineAmounts(ord + 1_000_000, pos);
  const orderRow = (ord: number): Row => {
    const day = dayAt(ord / counts.orders);
    const customer = accountRef(customerFor(ord + 900));
    const a = orderLine(ord, 0);
    const b = orderLine(ord, 1);
    const net = round2(a.net + b.net);
    const delivered = day < o.endLocal - 30 * DAY;
    return {
      OrderID: guidAt(ids.order, ord),
      OrderNumber: ord + 1,
      OrderDate: day,
      DeliveryDate: day + 7 * DAY,
      OrderedBy: customer.id,
      OrderedByName: customer.name,
      InvoiceTo: customer.id,
      InvoiceToName: customer.name,
      DeliverTo: customer.id,
      DeliverToName: customer.name,
      Currency: 'EUR',
      AmountFC: round2(net * 1.21),
      AmountDC: round2(net * 1.21),
      AmountFCExclVat: net,
      AmountDiscount: 0,
      Discount: 0,
      Status: delivered ? 21 : 12,
      StatusDescription: delivered ? 'Complete' : 'Open',
      DeliveryStatus: delivered ? 21 : 12,
      InvoiceStatus: delivered ? 21 : 12,
      Description: `Order ${customer.name}`,
      ApprovalStatus: 1,
      SalesOrderLines: null,
      ...audit(day, ord + 500_000),
    };
  };
  const orderLineRow = (j: number): Row => {
    const ord = Math.floor(j / 2);
    const pos = j % 2;
    const a = orderLine(ord, pos);
    const item = itemRow(a.item);
    return {
      ID: guidAt(ids.orderLine, j),
      OrderID: guidAt(ids.order, ord),
      OrderNumber: ord + 1,
      LineNumber: pos + 1,
      Item: item.ID,
      ItemCode: item.Code,
      ItemDescription: item.Description,
      Description: item.Description,
      Quantity: a.quantity,
      UnitPrice: a.price,
      NetPrice: a.price,
      AmountFC: a.net,
      AmountDC: a.net,
      VATAmount: a.vat,
      VATCode: '2',
      VATPercentage: 0.21,
      UnitCode: item.Unit,
      Division: o.division,
    };
  };

  // --- purchase entries and their lines -----------------------------------------------------------------
  const PURCHASE_PATTERN = [1, 2, 3];
  const purchaseLayout = layoutOf(PURCHASE_PATTERN, linesFor(PURCHASE_PATTERN, counts.purchases));
  const purchaseLine = (p: number, pos: number) => {
    const net = round2(25 + (mix(seed, p * 17 + pos + 3) % 180_000) / 100);
    return { net, vat: round2(net * 0.21), gl: glRef(pick(COSTS, p + pos)) };
  };
  const purchaseRow = (p: number): Row => {
    const day = dayAt(p / counts.purchases);
    const reporting = period(day);
    const supplier = accountRef(supplierFor(p));
    let net = 0;
    let vat = 0;
    for (let k = 0; k < purchaseLayout.size(p); k++) {
      const l = purchaseLine(p, k);
      net += l.net;
      vat += l.vat;
    }
    return {
      EntryID: guidAt(ids.purchase, p),
      EntryNumber: Number(`${String(reporting.FinancialYear).slice(2)}60${String(p + 1).padStart(5, '0')}`),
      EntryDate: day,
      DueDate: day + 30 * DAY,
      ReportingYear: reporting.FinancialYear,
      ReportingPeriod: reporting.FinancialPeriod,
      Supplier: supplier.id,
      SupplierName: supplier.name,
      Journal: '60',
      JournalDescription: 'Purchase',
      Currency: 'EUR',
      Rate: 1,
      AmountDC: round2(net + vat),
      AmountFC: round2(net + vat),
      VATAmountDC: round2(vat),
      VATAmountFC: round2(vat),
      Type: 30,
      TypeDescription: 'Purchase entry',
      Status: 50,
      StatusDescription: 'Processed',
      Reversal: false,
      YourRef: `INV-${10000 + (mix(seed, p + 90) % 90000)}`,
      Description: `Bill ${supplier.name}`,
      PurchaseEntryLines: null,
      ...audit(day, p + 400_000),
    };
  };
  const purchaseLineRow = (j: number): Row => {
    const { group: p, pos } = purchaseLayout.locate(j);
    const l = purchaseLine(p, pos);
    return {
      ID: guidAt(ids.purchaseLine, j),
      EntryID: guidAt(ids.purchase, p),
      LineNumber: pos + 1,
      Type: 30,
      Description: l.gl.description,
      GLAccount: l.gl.id,
      GLAccountCode: l.gl.code,
      GLAccountDescription: l.gl.description,
      AmountDC: l.net,
      AmountFC: l.net,
      VATAmountDC: l.vat,
      VATAmountFC: l.vat,
      VATBaseAmountDC: l.net,
      VATBaseAmountFC: l.net,
      VATCode: '2',
      VATCodeDescription: 'VAT 21%',
      VATPercentage: 0.21,
      Division: o.division,
    };
  };

  // --- receivables: one per sales invoice, paid unless recent ----------------------------------------------
  const receivableRow = (inv: number): Row => {
    const invoice = invoiceRow(inv);
    const day = invoice.InvoiceDate as number;
    const paid = day < o.endLocal - 45 * DAY;
    const customer = accountRef(customerFor(inv + 500));
    return {
      ID: guidAt(ids.receivable, inv),
      Account: customer.id,
      AccountCode: customer.code.padStart(18, ' '),
      AccountName: customer.name,
      AmountDC: invoice.AmountDC,
      AmountFC: invoice.AmountFC,
      Currency: 'EUR',
      Description: invoice.Description,
      DueDate: invoice.DueDate,
      EntryDate: day,
      InvoiceDate: day,
      InvoiceNumber: invoice.InvoiceNumber,
      IsFullyPaid: paid,
      LastPaymentDate: paid ? day + 20 * DAY : null,
      Journal: '70',
      JournalDescription: 'Sales',
      Status: paid ? 30 : 20,
      Source: 1,
      TransactionAmountDC: invoice.AmountDC,
      TransactionDueDate: invoice.DueDate,
      TransactionEntryID: invoice.InvoiceID,
      TransactionType: 20,
      PaymentCondition: '30',
      PaymentConditionDescription: '30 days',
      PaymentDays: 30,
      ...audit(day, inv + 300_000),
      Modified: stamp(paid ? Math.min(o.endLocal, day + 20 * DAY) : day, inv + 300_000),
    };
  };

  // --- outstanding items: invoices and bills of the last 45 days are not paid yet ----------------------
  /** The first index whose day (index / count of the span) is on or after `day`. */
  const firstOnOrAfter = (count: number, day: number) => {
    let lo = 0;
    let hi = count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (dayAt(mid / count) < day) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const openSince = o.endLocal - 45 * DAY;
  const firstOpenInvoice = firstOnOrAfter(counts.invoices, openSince + DAY);
  const firstOpenPurchase = firstOnOrAfter(counts.purchases, openSince + DAY);
  const receivablesListRow = (i: number): Row => {
    const inv = firstOpenInvoice + i;
    const invoice = invoiceRow(inv);
    const customer = accountRef(customerFor(inv + 500));
    return {
      HID: i + 1,
      Id: guidAt(ids.receivable, inv),
      AccountId: customer.id,
      AccountCode: customer.code.padStart(18, ' '),
      AccountName: customer.name,
      Amount: invoice.AmountDC,
      AmountInTransit: 0,
      CurrencyCode: 'EUR',
      Description: invoice.Description,
      DueDate: invoice.DueDate,
      InvoiceDate: invoice.InvoiceDate,
      InvoiceNumber: invoice.InvoiceNumber,
      EntryNumber: invoice.InvoiceNumber,
      JournalCode: '70',
      JournalDescription: 'Sales',
      YourRef: null,
    };
  };
  const payablesListRow = (i: number): Row => {
    const p = firstOpenPurchase + i;
    const entry = purchaseRow(p);
    return {
      HID: i + 1,
      Id: entry.EntryID,
      AccountId: entry.Supplier,
      AccountCode: accountRef(supplierFor(p)).code.padStart(18, ' '),
      AccountName: entry.SupplierName,
      Amount: -(entry.AmountDC as number),
      AmountInTransit: 0,
      ApprovalStatus: 1,
      CurrencyCode: 'EUR',
      Description: entry.Description,
      DueDate: entry.DueDate,
      InvoiceDate: entry.EntryDate,
      InvoiceNumber: null,
      EntryNumber: entry.EntryNumber,
      JournalCode: '60',
      JournalDescription: 'Purchase',
      YourRef: entry.YourRef,
    };
  };

  // --- documents: one per second invoice, each with its PDF -----------------------------------------------
  const documentRow = (d: number): Row => {
    const invoice = invoiceRow(d * 2);
    const day = invoice.InvoiceDate as number;
    return {
      ID: guidAt(ids.document, d),
      Subject: `Invoice ${invoice.InvoiceNumber}`,
      Type: 10,
      TypeDescription: 'Sales invoice',
      DocumentDate: day,
      Account: invoice.InvoiceTo,
      AccountName: invoice.InvoiceToName,
      HID: d + 1,
      FinancialTransactionEntryID: invoice.InvoiceID,
      SalesInvoiceNumber: invoice.InvoiceNumber,
      Currency: 'EUR',
      AmountFC: invoice.AmountFC,
      Body: null,
      HasEmptyBody: true,
      Language: 'NL',
      ...audit(day, d + 200_000),
    };
  };
  const attachmentRow = (d: number): Row => {
    const doc = documentRow(d);
    return {
      ID: guidAt(ids.attachment, d),
      Document: doc.ID,
      FileName: `${String(doc.Subject).replace(/\s+/g, '-').toLowerCase()}.pdf`,
      FileSize: attachmentBytes(d).length,
      Attachment: null,
    };
  };
  const attachmentBytes = (d: number) =>
    Buffer.from(`%PDF-1.4\n% exact-sync sandbox: invoice document ${d + 1} of division ${o.division}\n%%EOF\n`);

  // --- financial periods: twelve a year ---------------------------------------------------------------
  const periodRow = (i: number): Row => {
    const year = years[Math.floor(i / 12)]!;
    const month = i % 12;
    return {
      ID: guidAt(ids.period, i),
      FinYear: year,
      FinPeriod: month + 1,
      StartDate: Date.UTC(year, month, 1),
      EndDate: Date.UTC(year, month + 1, 0),
      ...audit(Date.UTC(year - 1, 11, 1), i + 100_000),
    };
  };

  const journalRow = (i: number): Row => {
    const [code, description, type, glCode] = JOURNALS[i]!;
    const gl = glCode ? glRef(glCode) : undefined;
    return {
      ID: guidAt(ids.journal, i),
      Code: code,
      Description: description,
      Type: type,
      GLAccount: gl?.id ?? null,
      GLAccountCode: gl?.code ?? null,
      GLAccountDescription: gl?.description ?? null,
      Currency: 'EUR',
      AllowVAT: type === 20 || type === 22,
      AllowVariableCurrency: false,
      AllowVariableExchangeRate: false,
      AutoSave: false,
      IsBlocked: false,
      ...audit(startDay, i + 50),
    };
  };

  const entities = new Map<string, Generated>([
    ['GLAccounts', { count: CHART.length, row: glRow }],
    ['Journals', { count: JOURNALS.length, row: journalRow }],
    ['FinancialPeriods', { count: years.length * 12, row: periodRow }],
    ['Accounts', { count: counts.accounts, row: accountRow }],
    ['Contacts', { count: counts.accounts, row: contactRow }],
    ['Addresses', { count: counts.accounts, row: addressRow }],
    ['GLClassifications', { count: CLASSIFICATIONS.length, row: classificationRow }],
    ['Items', { count: itemCount, row: itemRow }],
    ['TransactionLines', { count: lines, row: lineRow }],
    ['SalesInvoices', { count: invoiceLayout.groups, row: invoiceRow }],
    ['SalesInvoiceLines', { count: invoiceLayout.lines, row: invoiceLineRow }],
    ['SalesOrders', { count: counts.orders, row: orderRow }],
    ['SalesOrderLines', { count: counts.orders * 2, row: orderLineRow }],
    ['PurchaseEntries', { count: purchaseLayout.groups, row: purchaseRow }],
    ['PurchaseEntryLines', { count: purchaseLayout.lines, row: purchaseLineRow }],
    ['Receivables', { count: invoiceLayout.groups, row: receivableRow }],
    ['ReceivablesList', { count: invoiceLayout.groups - firstOpenInvoice, row: receivablesListRow }],
    ['PayablesList', { count: purchaseLayout.groups - firstOpenPurchase, row: payablesListRow }],
    ['Documents', { count: documents, row: documentRow }],
    ['DocumentAttachments', { count: documents, row: (d) => ({ ...attachmentRow(d), _content: attachmentBytes(d) }) }],
  ]);
  return { entities, years };
}

/** Exact's document types (documents/DocumentTypes); only 10 is confirmed by a recording, the rest follow Exact's UI. */
export const DOCUMENT_TYPES: readonly [number, string, number][] = [
  [10, 'Sales invoice', 1],
  [20, 'Purchase invoice', 2],
  [40, 'Miscellaneous', 4],
  [50, 'Contract', 4],
  [55, 'Quotation', 1],
  [70, 'Bank statement', 3],
];
