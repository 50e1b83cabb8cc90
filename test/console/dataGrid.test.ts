import { describe, expect, it } from 'vitest';
import { afterOf, effectiveOrder, filterOf, rowsUrl } from '../../console/src/dataGrid.ts';
import type { ResultColumn } from '../../server/query/types.ts';

const text: ResultColumn = { name: 'description', type: 'text', kind: 'text' };
const amount: ResultColumn = { name: 'amount', type: 'numeric', kind: 'number' };
const day: ResultColumn = { name: 'date', type: 'date', kind: 'date' };

describe('filterOf: what the user typed in a column box → the API filter', () => {
  it.each([
    [text, '', undefined],
    [text, '   ', undefined],
    [text, 'huur', 'description:ilike:%huur%'],
    [text, '50%_off\\', 'description:ilike:%50\\%\\_off\\\\%'],
    [text, '=Huur kantoor', 'description:eq:Huur kantoor'],
    [amount, '>100', 'amount:gt:100'],
    [amount, '>= 100', 'amount:ge:100'],
    [amount, '<0', 'amount:lt:0'],
    [amount, '<=0', 'amount:le:0'],
    [amount, '!=0', 'amount:ne:0'],
    [amount, '<>0', 'amount:ne:0'],
    [amount, '12.5', 'amount:eq:12.5'],
    [day, '2026-01-31', 'date:eq:2026-01-31'],
    [day, 'empty', 'date:null'],
    [day, 'Not empty', 'date:notnull'],
  ])('%o %j → %j', (column, typed, want) => {
    expect(filterOf(column, typed)).toBe(want);
  });
});

describe('effectiveOrder: the order the server pages by (rowsQuery.ts)', () => {
  it.each([
    [undefined, ['id'], ['id', 'x'], [{ column: 'id', desc: false }]],
    [
      { column: 'x', desc: true },
      ['id'],
      ['id', 'x'],
      [
        { column: 'x', desc: true },
        { column: 'id', desc: false },
      ],
    ],
    [{ column: 'id', desc: true }, ['id'], ['id', 'x'], [{ column: 'id', desc: true }]],
    [
      undefined,
      ['division', 'id'],
      ['division', 'id'],
      [
        { column: 'division', desc: false },
        { column: 'id', desc: false },
      ],
    ],
    [undefined, [], ['a', 'b'], [{ column: 'a', desc: false }]],
  ])('sort %j, key %j → %j', (sort, key, columns, want) => {
    expect(effectiveOrder(sort, key, columns)).toEqual(want);
  });
});

describe('afterOf and rowsUrl', () => {
  it("pages on from the last row's values of the order columns, in the order's order", () => {
    const columns = [{ name: 'id' }, { name: 'amount' }, { name: 'division' }];
    const order = effectiveOrder({ column: 'amount', desc: true }, ['division', 'id'], ['id', 'amount', 'division']);
    expect(afterOf(['g1', null, 7], columns, order)).toEqual([null, 7, 'g1']);
    expect(() => afterOf(['g1'], [{ name: 'id' }], order)).toThrow(/no column amount/);
  });

  it('puts order, every filter, after and format in the query string', () => {
    const url = new URL(
      rowsUrl({
        table: 'transactionlines',
        connection: 2,
        order: [
          { column: 'date', desc: true },
          { column: 'id', desc: false },
        ],
        filters: ['amount:gt:100', 'description:ilike:%a&b%'],
        after: ['2026-01-01', 5],
        limit: 100,
        columns: ['id', 'amountdc'],
      }),
      'http://x',
    );
    expect(url.pathname).toBe('/api/v1/tables/transactionlines/rows');
    expect(url.searchParams.get('order')).toBe('-date,id');
    expect(url.searchParams.getAll('filter')).toEqual(['amount:gt:100', 'description:ilike:%a&b%']);
    expect(JSON.parse(url.searchParams.get('after')!)).toEqual(['2026-01-01', 5]);
    expect(url.searchParams.get('limit')).toBe('100');
    expect(url.searchParams.get('connection')).toBe('2');
    expect(url.searchParams.get('columns')).toBe('id,amountdc');
    expect(new URL(rowsUrl({ table: 't', connection: 1, filters: [] }), 'http://x').searchParams.has('columns')).toBe(
      false,
    );
  });
});
