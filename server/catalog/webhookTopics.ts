import { TABLE_BY_NAME } from './tables.ts';

/**
 * Exact's webhook topics and the warehouse tables each one's events change (docs/exact-online.md,
 * "Webhooks"; from Exact's REST index, the "This endpoint has a webhook" column and each entity's
 * "Subscribe to the topic … you will also receive events on the …Lines resource" sentence). A header
 * topic also reports its lines, and the five journal topics report the general ledger's transaction
 * lines, which have no topic of their own. Only tables of exact-sync's catalog are named; topics of
 * entities it does not sync (Quotations, BankEntries, …) map to the catalog tables that exist, or none.
 */
const TOPICS: Record<string, readonly string[]> = {
  Accounts: ['accounts'],
  BankAccounts: ['bankaccounts'],
  Contacts: ['contacts'],
  Opportunities: ['opportunities'],
  Quotations: ['quotations', 'quotationlines'],
  Documents: ['documents'],
  DocumentAttachments: ['documentattachments'],
  GLAccounts: ['glaccounts'],
  BankEntries: ['bankentries', 'bankentrylines', 'transactionlines'],
  CashEntries: ['cashentries', 'cashentrylines', 'transactionlines'],
  GeneralJournalEntries: ['generaljournalentries', 'generaljournalentrylines', 'transactionlines'],
  PurchaseEntries: ['purchaseentries', 'purchaseentrylines', 'transactionlines'],
  SalesEntries: ['salesentries', 'salesentrylines', 'transactionlines'],
  SalesInvoices: ['salesinvoices', 'salesinvoicelines'],
  // salesorderheaders (sync/SalesOrder/SalesOrderHeaders) holds the same orders as the legacy salesorders; the
  // legacy table stays first: its key (orderid) is the column the lines point at their order with.
  SalesOrders: ['salesorders', 'salesorderheaders', 'salesorderlines'],
  GoodsDeliveries: ['goodsdeliveries', 'goodsdeliverylines'],
  PurchaseOrders: ['purchaseorders', 'purchaseorderlines'],
  Items: ['items'],
  CostTransactions: ['costtransactions'],
  TimeTransactions: ['timetransactions'],
  ProjectPlanning: ['projectplanning'],
  Subscriptions: ['subscriptions', 'subscriptionlines'],
};

/** The catalog tables a topic's events change (none for a topic Exact has that exact-sync does not sync). */
export function tablesOfTopic(topic: string): string[] {
  return (Object.hasOwn(TOPICS, topic) ? TOPICS[topic]! : []).filter((t) => TABLE_BY_NAME.has(t));
}

/** The topics to subscribe to for a set of synced tables: each topic that changes at least one of them. */
export function topicsForTables(tables: Iterable<string>): string[] {
  const synced = new Set(tables);
  return Object.keys(TOPICS).filter((topic) => tablesOfTopic(topic).some((t) => synced.has(t)));
}
