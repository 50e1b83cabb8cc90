import { describe, expect, it } from 'vitest';
import { buildRowsQuery, parseFilter, type RowsRequest } from '../../server/query/rowsQuery.ts';

const table = {
  schema: 'exact_online',
  name: 'accounts',
  columns: ['division', 'id', 'name', 'city', 'modified'],
  primaryKey: ['division', 'id'],
};

describe('buildRowsQuery', () => {
  it.each<[string, RowsRequest, string, unknown[]]>([
    [
      'everything, by primary key',
      { limit: 100 },
      'SELECT "division", "id", "name", "city", "modified" FROM "exact_online"."accounts" ORDER BY "division", "id" LIMIT 100',
      [],
    ],
    [
      'some columns; the order columns are added',
      { columns: ['name'], limit: 10 },
      'SELECT "name", "division", "id" FROM "exact_online"."accounts" ORDER BY "division", "id" LIMIT 10',
      [],
    ],
    [
      'filters become parameters; the primary key breaks ties',
      {
        columns: ['name'],
        filters: [
          { column: 'city', op: 'eq', value: 'Utrecht' },
          { column: 'name', op: 'ilike', value: '%bv' },
          { column: 'modified', op: 'notnull' },
        ],
        order: ['name'],
        limit: 5,
      },
      'SELECT "name", "division", "id" FROM "exact_online"."accounts" WHERE "city" = $1 AND "name" ILIKE $2 AND "modified" IS NOT NULL ORDER BY "name", "division", "id" LIMIT 5',
      ['Utrecht', '%bv'],
    ],
    [
      'in takes a list',
      {
        columns: ['id'],
        filters: [{ column: 'city', op: 'in', value: 'Utrecht,Den "Haag"' }],
        order: ['id'],
        limit: 5,
      },
      'SELECT "id", "division" FROM "exact_online"."accounts" WHERE "city" = ANY ($1) ORDER BY "id", "division" LIMIT 5',
      ['{"Utrecht","Den \\"Haag\\""}'],
    ],
    [
      'keyset after the last row, mixed directions (NULLs last going up, first going down)',
      { columns: ['name'], order: ['-modified', 'id'], after: ['2026-01-01T00:00:00Z', 'x', 7], limit: 50 },
      'SELECT "name", "modified", "id", "division" FROM "exact_online"."accounts" WHERE (("modified" < $1) OR ("modified" = $2 AND ("id" > $3 OR "id" IS NULL)) OR ("modified" = $4 AND "id" = $5 AND ("division" > $6 OR "division" IS NULL))) ORDER BY "modified" DESC, "id", "division" LIMIT 50',
      ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'x', '2026-01-01T00:00:00Z', 'x', 7],
    ],
    [
      'keyset after a row whose order values are NULL',
      { columns: ['name'], order: ['city', '-modified'], after: [null, null, 3, 'x'], limit: 50 },
      'SELECT "name", "city", "modified", "division", "id" FROM "exact_online"."accounts" WHERE (("city" IS NULL AND "modified" IS NOT NULL) OR ("city" IS NULL AND "modified" IS NULL AND ("division" > $1 OR "division" IS NULL)) OR ("city" IS NULL AND "modified" IS NULL AND "division" = $2 AND ("id" > $3 OR "id" IS NULL))) ORDER BY "city", "modified" DESC, "division", "id" LIMIT 50',
      [3, 3, 'x'],
    ],
  ])('%s', (_label, request, sql, params) => {
    expect(buildRowsQuery(table, request)).toEqual({ sql, params });
  });

  it.each<[string, RowsRequest, string]>([
    ['an unknown column', { columns: ['name', 'password'], limit: 1 }, 'unknown_column'],
    ['a column name that tries SQL', { columns: ['name"; DROP TABLE x; --'], limit: 1 }, 'unknown_column'],
    ['an unknown order column', { order: ['-nope'], limit: 1 }, 'unknown_column'],
    ['an unknown filter column', { filters: [{ column: 'nope', op: 'eq', value: '1' }], limit: 1 }, 'unknown_column'],
    ['after with the wrong number of values', { after: [1], limit: 1 }, 'invalid_after'],
  ])('refuses %s', (_label, request, code) => {
    expect(() => buildRowsQuery(table, request)).toThrow(expect.objectContaining({ code }));
  });
});

describe('parseFilter', () => {
  it.each([
    ['city:eq:Utrecht', { column: 'city', op: 'eq', value: 'Utrecht' }],
    ['modified:ge:2026-01-01T10:00:00Z', { column: 'modified', op: 'ge', value: '2026-01-01T10:00:00Z' }],
    ['city:null', { column: 'city', op: 'null' }],
    ['name:eq:', { column: 'name', op: 'eq', value: '' }],
  ])('%s', (text, want) => {
    expect(parseFilter(text)).toEqual(want);
  });
  it.each(['city', 'city:between:1', 'city:eq'])('refuses %s', (text) => {
    expect(() => parseFilter(text)).toThrow(expect.objectContaining({ code: 'invalid_filter' }));
  });
});
