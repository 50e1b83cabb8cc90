import { describe, expect, it } from 'vitest';
import { isCodeLike, tableForDeletedType } from '../server/catalog/tables.ts';
import { withDeletes } from '../server/sync/runner.ts';

describe('which table a sync/Deleted entity type deletes from', () => {
  it.each([
    [1, 'transactionlines'],
    [2, 'accounts'],
    [13, 'salesinvoices'],
    // 12 is the legacy SalesOrders, reported for orders as 32 SalesOrderHeaders is (docs/exact-online.md 5.3).
    [12, 'salesorders'],
    [32, 'salesorders'],
    // A sales order line deleted on its own.
    [33, 'salesorderlines'],
    [6, 'documents'],
    [52, undefined],
    [55, undefined],
  ])('EntityType %i → %s', (n, table) => {
    expect(tableForDeletedType(n)?.name).toBe(table);
  });
});

describe('the run always reads the deletes', () => {
  it.each([
    [['accounts'], ['accounts', 'deleted']],
    [
      ['deleted', 'accounts'],
      ['deleted', 'accounts'],
    ],
    [[], ['deleted']],
  ])('%j → %j', (tables, run) => {
    expect(withDeletes(tables)).toEqual(run);
  });
});

describe('code-like fields, trimmed on the way in', () => {
  it.each([
    ['Code', true],
    ['AccountCode', true],
    ['GLAccountCode', true],
    ['SalesVatCode', true],
    ['Country', true],
    ['Legislation', true],
    ['Unit', true],
    ['Description', false],
    ['AccountName', false],
    ['CodeDescription', false],
    ['UnitDescription', false],
  ])('%s: %s', (field, trimmed) => {
    expect(isCodeLike(field)).toBe(trimmed);
  });
});
