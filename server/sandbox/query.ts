import { compareSqlGuid, GUID_RE } from './ids.ts';
import { matches, timestampLowerBound } from './filter.ts';
import type { Row } from './model.ts';
import { ODataError, type QueryOptions } from './odata.ts';
import type { EntityDef } from './model.ts';

/** What a page read needs of a table: the store's Table, or a small fixed list (divisions, document types). */
export interface Readable {
  readonly def: EntityDef;
  readonly end: number;
  get(index: number): Row | undefined;
  indexOf(id: string): number | undefined;
  byTimestamp(from: number): Iterable<Row>;
}

export function fixedTable(def: EntityDef, rows: readonly Row[]): Readable {
  return {
    def,
    end: rows.length,
    get: (i) => rows[i],
    indexOf: (id) => {
      const i = rows.findIndex((r) => String(r[def.key]).toLowerCase() === id.toLowerCase());
      return i < 0 ? undefined : i;
    },
    byTimestamp: () => rows,
  };
}

/**
 * One page of a collection read. Three orders, as Exact pages them:
 * - plain and bulk endpoints without $orderby: primary key in SQL Server GUID order, keyset paging with
 *   `$skiptoken=guid'<last ID>'` (docs/exact-online.md 4.3), which is the index order of generated rows;
 * - sync endpoints: Timestamp order, `$skiptoken=<last Timestamp>L` — the real sync skiptoken format is
 *   not documented anywhere we found (docs/exact-online.md 12); clients follow `__next` verbatim either way;
 * - with $orderby: sorted in memory and paged with `$skip` (small tables only).
 */
export type Mode = 'plain' | 'bulk' | 'sync';

export interface Page {
  /** The rows, unless they were handed to `onRow` one by one. */
  rows: Row[];
  /** How many rows the page has. */
  size: number;
  /** Query parameters to change for the next page, when there is one. */
  next?: Record<string, string | undefined>;
  count?: number;
}

const ORDERBY_LIMIT = 100_000;

/**
 * With `onRow`, each row is handed over as soon as it is read and not kept: a page of a thousand wide rows
 * is then never in memory at once, and the rows die young.
 */
/**
 * How a sync endpoint orders its pages. Exact does not document it (docs/exact-online.md 5.2, 12):
 * `timestamp` (ascending, `$skiptoken` a Timestamp) is what clients observe; `key` (primary-key order as
 * on plain endpoints, `$skiptoken` a key) is the other plausible reading, for testing that a client is
 * safe either way.
 */
export type SyncOrder = 'timestamp' | 'key';

export function readPage(
  table: Readable,
  q: QueryOptions,
  mode: Mode,
  pageSize: number,
  onRow?: (row: Row) => void,
  syncOrder: SyncOrder = 'timestamp',
): Page {
  const limit = q.top === undefined ? pageSize : Math.min(q.top, pageSize);
  const count = q.inlinecount ? countMatching(table, q) : undefined;
  if (q.top === 0) return { rows: [], size: 0, ...(count !== undefined ? { count } : {}) };

  if (q.orderby.length > 0) {
    const page = orderedPage(table, q, limit, count);
    if (onRow) {
      for (const row of page.rows) onRow(row);
      page.rows = [];
    }
    return page;
  }

  const rows: Row[] = [];
  let size = 0;
  let last: Row | undefined;
  const take = (row: Row) => {
    size++;
    last = row;
    if (onRow) onRow(row);
    else rows.push(row);
  };
  let more = false;
  const byTimestamp = mode === 'sync' && syncOrder === 'timestamp';
  if (byTimestamp) {
    for (const row of table.byTimestamp(syncStart(q))) {
      if (!matches(q.filter, row)) continue;
      if (size === limit) {
        more = true;
        break;
      }
      take(row);
    }
  } else {
    const { start, after } = keyStart(table, q.skiptoken);
    for (let i = start; i < table.end; i++) {
      const row = table.get(i);
      if (!row) continue;
      if (after !== undefined && compareSqlGuid(String(row[table.def.key]), after) <= 0) continue;
      if (!matches(q.filter, row)) continue;
      if (size === limit) {
        more = true;
        break;
      }
      take(row);
    }
  }
  const page: Page = { rows, size, ...(count !== undefined ? { count } : {}) };
  const remaining = q.top === undefined ? undefined : q.top - size;
  if (more && last && (remaining === undefined || remaining > 0)) {
    page.next = {
      $skiptoken: byTimestamp
        ? `${String(last.Timestamp)}L`
        : table.def.keyType === 'Guid'
          ? `guid'${String(last[table.def.key])}'`
          : `${String(last[table.def.key])}L`,
      $top: remaining === undefined ? undefined : String(remaining),
      $skip: undefined,
    };
  }
  return page;
}

/** Where a sync page starts: after the Timestamp of `$skiptoken`, and not before the filter's lower bound. */
function syncStart(q: QueryOptions): number {
  const from = timestampLowerBound(q.filter);
  if (q.skiptoken === undefined) return from;
  const m = /^(\d+)L?$/i.exec(q.skiptoken);
  if (!m) throw new ODataError(400, `Invalid $skiptoken '${q.skiptoken}'.`);
  return Math.max(from, Number(m[1]) + 1);
}

/**
 * Where a page in key order starts: the index after `$skiptoken`'s key, or — for a GUID no longer in the
 * table — the first key after it in SQL Server's GUID order (`after`).
 */
function keyStart(table: Readable, skiptoken: string | undefined): { start: number; after?: string } {
  if (skiptoken === undefined) return { start: 0 };
  if (table.def.keyType !== 'Guid') {
    // Numeric keys (HID) page on the number itself.
    const m = /^(\d+)L?$/i.exec(skiptoken);
    const index = m ? table.indexOf(m[1]!) : undefined;
    if (index === undefined) throw new ODataError(400, `Invalid $skiptoken '${skiptoken}'.`);
    return { start: index + 1 };
  }
  const m = /^guid'(.+)'$/i.exec(skiptoken);
  if (!m || !GUID_RE.test(m[1]!)) throw new ODataError(400, `Invalid $skiptoken '${skiptoken}'.`);
  const index = table.indexOf(m[1]!);
  return index !== undefined ? { start: index + 1 } : { start: 0, after: m[1]! };
}

function countMatching(table: Readable, q: QueryOptions): number {
  let n = 0;
  for (let i = 0; i < table.end; i++) {
    const row = table.get(i);
    if (row && matches(q.filter, row)) n++;
  }
  return n;
}

function orderedPage(table: Readable, q: QueryOptions, limit: number, count: number | undefined): Page {
  const all: Row[] = [];
  for (let i = 0; i < table.end; i++) {
    const row = table.get(i);
    if (!row || !matches(q.filter, row)) continue;
    all.push(row);
    if (all.length > ORDERBY_LIMIT)
      throw new ODataError(400, `This sandbox sorts at most ${ORDERBY_LIMIT} rows for $orderby; add a $filter.`);
  }
  all.sort((a, b) => {
    for (const { field, desc } of q.orderby) {
      const x = a[field.name];
      const y = b[field.name];
      if (x === y) continue;
      if (x === null || x === undefined) return desc ? 1 : -1;
      if (y === null || y === undefined) return desc ? -1 : 1;
      const c = field.type === 'Guid' ? compareSqlGuid(String(x), String(y)) : x < y ? -1 : 1;
      return desc ? -c : c;
    }
    return compareSqlGuid(String(a[table.def.key]), String(b[table.def.key]));
  });
  const offset = q.skip ?? 0;
  const rows = all.slice(offset, offset + limit);
  const page: Page = { rows, size: rows.length, ...(count !== undefined ? { count } : {}) };
  const consumed = offset + rows.length;
  const remaining = q.top === undefined ? undefined : q.top - rows.length;
  if (consumed < all.length && rows.length === limit && (remaining === undefined || remaining > 0)) {
    page.next = {
      $skip: String(consumed),
      $top: remaining === undefined ? undefined : String(remaining),
      $skiptoken: undefined,
    };
  }
  return page;
}
