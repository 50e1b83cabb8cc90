import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fieldsAt } from '../server/catalog/endpoints.ts';
import { REFERENCE, referenceEndpoint } from '../server/catalog/reference.ts';
import { ALL_TABLES, isCodeLike, TABLE_BY_NAME, TABLES, tableForDeletedType } from '../server/catalog/tables.ts';
import { withDeletes } from '../server/sync/runner.ts';

describe('which table a sync/Deleted entity type deletes from', () => {
  it.each([
    [1, 'transactionlines'],
    [2, 'accounts'],
    [13, 'salesinvoices'],
    // 12 is the legacy SalesOrders, reported for orders as 32 SalesOrderHeaders is (docs/exact-online.md 5.3).
    [12, 'salesorders'],
    [32, 'salesorderheaders'],
    // A sales order line deleted on its own.
    [33, 'salesorderlines'],
    [6, 'documents'],
    [55, 'billofmaterialversions'],
    [10, 'paymentterms'],
    [48, 'bankaccounts'],
    // Not listed by Exact, and types exact-sync has no table for.
    [52, undefined],
    [30, undefined],
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

describe('the catalog against Exact’s reference', () => {
  it('asks every endpoint only for fields its own type serves, and keeps the others as columns', () => {
    for (const t of ALL_TABLES) {
      const served = new Set(fieldsAt(t.entity, t.path).map((f) => f.name));
      for (const c of t.select) expect(served.has(c.field), `${t.path} ${c.field}`).toBe(true);
      for (const c of t.lacks) expect(served.has(c.field), `${t.path} ${c.field}`).toBe(false);
      expect(t.select.length + t.lacks.length).toBe(t.columns.length);
    }
    // The cases: fields the sync types lack are not asked for.
    const select = (name: string) => TABLE_BY_NAME.get(name)!.select.map((c) => c.field);
    expect(select('transactionlines')).not.toContain('ShopOrder');
    expect(select('accounts')).not.toContain('BRIN');
    expect(select('glaccounts')).not.toContain('DescriptionTermID');
    expect(select('transactionlines')).toContain('SerialNumber');
    expect(select('glclassifications')).toContain('IsTupleSubElement');
    expect(TABLE_BY_NAME.get('accounts')!.columns.map((c) => c.field)).toContain('BRIN');
  });

  it('knows every endpoint it reads from the reference, with a source for what evidence adds', () => {
    for (const t of ALL_TABLES) expect(referenceEndpoint(t.path), t.path).toBeDefined();
    expect(referenceEndpoint('sync/financial/transactionlines')!.evidence).toMatch(/Singer/);
    expect(REFERENCE.size).toBe(451);
    expect([...REFERENCE.keys()].filter((k) => k.startsWith('sync/'))).toHaveLength(60);
    expect([...REFERENCE.keys()].filter((k) => k.startsWith('bulk/'))).toHaveLength(21);
  });

  it('is described in the README as it is: each table’s endpoint and the columns it leaves empty', () => {
    const readme = fs.readFileSync(path.join(import.meta.dirname, '..', 'README.md'), 'utf8');
    for (const t of ALL_TABLES) {
      const lacks = t.lacks.map((c) => `\`${c.field}\``).join(', ') || '—';
      const from = t.strategy === 'child' ? 'its parent’s `$expand`' : `\`${t.path}\``;
      expect(readme, t.name).toContain(`| \`${t.name}\` | ${from} | ${lacks} |`);
    }
  });
});

describe('each table read the cheapest way Exact allows', () => {
  it('uses the Sync API when its entity has one; else Modified when the endpoint serves it; else reads whole', () => {
    for (const t of TABLES) {
      if (t.entity.syncPath) expect(t.strategy, t.name).toBe('sync');
      else if (t.strategy === 'modified')
        expect(
          t.select.map((c) => c.field),
          t.name,
        ).toContain('Modified');
      else expect(['full', 'modified'], t.name).toContain(t.strategy);
    }
    expect(TABLES.length).toBeGreaterThanOrEqual(60);
  });

  it('names each table after its entity and gives every entity Exact deletes by type its type', () => {
    for (const t of TABLES) expect(t.name).toBe(t.entity.name.toLowerCase());
    expect(TABLE_BY_NAME.get('projects')!.deletedType).toBe(21);
    expect(TABLE_BY_NAME.get('salesitemprices')!.deletedType).toBe(8);
    expect(new Set(TABLES.map((t) => t.name)).size).toBe(TABLES.length);
  });
});
