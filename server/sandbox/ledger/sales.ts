import { guidAt, mix } from '../ids.ts';
import { layoutOf, linesFor } from '../layout.ts';
import type { Row } from '../model.ts';
import { DAY, round2, type LedgerCore } from './core.ts';
import type { items, relations } from './reference.ts';

/** Sales invoices with their lines, and sales orders with theirs. */

type Items = ReturnType<typeof items>;

/** Which invoice has how many lines, and each line's amounts. */
export function invoiceAmounts(c: LedgerCore, it: Items) {
  const { seed, dayAt, counts } = c;
  const { itemPrice } = it;
  const itemCount = counts.items;
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
  return { invoiceLayout, invoiceLineAmounts, invoiceTotals, invoiceNumber, invoiceDay };
}

/** Sales invoices. */
export function salesInvoices(
  c: LedgerCore,
  rel: ReturnType<typeof relations>,
  amounts: ReturnType<typeof invoiceAmounts>,
) {
  const { ids, audit } = c;
  const { accountRef, customerFor } = rel;
  const { invoiceTotals, invoiceNumber, invoiceDay } = amounts;
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
  return { invoiceRow };
}

/** Sales invoice lines. */
export function salesInvoiceLines(c: LedgerCore, it: Items, amounts: ReturnType<typeof invoiceAmounts>) {
  const { o, ids } = c;
  const { itemRow } = it;
  const { invoiceLayout, invoiceLineAmounts, invoiceDay } = amounts;
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
  return { invoiceLineRow };
}

/** Sales orders: two lines each. */
export function salesOrders(
  c: LedgerCore,
  rel: ReturnType<typeof relations>,
  it: Items,
  amounts: ReturnType<typeof invoiceAmounts>,
) {
  const { o, ids, audit, dayAt, counts } = c;
  const { accountRef, customerFor } = rel;
  const { itemRow } = it;
  const { invoiceLineAmounts } = amounts;
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
  return { orderRow, orderLineRow };
}
