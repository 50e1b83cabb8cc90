import { describe, expect, it } from 'vitest';
import {
  FIRST,
  LAST,
  moves,
  pageStatus,
  requestOrder,
  reversed,
  shownRows,
  type PagerState,
} from '../../console/src/pager.ts';

const order = [
  { column: 'amount', desc: false },
  { column: 'id', desc: false },
];
const columns = [{ name: 'id' }, { name: 'amount' }];
const page = (n: number, last: [number, number] = [9, 90]) => ({
  rows: Array.from({ length: n }, (_, i) => (i === n - 1 ? last : [i, i * 10])),
  columns,
});
const at = (back: boolean, ...stack: (unknown[] | undefined)[]): PagerState => ({ back, stack });

describe('pager', () => {
  it('reads from the end with every key reversed, and shows the page the right way round', () => {
    expect(reversed(order)).toEqual([
      { column: 'amount', desc: true },
      { column: 'id', desc: true },
    ]);
    expect(requestOrder(LAST, undefined, order)).toEqual(reversed(order));
    expect(requestOrder(FIRST, undefined, order)).toBeUndefined();
    expect(requestOrder(FIRST, { column: 'amount', desc: true }, order)).toEqual([{ column: 'amount', desc: true }]);
    expect(shownRows(LAST, [1, 2, 3])).toEqual([3, 2, 1]);
    expect(shownRows(FIRST, [1, 2, 3])).toEqual([1, 2, 3]);
  });

  it.each([
    // [where, page shown, moves possible]
    ['first page, full', FIRST, page(3), { next: at(false, undefined, [90, 9]), last: LAST }],
    ['first page, the only one', FIRST, page(2), {}],
    [
      'second page forwards, full',
      at(false, undefined, [1]),
      page(3),
      { first: FIRST, previous: FIRST, next: at(false, undefined, [1], [90, 9]), last: LAST },
    ],
    ['last page forwards (short)', at(false, undefined, [1]), page(1), { first: FIRST, previous: FIRST }],
    // From the end: Previous goes on (after the last row as sent, in the reversed order), Next pops.
    ['last page', LAST, page(3), { first: FIRST, previous: at(true, undefined, [90, 9]) }],
    [
      'one before the last',
      at(true, undefined, [5]),
      page(3),
      { first: FIRST, previous: at(true, undefined, [5], [90, 9]), next: LAST, last: LAST },
    ],
    [
      'the start, reached from the end (short)',
      at(true, undefined, [5]),
      page(2),
      { first: FIRST, next: LAST, last: LAST },
    ],
    ['still loading', FIRST, undefined, { last: LAST }],
  ] as const)('%s', (_name, state, shown, want) => {
    expect(moves(state, shown, order, 3)).toEqual(want);
  });

  it.each([
    [FIRST, 100, 'Rows 1–100'],
    [at(false, undefined, [1], [2]), 40, 'Rows 201–240'],
    [LAST, 100, 'Rows 1–100 from the end'],
    [at(true, undefined, [1]), 100, 'Rows 101–200 from the end'],
    [FIRST, 0, 'No rows'],
  ] as const)('%j shows %s', (state, shown, text) => {
    expect(pageStatus(state, shown, 100)).toBe(text);
  });
});
