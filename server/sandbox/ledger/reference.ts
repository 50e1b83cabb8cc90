import { guidAt, mix, unit } from '../ids.ts';
import { CHART, CITIES, COMPANY_A, COMPANY_B, COMPANY_C, FIRST, JOURNALS, PRODUCTS } from '../ledgerData.ts';
import type { Row } from '../model.ts';
import { GL, REVENUE, pick, round2, type LedgerCore } from './core.ts';

/** The reference data of a generated administration: GL accounts, journals, periods, relations, items. */

/** A small reporting scheme: balance sheet and profit and loss, each with a few sections. */
export const CLASSIFICATIONS: readonly [string, string, number | null, 'D' | 'C' | null][] = [
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

/** GL accounts, journals, financial periods and the GL classification scheme. */
export function generalLedger(c: LedgerCore) {
  const { ids, audit, startDay, years } = c;
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
  const glRefs = new Map<string, { id: string; code: string; description: string; balance: 'B' | 'W' }>();
  const glRef = (code: string) => {
    let ref = glRefs.get(code);
    if (!ref) {
      const i = GL[code]!;
      glRefs.set(code, (ref = { id: guidAt(ids.gl, i), code, description: CHART[i]![1], balance: CHART[i]![3] }));
    }
    return ref;
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
  return { glRow, glRef, journalRow, periodRow, classificationRow };
}

/** Accounts (customers, and every fifth a supplier) and which one an entry or invoice names. */
export function relations(c: LedgerCore) {
  const { seed, ids, audit, dayAt, counts } = c;
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
  return { accountName, isSupplier, accountRow, accountRef, customerFor, supplierFor };
}

/** The main contact and address of each account. */
export function contacts(c: LedgerCore, rel: ReturnType<typeof relations>) {
  const { seed, ids, audit, dayAt } = c;
  const { accountRef, accountRow, isSupplier } = rel;
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
  return { contactRow, addressRow };
}

/** Items with their prices and GL accounts. */
export function items(c: LedgerCore, gl: ReturnType<typeof generalLedger>) {
  const { seed, ids, audit, dayAt } = c;
  const { glRef } = gl;
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
  return { itemPrice, itemRow };
}
