import { guidAt, mix } from '../ids.ts';
import { layoutOf, linesFor } from '../layout.ts';
import type { Row } from '../model.ts';
import { COSTS, DAY, pick, round2, type LedgerCore } from './core.ts';
import type { generalLedger, relations } from './reference.ts';

/** Purchase entries and their lines. */

/** Purchase entries, and which entry has how many lines. */
export function purchaseEntries(
  c: LedgerCore,
  gl: ReturnType<typeof generalLedger>,
  rel: ReturnType<typeof relations>,
) {
  const { seed, ids, audit, dayAt, period, counts } = c;
  const { glRef } = gl;
  const { accountRef, supplierFor } = rel;
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
  return { purchaseLayout, purchaseLine, purchaseRow };
}

/** Purchase entry lines. */
export function purchaseEntryLines(c: LedgerCore, entries: ReturnType<typeof purchaseEntries>) {
  const { o, ids } = c;
  const { purchaseLayout, purchaseLine } = entries;
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
  return { purchaseLineRow };
}
