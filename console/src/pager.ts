import { afterOf, type SortKey } from './dataGrid.ts';

/**
 * Paging a table both ways by keyset: forwards from the first row, or backwards from the last (the
 * order reversed, the page shown the right way round). Each state keeps the `after` of every page gone
 * through, so one step back is a pop. Pure, so the moves have table tests.
 */

export interface PagerState {
  /** Reading from the end (Last page, then Previous). */
  back: boolean;
  /** The `after` of each page so far; the last is the page shown. */
  stack: (readonly unknown[] | undefined)[];
}

export const FIRST: PagerState = { back: false, stack: [undefined] };
export const LAST: PagerState = { back: true, stack: [undefined] };

/** Each key the other way round: the order to read from the end. */
export function reversed(order: readonly SortKey[]): SortKey[] {
  return order.map((o) => ({ column: o.column, desc: !o.desc }));
}

/** The order to ask the server for: the whole order reversed from the end; else the sort (the server adds the key). */
export function requestOrder(
  p: PagerState,
  sort: SortKey | undefined,
  order: readonly SortKey[],
): readonly SortKey[] | undefined {
  if (p.back) return reversed(order);
  return sort ? [sort] : undefined;
}

/** The page's rows in the table's order (a page read from the end comes reversed). */
export function shownRows<T>(p: PagerState, rows: readonly T[]): T[] {
  return p.back ? [...rows].reverse() : [...rows];
}

export interface PageMoves {
  first?: PagerState;
  previous?: PagerState;
  next?: PagerState;
  last?: PagerState;
}

/** Where each button goes from here; a move left out is not possible (its button is disabled). */
export function moves(
  p: PagerState,
  page: { rows: readonly (readonly unknown[])[]; columns: readonly { name: string }[] } | undefined,
  order: readonly SortKey[],
  size: number,
): PageMoves {
  const full = page !== undefined && page.rows.length >= size;
  const deeper = (after: readonly unknown[]): PagerState => ({ back: p.back, stack: [...p.stack, after] });
  const popped: PagerState | undefined = p.stack.length > 1 ? { back: p.back, stack: p.stack.slice(0, -1) } : undefined;
  // The next page in the direction read: after the last row as the server sent it.
  const onward = full
    ? deeper(afterOf(page.rows[page.rows.length - 1]!, page.columns, p.back ? reversed(order) : order))
    : undefined;
  const atFirst = !p.back && p.stack.length === 1;
  const atLast = (p.back && p.stack.length === 1) || (!p.back && page !== undefined && !full);
  const out: PageMoves = {};
  if (!atFirst) out.first = FIRST;
  if (!atLast) out.last = LAST;
  const previous = p.back ? onward : popped;
  const next = p.back ? popped : onward;
  if (previous) out.previous = previous;
  if (next) out.next = next;
  return out;
}

/** "Rows 201–300", or from the end "Rows 1–100 from the end". */
export function pageStatus(p: PagerState, shown: number, size: number): string {
  if (shown === 0) return 'No rows';
  const from = (p.stack.length - 1) * size + 1;
  const range = `Rows ${from.toLocaleString('en-US')}–${(from + shown - 1).toLocaleString('en-US')}`;
  return p.back ? `${range} from the end` : range;
}
