import { CHART, JOURNALS } from './ledgerData.ts';
import { ledgerCore, type LedgerOptions } from './ledger/core.ts';
import { invoiceDocuments } from './ledger/documents.ts';
import { COST_CENTERS, COST_UNITS, dimensions } from './ledger/dimensions.ts';
import { profitLossOverview, reportingBalances } from './ledger/balances.ts';
import { journalEntries, transactionLines } from './ledger/entries.ts';
import { outstandingItems, receivables } from './ledger/openItems.ts';
import { purchaseEntries, purchaseEntryLines } from './ledger/purchases.ts';
import { CLASSIFICATIONS, contacts, generalLedger, items, relations } from './ledger/reference.ts';
import { invoiceAmounts, salesInvoiceLines, salesInvoices, salesOrders } from './ledger/sales.ts';
import { ENTITY_BY_NAME, type EntityDef, type Row } from './model.ts';
import { GENERIC_ROWS, genericEntity } from './ledger/generic.ts';

export type { LedgerOptions };

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
  readonly count: number;
  row(index: number): Row;
  /** `count` costs work (balances sum the ledger): read it only when the entity is used. */
  lazy?: true;
}

export interface Ledger {
  /** The hand-written entities; every other entity's rows come from `generic`. */
  readonly entities: ReadonlyMap<string, Generated>;
  generic(def: EntityDef): Generated;
  /** Financial years covered, first to last. */
  readonly years: readonly number[];
}

/** The rows of every entity of one division, each family from its module under ledger/. */
export function createLedger(o: LedgerOptions): Ledger {
  const c = ledgerCore(o);
  const gl = generalLedger(c);
  const rel = relations(c);
  const people = contacts(c, rel);
  const it = items(c, gl);
  const entries = journalEntries(c, rel);
  const { lineRow } = transactionLines(c, gl, rel, entries);
  const amounts = invoiceAmounts(c, it);
  const sales = salesInvoices(c, rel, amounts);
  const { invoiceLineRow } = salesInvoiceLines(c, it, amounts);
  const orders = salesOrders(c, rel, it, amounts);
  const purchases = purchaseEntries(c, gl, rel);
  const { purchaseLineRow } = purchaseEntryLines(c, purchases);
  const { receivableRow } = receivables(c, rel, sales);
  const open = outstandingItems(c, rel, sales, purchases);
  const docs = invoiceDocuments(c, sales);
  const dims = dimensions(c);
  const balances = reportingBalances(c, lineRow);
  const { invoiceLayout } = amounts;
  const { purchaseLayout } = purchases;
  const { counts, years, lines, documents } = c;
  const entities = new Map<string, Generated>([
    ['GLAccounts', { count: CHART.length, row: gl.glRow }],
    ['Journals', { count: JOURNALS.length, row: gl.journalRow }],
    ['FinancialPeriods', { count: years.length * 12, row: gl.periodRow }],
    ['Accounts', { count: counts.accounts, row: rel.accountRow }],
    ['Contacts', { count: counts.accounts, row: people.contactRow }],
    ['Addresses', { count: counts.accounts, row: people.addressRow }],
    ['GLClassifications', { count: CLASSIFICATIONS.length, row: gl.classificationRow }],
    ['GLSchemes', { count: 1, row: dims.schemeRow }],
    ['GLAccountClassificationMappings', { count: CHART.length, row: dims.mappingRow }],
    ['Costcenters', { count: COST_CENTERS.length, row: dims.costCenterRow }],
    ['Costunits', { count: COST_UNITS.length, row: dims.costUnitRow }],
    ['ReportingBalance', balances],
    ['ProfitLossOverview', profitLossOverview(c, balances)],
    ['Items', { count: counts.items, row: it.itemRow }],
    ['TransactionLines', { count: lines, row: lineRow }],
    ['SalesInvoices', { count: invoiceLayout.groups, row: sales.invoiceRow }],
    ['SalesInvoiceLines', { count: invoiceLayout.lines, row: invoiceLineRow }],
    ['SalesOrders', { count: counts.orders, row: orders.orderRow }],
    ['SalesOrderLines', { count: counts.orders * 2, row: orders.orderLineRow }],
    // The Sync API's sales order headers are the same orders, keyed by ID (= OrderID).
    [
      'SalesOrderHeaders',
      {
        count: counts.orders,
        row: (i) => {
          const order = orders.orderRow(i);
          return { ...order, ID: order.OrderID };
        },
      },
    ],
    ['PurchaseEntries', { count: purchaseLayout.groups, row: purchases.purchaseRow }],
    ['PurchaseEntryLines', { count: purchaseLayout.lines, row: purchaseLineRow }],
    ['Receivables', { count: invoiceLayout.groups, row: receivableRow }],
    ['ReceivablesList', { count: invoiceLayout.groups - open.firstOpenInvoice, row: open.receivablesListRow }],
    ['PayablesList', { count: purchaseLayout.groups - open.firstOpenPurchase, row: open.payablesListRow }],
    ['Documents', { count: documents, row: docs.documentRow }],
    [
      'DocumentAttachments',
      { count: documents, row: (d) => ({ ...docs.attachmentRow(d), _content: docs.attachmentBytes(d) }) },
    ],
  ]);
  const count = (name: string) => entities.get(name)?.count ?? (ENTITY_BY_NAME.has(name) ? GENERIC_ROWS : 0);
  return { entities, years, generic: (def) => genericEntity(c, def, count) };
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
