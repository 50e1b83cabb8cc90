import { guidAt } from '../ids.ts';
import type { Row } from '../model.ts';
import { DAY, type LedgerCore } from './core.ts';
import type { purchaseEntries } from './purchases.ts';
import type { relations } from './reference.ts';
import type { salesInvoices } from './sales.ts';

/** Receivables (one per sales invoice, paid unless recent) and the outstanding items of the last 45 days. */

/** Receivables: one per sales invoice. */
export function receivables(c: LedgerCore, rel: ReturnType<typeof relations>, sales: ReturnType<typeof salesInvoices>) {
  const { o, ids, audit, stamp } = c;
  const { accountRef, customerFor } = rel;
  const { invoiceRow } = sales;
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
  return { receivableRow };
}

/** Invoices and bills of the last 45 days are not paid yet: the receivables and payables lists. */
export function outstandingItems(
  c: LedgerCore,
  rel: ReturnType<typeof relations>,
  sales: ReturnType<typeof salesInvoices>,
  purchases: ReturnType<typeof purchaseEntries>,
) {
  const { o, ids, dayAt, counts } = c;
  const { accountRef, customerFor, supplierFor } = rel;
  const { invoiceRow } = sales;
  const { purchaseRow } = purchases;
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
  return { firstOpenInvoice, firstOpenPurchase, receivablesListRow, payablesListRow };
}
