import { describe, expect, it } from 'vitest';
import { TABLE_BY_NAME } from '../../server/catalog/tables.ts';
import { tablesOfTopic, topicsForTables } from '../../server/catalog/webhookTopics.ts';

describe('webhook topics', () => {
  it.each([
    ['GLAccounts', ['glaccounts']],
    ['Accounts', ['accounts']],
    // A journal topic reports its lines and the general ledger's transaction lines (no topic of their own).
    ['SalesEntries', ['salesentries', 'transactionlines'].filter((t) => TABLE_BY_NAME.has(t))],
    ['SalesOrders', ['salesorders', 'salesorderheaders', 'salesorderlines']],
    ['Items', ['items']],
    // Topics exact-sync has no table for, and names that are not topics.
    ['HostingOpportunities', []],
    ['FinancialTransactions', []],
    ['toString', []],
    ['glaccounts', []],
  ])('%s changes %j', (topic, tables) => {
    expect(tablesOfTopic(topic)).toEqual(tables);
  });

  it('names only catalog tables', () => {
    for (const topic of topicsForTables([...TABLE_BY_NAME.keys()]))
      for (const t of tablesOfTopic(topic)) expect(TABLE_BY_NAME.has(t), `${topic} → ${t}`).toBe(true);
  });

  it('subscribes to the topics of the tables synced, and to nothing for tables without one', () => {
    // Every journal topic reports transaction lines, whether or not exact-sync has its header table.
    expect(topicsForTables(['transactionlines'])).toEqual([
      'BankEntries',
      'CashEntries',
      'GeneralJournalEntries',
      'PurchaseEntries',
      'SalesEntries',
    ]);
    expect(topicsForTables(['glaccounts', 'items', 'vatcodes'])).toEqual(['GLAccounts', 'Items']);
    expect(topicsForTables(['vatcodes', 'costcenters'])).toEqual([]);
    // The sales orders a default connection syncs (sync/SalesOrder/SalesOrderHeaders) are reported too.
    expect(topicsForTables(['salesorderheaders'])).toEqual(['SalesOrders']);
  });
});
