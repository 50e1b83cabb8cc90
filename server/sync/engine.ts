import type pg from 'pg';
import type { ExactClient } from '../exact/client.ts';
import { ENTITY_TYPES } from '../catalog/entityTypes.ts';
import {
  int64,
  localToUtc,
  unwrapEntity,
  utcToLocalLiteral,
  type CollectionPage,
  type ExactRow,
} from '../exact/values.ts';
import { fieldsLeftOut } from '../state/droppedFields.ts';
import { healingPages } from './fieldDrift.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import { ExactApiError } from '../exact/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { qualified } from '../db/sql.ts';
import { inTransaction } from '../db/tx.ts';
import { concatCsv, CsvBuffers } from '../warehouse/csv.ts';
import {
  applyDeletes,
  deleteMissing,
  deleteOrphans,
  deleteWhere,
  insertOrMerge,
  mergeRows,
} from '../warehouse/load.ts';
import { ensureEntityTypes, ensureTable } from '../warehouse/tables.ts';
import {
  ALL_TABLES,
  TABLE_BY_NAME,
  tableForDeletedType,
  tablesForDeletedType,
  type CatalogTable,
} from '../catalog/tables.ts';
import { rowEncoder, toWarehouse, valuesCsv, type OffMidnight } from './encode.ts';
import { readCursor, readSweptAt, writeCursor, writeSweptAt } from '../state/cursors.ts';

/**
 * Syncing one table of one division into the warehouse. Each page is merged in its own transaction
 * together with the cursor that covers it, so a crash at any point loses nothing and repeats nothing
 * that was committed; the next run starts after the last committed page.
 */

export interface SyncContext {
  pool: pg.Pool;
  client: ExactClient;
  connectionId: number;
  schema: string;
  /** Time zone of the administration: Exact's dates are its wall-clock time. */
  timeZone: string;
  log?: Logger;
  /** The connection's starting year: the first sync of date-bearing tables reads from January 1 of it. */
  startYear?: number | undefined;
  /** Called after every committed page, for progress bars. */
  onProgress?: (table: string, division: number, rows: number) => void;
  /** Stops the sync after the page being written (shutdown): the cursor of every committed page is saved. */
  signal?: AbortSignal | undefined;
  /** The run's clock (dropped fields are stamped with it). */
  now?: (() => Date) | undefined;
}

export interface TableResult {
  table: string;
  division: number;
  rows: number;
  inserted: number;
  updated: number;
  deleted: number;
  pages: number;
}

/**
 * A page's transaction. Its commit does not wait for the WAL flush: a power cut can lose the last few
 * commits, but never half of one, and since every page commits its rows with its cursor, a lost commit
 * only means that page is fetched again.
 */
const pageTransaction = <T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>) =>
  inTransaction(pool, fn, { synchronousCommit: false });

/**
 * Pages of `source` fetched ahead (up to `depth` in flight or waiting) while the caller writes to the
 * warehouse, handed over in batches: every page that has already arrived, up to `maxRows` rows. Network
 * and database then work side by side, and a slow database gets bigger, cheaper batches.
 */
export async function* readAheadBatches<T extends { count: number }>(
  source: AsyncGenerator<T>,
  depth: number,
  maxRows: number,
): AsyncGenerator<T[]> {
  type Slot = { promise: Promise<IteratorResult<T>>; settled: boolean };
  const queue: Slot[] = [];
  let ended = false;
  const fill = () => {
    while (!ended && queue.length < depth) {
      const slot: Slot = { promise: source.next(), settled: false };
      slot.promise.then(
        (r) => {
          slot.settled = true;
          if (r.done) ended = true;
        },
        () => {
          slot.settled = true;
        },
      );
      queue.push(slot);
    }
  };
  try {
    fill();
    for (;;) {
      // Once the source has ended and every page is handed over, there is nothing left to wait for.
      const slot = queue.shift();
      if (!slot) return;
      const first = await slot.promise;
      if (first.done) return;
      const batch = [first.value];
      let rows = first.value.count;
      while (queue.length > 0 && queue[0]!.settled && rows < maxRows) {
        const next = await queue.shift()!.promise;
        if (next.done) {
          ended = true;
          break;
        }
        batch.push(next.value);
        rows += next.value.count;
      }
      fill();
      yield batch;
    }
  } finally {
    ended = true;
    for (const slot of queue) slot.promise.catch(() => undefined);
    await source.return(undefined).catch(() => undefined);
  }
}

/**
 * `convert` applied to each page of `source` as it arrives. A page of parsed rows lives only inside
 * `convertNext`: no generator frame holds it while its result waits in the read-ahead queue.
 */
async function* convertPages<P, T>(source: AsyncGenerator<P>, convert: (page: P) => T): AsyncGenerator<T> {
  try {
    for (;;) {
      const next = await convertNext(source, convert);
      if (!next) return;
      yield next.value;
    }
  } finally {
    await source.return(undefined);
  }
}

async function convertNext<P, T>(
  source: AsyncGenerator<P>,
  convert: (page: P) => T,
): Promise<{ value: T } | undefined> {
  const r = await source.next();
  return r.done ? undefined : { value: convert(r.value) };
}

/** Failed direct COPYs after which a first sync merges its remaining batches (each failure costs a COPY). */
const DIRECT_FALLBACKS = 3;

async function divisionIsEmpty(ctx: SyncContext, table: CatalogTable, division: number): Promise<boolean> {
  const { rows } = await ctx.pool.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM ${qualified(ctx.schema, table.name)} WHERE division = $1) AS empty`,
    [division],
  );
  return rows[0]!.empty;
}

/**
 * How a table's endpoint is read in this run: its `$select` (the fields the endpoint serves, less those
 * Exact said it dropped, fieldDrift.ts) and its pages, healing drift as they come.
 */
interface TableReads {
  select: string;
  pages(division: number, start: { params: Record<string, string> } | { next: string }): AsyncGenerator<CollectionPage>;
}

/** The run's clock: the scheduler's when it has one. */
const nowOf = (ctx: SyncContext): Date => (ctx.now ? ctx.now() : new Date());

async function tableReads(ctx: SyncContext, table: CatalogTable): Promise<TableReads> {
  const leftOut = (await fieldsLeftOut(ctx.pool, ctx.connectionId, nowOf(ctx))).get(table.path.toLowerCase());
  const scope = {
    pool: ctx.pool,
    client: ctx.client,
    connectionId: ctx.connectionId,
    log: ctx.log,
    now: () => nowOf(ctx),
  };
  return {
    select: table.select
      .filter((c) => !leftOut?.has(c.field))
      .map((c) => c.field)
      .join(','),
    pages: (division, start) => healingPages(scope, division, table.path, start),
  };
}

/**
 * Where the first sync of a table starts when the connection has a starting year: the Timestamp that
 * read/sync/Sync/SyncTimestamp gives for January 1 of it (rows modified since then; docs/exact-online.md 5.1).
 */
async function startingTimestamp(ctx: SyncContext, table: CatalogTable, division: number): Promise<string | undefined> {
  if (ctx.startYear === undefined || table.since?.kind !== 'sync_timestamp') return undefined;
  const body = await ctx.client.get(division, 'read/sync/Sync/SyncTimestamp', {
    modified: `datetime'${ctx.startYear}-01-01'`,
    endPoint: `'${table.entity.name}'`,
  });
  return int64(unwrapEntity(body, 'SyncTimestamp').TimeStampAsBigInt) ?? undefined;
}

/**
 * sync/Deleted: removes what its rows name from the tables their entity types map to, inside the
 * caller's transaction; how many rows went.
 */
async function applyDeletedRows(
  client: pg.PoolClient,
  schema: string,
  division: number,
  deletes: readonly { type: number; key: string; timestamp: string }[],
): Promise<number> {
  let deleted = 0;
  const byTable = new Map<CatalogTable, { key: string; timestamp: string }[]>();
  for (const d of deletes) {
    for (const target of tablesForDeletedType(d.type)) {
      const list = byTable.get(target) ?? [];
      list.push({ key: d.key, timestamp: d.timestamp });
      byTable.set(target, list);
    }
  }
  for (const [target, list] of byTable) {
    deleted += await applyDeletes(client, schema, target, division, list);
    if (target.children) {
      // A deleted invoice or order takes its lines with it …
      await deleteWhere(
        client,
        schema,
        target.children.table,
        division,
        target.children.foreignKey.name,
        list.map((d) => d.key),
      );
      // … and since Exact's sync rows of these are lines, its key may name a line itself (docs/exact-online.md 5.3).
      deleted += await applyDeletes(client, schema, target.children.table, division, list);
    }
  }
  return deleted;
}

/**
 * Where a Sync API read stands (sync_state.cursor): a read that reached its end is the highest Timestamp
 * it saw, as text; a read under way is JSON of where it started, the highest Timestamp so far and Exact's
 * `__next`. The cursor moves to the maximum only at the end, so a read stopped midway goes on from
 * `__next` (or again from where it started), never skipping rows whatever order Exact's pages are in
 * (docs/exact-online.md 5.2).
 */
export interface TimestampCursor {
  from: bigint;
  max: bigint;
  next?: string | undefined;
}

export function parseTimestampCursor(text: string | undefined | null): TimestampCursor | undefined {
  if (text === undefined || text === null || text === '') return undefined;
  if (/^\d+$/.test(text)) return { from: BigInt(text), max: BigInt(text) };
  const c = JSON.parse(text) as { from?: unknown; max?: unknown; next?: unknown };
  if (typeof c.from !== 'string' || typeof c.max !== 'string' || !/^\d+$/.test(c.from) || !/^\d+$/.test(c.max))
    throw new AppError('cursor_invalid', `A stored sync cursor cannot be read: ${text.slice(0, 200)}`);
  return { from: BigInt(c.from), max: BigInt(c.max), ...(typeof c.next === 'string' ? { next: c.next } : {}) };
}

export function formatTimestampCursor(c: TimestampCursor): string {
  if (!c.next) return c.max.toString();
  return JSON.stringify({ from: c.from.toString(), max: c.max.toString(), next: c.next });
}

/**
 * The pages of a Sync API read from `from`, or — resuming a read that stopped — from Exact's `__next`. A
 * `__next` Exact no longer accepts (a 4xx on its first page) starts the read again from `from`: rows
 * already written are merged again, none is skipped.
 */
async function* timestampPages(
  ctx: SyncContext,
  table: CatalogTable,
  reads: TableReads,
  division: number,
  from: bigint,
  next: string | undefined,
) {
  const fresh = () => reads.pages(division, { params: { $select: reads.select, $filter: `Timestamp gt ${from}L` } });
  if (!next) return yield* fresh();
  let started = false;
  try {
    for await (const page of reads.pages(division, { next })) {
      started = true;
      yield page;
    }
  } catch (err) {
    const refused =
      err instanceof ExactApiError && err.httpStatus >= 400 && err.httpStatus < 500 && err.httpStatus !== 429;
    if (started || !refused) throw err;
    ctx.log?.warn(
      { table: table.name, division, err: messageOf(err) },
      'Exact refused the stored next page: reading again from the start of that read',
    );
    yield* fresh();
  }
}

/** The Sync API: rows with a Timestamp above the cursor, page by page, each page committed with its cursor. */
async function syncByTimestamp(
  ctx: SyncContext,
  table: CatalogTable,
  reads: TableReads,
  division: number,
): Promise<TableResult> {
  const result: TableResult = { table: table.name, division, rows: 0, inserted: 0, updated: 0, deleted: 0, pages: 0 };
  const stored = parseTimestampCursor(await readCursor(ctx.pool, ctx.connectionId, division, table.name));
  const from = stored?.from ?? BigInt((await startingTimestamp(ctx, table, division)) ?? '0');
  let max = stored?.max ?? from;
  const pages = timestampPages(ctx, table, reads, division, from, stored?.next);
  // Each page is turned into CSV as soon as it arrives: the parsed JSON (wide objects) is dropped at once,
  // and only one compact string a page waits in the read-ahead queue.
  const encoder = rowEncoder(table, ctx.timeZone, offMidnightWarning(ctx, table));
  const buffers = new CsvBuffers();
  const converted = () =>
    convertPages(pages, (page) => {
      const extractedAt = new Date().toISOString();
      let maxTimestamp = 0n;
      for (const r of page.rows) {
        const ts = BigInt(int64(r.Timestamp) ?? '0');
        if (ts > maxTimestamp) maxTimestamp = ts;
      }
      const deletes =
        table.name === 'deleted'
          ? page.rows.map((d) => ({
              type: Number(d.EntityType),
              key: String(d.EntityKey),
              timestamp: int64(d.Timestamp) ?? '0',
            }))
          : [];
      return {
        csv: encoder.page(page.rows, division, extractedAt, buffers),
        count: page.rows.length,
        maxTimestamp,
        deletes,
        next: page.next,
      };
    });
  // A division's first sync of a table COPYs its rows straight in (load.ts insertOrMerge) until keys
  // start to repeat: then they are merged, as on every later run.
  let direct = await divisionIsEmpty(ctx, table, division);
  let fallbacks = 0;
  for await (const batch of readAheadBatches(converted(), 3, 3_000)) {
    const values = concatCsv(batch.map((p) => p.csv));
    for (const p of batch) if (p.maxTimestamp > max) max = p.maxTimestamp;
    // Until the read reaches its end, where Exact's next page is; only then the highest Timestamp seen.
    const cursor = formatTimestampCursor({ from, max, next: batch[batch.length - 1]!.next });
    const deletes = batch.flatMap((p) => p.deletes);
    const merged = await pageTransaction(ctx.pool, async (client) => {
      let m: { inserted: number; updated: number };
      if (direct) {
        const r = await insertOrMerge(client, ctx.schema, table, values, new Date());
        if (r.merged && ++fallbacks >= DIRECT_FALLBACKS) direct = false;
        m = r;
      } else {
        m = await mergeRows(client, ctx.schema, table, values, new Date());
      }
      const deleted = await applyDeletedRows(client, ctx.schema, division, deletes);
      await writeCursor(client, ctx.connectionId, division, table.name, cursor, values.count);
      return { ...m, deleted };
    });
    buffers.release(values);
    result.rows += values.count;
    result.inserted += merged.inserted;
    result.updated += merged.updated;
    result.deleted += merged.deleted;
    result.pages += batch.length;
    ctx.onProgress?.(table.name, division, result.rows);
    ctx.signal?.throwIfAborted();
  }
  return result;
}

/** Logs a date-only field that holds a time (catalog/tables.ts isCalendarDate would then be wrong for it). */
const offMidnightWarning =
  (ctx: SyncContext, table: CatalogTable): OffMidnight =>
  (c, value) =>
    ctx.log?.warn(
      { table: table.name, column: c.name, value },
      `${table.name}.${c.name} is stored as a date, but Exact sent a time of day: the calendar day is kept`,
    );

/** A `Modified` every Exact row is on or after (Exact Online started in 2005; SQL Server's datetime begins in 1753). */
export const EVERYTHING_SINCE = '1900-01-01';

/** How far back a `Modified` filter reaches before the last value seen: changes saved while the last run read. */
export const MODIFIED_OVERLAP_MS = 10 * 60_000;

/** The query of a Modified read: its fields and lines, from the cursor (less the overlap) or the starting year. */
function modifiedParams(
  ctx: SyncContext,
  table: CatalogTable,
  select: string,
  cursor: string | undefined,
): Record<string, string> {
  const children = table.children;
  const params: Record<string, string> = { $select: [select, ...(children ? [children.nav] : [])].join(',') };
  if (children) params.$expand = children.nav;
  params.$filter = cursor
    ? `Modified ge datetime'${utcToLocalLiteral(Date.parse(cursor) - MODIFIED_OVERLAP_MS, ctx.timeZone)}'`
    : fromTheBeginning(ctx, table);
  return params;
}

/**
 * The `$filter` of a read from the beginning (a first read, a key sweep): the starting year on the table's
 * date field, else a filter every row passes — Exact's mandatory filtering refuses a GET without $filter on
 * endpoints that have a sync counterpart (docs/exact-online.md 4.5).
 */
function fromTheBeginning(ctx: SyncContext, table: CatalogTable): string {
  return ctx.startYear !== undefined && table.since?.kind === 'date'
    ? `${table.since.field} ge datetime'${ctx.startYear}-01-01'`
    : `Modified ge datetime'${EVERYTHING_SINCE}'`;
}

/**
 * A table whose deletes Exact reports nowhere has its keys compared with Exact's every `sweepDays`: every
 * key is read (from the starting year on; `$select` of the key alone, so pages are small) and the keys
 * are handed to finishModifiedRead, which removes the rows Exact no longer has. Undefined when no sweep is due.
 */
async function keySweep(
  ctx: SyncContext,
  table: CatalogTable,
  reads: TableReads,
  division: number,
  result: TableResult,
): Promise<string[] | undefined> {
  if (table.sweepDays === undefined) return undefined;
  const sweptAt = await readSweptAt(ctx.pool, ctx.connectionId, division, table.name);
  if (sweptAt && nowOf(ctx).getTime() - sweptAt.getTime() < table.sweepDays * 86_400_000) return undefined;
  const keys: string[] = [];
  const params = { $select: table.key.field, $filter: fromTheBeginning(ctx, table) };
  for await (const page of reads.pages(division, { params })) {
    for (const r of page.rows) keys.push(String(r[table.key.field]).toLowerCase());
    result.pages++;
    ctx.signal?.throwIfAborted();
  }
  ctx.log?.info({ table: table.name, division, keys: keys.length }, `key sweep of ${table.name}`);
  return keys;
}

/**
 * The end of a Modified read: a read from the beginning removes what it did not see (from the starting
 * year on), and the cursor moves to the highest Modified seen. How many rows went.
 */
async function finishModifiedRead(
  ctx: SyncContext,
  table: CatalogTable,
  division: number,
  seen: string[] | undefined,
  maxModified: number | undefined,
  before: { cursor: string | undefined; rows: number },
): Promise<number> {
  return pageTransaction(ctx.pool, async (client) => {
    let deleted = 0;
    if (seen) {
      const range = table.since;
      const sinceColumn = range?.kind === 'date' ? table.columns.find((c) => c.field === range.field) : undefined;
      // January 1 of the starting year: a calendar day for a date column, its local midnight for an instant.
      const since =
        ctx.startYear !== undefined && sinceColumn
          ? {
              column: sinceColumn.name,
              from:
                sinceColumn.type === 'date'
                  ? `${ctx.startYear}-01-01`
                  : new Date(localToUtc(Date.UTC(ctx.startYear, 0, 1), ctx.timeZone)).toISOString(),
            }
          : undefined;
      deleted = await deleteMissing(client, ctx.schema, table, division, seen, since);
      const children = table.children;
      if (children) await deleteOrphans(client, ctx.schema, children.table, children.foreignKey.name, table, division);
    }
    const cursor = maxModified !== undefined ? new Date(maxModified).toISOString() : (before.cursor ?? null);
    await writeCursor(client, ctx.connectionId, division, table.name, cursor, before.rows);
    // A read from the beginning compared every key: it counts as the table's key sweep.
    if (seen && table.sweepDays !== undefined)
      await writeSweptAt(client, ctx.connectionId, division, table.name, nowOf(ctx));
    return deleted;
  });
}

/**
 * Entities without a Sync endpoint: rows modified since the last run (less the overlap), with their lines
 * through $expand; each parent's lines are replaced whole. Rows are committed batch by batch, the cursor
 * only at the end: these pages come in key order, not Modified order, so an earlier cursor could skip
 * rows. A crash then costs a second read of the same rows, never a lost one.
 */
async function syncModified(
  ctx: SyncContext,
  table: CatalogTable,
  reads: TableReads,
  division: number,
): Promise<TableResult> {
  const result: TableResult = { table: table.name, division, rows: 0, inserted: 0, updated: 0, deleted: 0, pages: 0 };
  const cursor = await readCursor(ctx.pool, ctx.connectionId, division, table.name);
  const children = table.children;
  const params = modifiedParams(ctx, table, reads.select, cursor);
  let maxModified = cursor ? Date.parse(cursor) : 0;
  // A read from the beginning sees every row Exact has (from the starting year on): the rows it does not
  // see were deleted in Exact. For entities sync/Deleted says nothing of (purchase entries) it is the only
  // way their deletes arrive; `exact-sync sync --full` reads from the beginning.
  const seen: string[] | undefined = cursor ? undefined : [];
  const modifiedColumn = table.columns.find((c) => c.field === 'Modified')!;
  if (children) await ensureTable(ctx.pool, ctx.schema, children.table, ctx.timeZone);

  const encoder = rowEncoder(table, ctx.timeZone, offMidnightWarning(ctx, table));
  const lineEncoder = children && rowEncoder(children.table, ctx.timeZone, offMidnightWarning(ctx, children.table));
  const converted = () =>
    convertPages(reads.pages(division, { params }), (page) => {
      const extractedAt = new Date().toISOString();
      let max = 0;
      const lines: ExactRow[] = [];
      for (const r of page.rows) {
        const modified = toWarehouse(modifiedColumn, r.Modified, ctx.timeZone);
        if (typeof modified === 'string') max = Math.max(max, Date.parse(modified));
        if (children) {
          const expanded = (r[children.nav] as { results?: ExactRow[] } | undefined)?.results;
          if (!Array.isArray(expanded))
            throw new AppError('exact_unexpected_response', `${table.entity.name}: ${children.nav} was not expanded`);
          lines.push(...expanded);
        }
      }
      return {
        rows: encoder.page(page.rows, division, extractedAt),
        count: page.rows.length,
        keys: page.rows.map((r) => String(r[table.key.field])),
        lines: lineEncoder ? lineEncoder.page(lines, division, extractedAt) : { chunks: [], count: 0 },
        maxModified: max,
      };
    });

  for await (const batch of readAheadBatches(converted(), 4, 5_000)) {
    const values = concatCsv(batch.map((p) => p.rows));
    const keys = batch.flatMap((p) => p.keys);
    const lines = concatCsv(batch.map((p) => p.lines));
    if (seen) for (const k of keys) seen.push(k.toLowerCase());
    for (const p of batch) maxModified = Math.max(maxModified, p.maxModified);
    const merged = await pageTransaction(ctx.pool, async (client) => {
      const m = await mergeRows(client, ctx.schema, table, values, new Date());
      if (children) {
        await deleteWhere(client, ctx.schema, children.table, division, children.foreignKey.name, keys);
        await mergeRows(client, ctx.schema, children.table, lines, new Date());
      }
      return m;
    });
    result.rows += values.count;
    result.inserted += merged.inserted;
    result.updated += merged.updated;
    result.pages += batch.length;
    ctx.onProgress?.(table.name, division, result.rows);
    ctx.signal?.throwIfAborted();
  }
  result.deleted = await finishModifiedRead(
    ctx,
    table,
    division,
    seen ?? (await keySweep(ctx, table, reads, division, result)),
    maxModified > 0 ? maxModified : undefined,
    {
      cursor,
      rows: result.rows,
    },
  );
  return result;
}

/** How many years back a table read a year at a time goes without a starting year. */
export const YEARS_BACK = 5;

/**
 * The `$filter` of each read of a table: one per reporting year (from the starting year, or YEARS_BACK
 * years back, to this year) for tables read a year at a time, else one read without a filter.
 */
function yearFilters(ctx: SyncContext, table: CatalogTable): (string | undefined)[] {
  if (table.since?.kind !== 'years') return [undefined];
  const now = nowOf(ctx).getUTCFullYear();
  const first = ctx.startYear ?? now - YEARS_BACK + 1;
  const field = table.since.field;
  return Array.from({ length: Math.max(1, now - first + 1) }, (_, k) => `${field} eq ${first + k}`);
}

/** Small tables: read whole, then merged and pruned in one transaction. */
async function syncFull(
  ctx: SyncContext,
  table: CatalogTable,
  reads: TableReads,
  division: number,
): Promise<TableResult> {
  const result: TableResult = { table: table.name, division, rows: 0, inserted: 0, updated: 0, deleted: 0, pages: 0 };
  const extractedAt = new Date().toISOString();
  const rows: ExactRow[] = [];
  for (const $filter of yearFilters(ctx, table))
    for await (const page of reads.pages(division, {
      params: { $select: reads.select, ...($filter ? { $filter } : {}) },
    })) {
      rows.push(...page.rows);
      result.pages++;
    }
  const values = valuesCsv(table, division, rows, ctx.timeZone, extractedAt);
  const keys = rows.map((r) => String(r[table.key.field]).toLowerCase());
  await pageTransaction(ctx.pool, async (client) => {
    const m = await mergeRows(client, ctx.schema, table, values, new Date());
    result.inserted = m.inserted;
    result.updated = m.updated;
    result.deleted = await deleteMissing(client, ctx.schema, table, division, keys);
    await writeCursor(client, ctx.connectionId, division, table.name, null, values.count);
  });
  result.rows = values.count;
  ctx.onProgress?.(table.name, division, result.rows);
  return result;
}

export async function syncTable(ctx: SyncContext, tableName: string, division: number): Promise<TableResult> {
  const table = TABLE_BY_NAME.get(tableName);
  if (!table)
    throw new AppError(
      'unknown_table',
      `exact-sync has no table ${JSON.stringify(tableName)}. Known: ${[...TABLE_BY_NAME.keys()].join(', ')}.`,
      { status: 400 },
    );
  await ensureTable(ctx.pool, ctx.schema, table, ctx.timeZone);
  // sync/Deleted deletes from the other tables: they must exist even when they were not synced yet.
  if (table.name === 'deleted') {
    for (const t of ALL_TABLES) await ensureTable(ctx.pool, ctx.schema, t, ctx.timeZone);
    await ensureEntityTypes(
      ctx.pool,
      ctx.schema,
      ENTITY_TYPES.flatMap(([n, name]) => {
        const target = tableForDeletedType(n);
        return target ? [[n, name, target.name] as const] : [];
      }),
      new Set(ALL_TABLES.map((t) => t.name)),
    );
  }
  const reads = await tableReads(ctx, table);
  const result =
    table.strategy === 'sync'
      ? await syncByTimestamp(ctx, table, reads, division)
      : table.strategy === 'modified'
        ? await syncModified(ctx, table, reads, division)
        : await syncFull(ctx, table, reads, division);
  ctx.log?.info({ ...result }, `synced ${table.name} of division ${division}`);
  return result;
}

/** The order tables are synced in: sync/Deleted last, so its deletes apply to rows that are already there. */
export function runOrder(tables: readonly string[]): string[] {
  return [...tables.filter((t) => t !== 'deleted'), ...tables.filter((t) => t === 'deleted')];
}

/** Every catalog table of a division, in run order. */
export async function syncDivision(
  ctx: SyncContext,
  division: number,
  tables: readonly string[] = [...TABLE_BY_NAME.keys()],
): Promise<TableResult[]> {
  const results: TableResult[] = [];
  for (const t of runOrder(tables)) results.push(await syncTable(ctx, t, division));
  return results;
}
