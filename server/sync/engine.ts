import type pg from 'pg';
import type { ExactClient } from '../exact/client.ts';
import { exactDateMs, int64, localToUtc, type ExactRow } from '../exact/values.ts';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { applyDeletes, deleteMissing, mergeRows, type Value } from '../warehouse/load.ts';
import { ensureTable } from '../warehouse/tables.ts';
import { TABLE_BY_NAME, tableForDeletedType, type CatalogTable, type Column } from './catalog.ts';

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
  /** Called after every committed page, for progress bars. */
  onProgress?: (table: string, division: number, rows: number) => void;
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

/** One Exact value as the warehouse stores it. */
export function toWarehouse(c: Column, value: unknown, timeZone: string): Value {
  if (value === null || value === undefined) return null;
  switch (c.type) {
    case 'timestamptz': {
      const ms = exactDateMs(value);
      if (ms === undefined) throw new AppError('exact_unexpected_value', `${c.field}: expected /Date(ms)/, got ${JSON.stringify(value)}`);
      return new Date(localToUtc(ms, timeZone)).toISOString();
    }
    case 'bigint':
      return int64(value);
    case 'text':
      return c.trim ? String(value).trim() : String(value);
    case 'boolean':
      return Boolean(value);
    default:
      return value as Value;
  }
}

function rowValues(table: CatalogTable, division: number, row: ExactRow, timeZone: string, extractedAt: string): Value[] {
  const out: Value[] = [division];
  for (const c of table.columns) if (c.name !== 'division') out.push(toWarehouse(c, row[c.field], timeZone));
  out.push(extractedAt);
  return out;
}

async function readCursor(pool: pg.Pool, ctx: SyncContext, division: number, table: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ cursor: string | null }>(
    'SELECT cursor FROM exact_sync.sync_state WHERE connection_id = $1 AND division = $2 AND table_name = $3',
    [ctx.connectionId, division, table],
  );
  return rows[0]?.cursor ?? undefined;
}

async function writeCursor(client: pg.PoolClient, ctx: SyncContext, division: number, table: string, cursor: string | null, rows: number): Promise<void> {
  await client.query(
    `INSERT INTO exact_sync.sync_state (connection_id, division, table_name, cursor, rows_total, last_synced_at)
     VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (connection_id, division, table_name) DO UPDATE SET cursor = EXCLUDED.cursor,
       rows_total = exact_sync.sync_state.rows_total + EXCLUDED.rows_total, last_synced_at = now()`,
    [ctx.connectionId, division, table, cursor, rows],
  );
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const selectOf = (table: CatalogTable) => table.columns.map((c) => c.field).join(',');

/** The Sync API: rows with a Timestamp above the cursor, page by page, each page committed with its cursor. */
async function syncByTimestamp(ctx: SyncContext, table: CatalogTable, division: number): Promise<TableResult> {
  const result: TableResult = { table: table.name, division, rows: 0, inserted: 0, updated: 0, deleted: 0, pages: 0 };
  let cursor = BigInt((await readCursor(ctx.pool, ctx, division, table.name)) ?? '0');
  for await (const page of ctx.client.pages(division, table.path, { $select: selectOf(table), $filter: `Timestamp gt ${cursor}L` })) {
    const extractedAt = new Date().toISOString();
    const values = page.rows.map((r) => rowValues(table, division, r, ctx.timeZone, extractedAt));
    for (const r of page.rows) {
      const ts = BigInt(int64(r.Timestamp) ?? '0');
      if (ts > cursor) cursor = ts;
    }
    const deletes = table.name === 'deleted' ? page.rows : [];
    const merged = await inTransaction(ctx.pool, async (client) => {
      const m = await mergeRows(client, ctx.schema, table, values, new Date());
      let deleted = 0;
      // sync/Deleted: remove what it names from the tables it maps to, in the same transaction.
      const byTable = new Map<CatalogTable, { key: string; timestamp: string }[]>();
      for (const d of deletes) {
        const target = tableForDeletedType(Number(d.EntityType));
        if (!target) continue;
        const list = byTable.get(target) ?? [];
        list.push({ key: String(d.EntityKey), timestamp: int64(d.Timestamp) ?? '0' });
        byTable.set(target, list);
      }
      for (const [target, list] of byTable) {
        await ensureTable(client, ctx.schema, target);
        deleted += await applyDeletes(client, ctx.schema, target, division, list);
      }
      await writeCursor(client, ctx, division, table.name, cursor.toString(), page.rows.length);
      return { ...m, deleted };
    });
    result.rows += page.rows.length;
    result.inserted += merged.inserted;
    result.updated += merged.updated;
    result.deleted += merged.deleted;
    result.pages++;
    ctx.onProgress?.(table.name, division, result.rows);
  }
  return result;
}

/** Small tables: read whole, then merged and pruned in one transaction. */
async function syncFull(ctx: SyncContext, table: CatalogTable, division: number): Promise<TableResult> {
  const result: TableResult = { table: table.name, division, rows: 0, inserted: 0, updated: 0, deleted: 0, pages: 0 };
  const extractedAt = new Date().toISOString();
  const values: Value[][] = [];
  const keys: string[] = [];
  for await (const page of ctx.client.pages(division, table.path, { $select: selectOf(table) })) {
    for (const r of page.rows) {
      values.push(rowValues(table, division, r, ctx.timeZone, extractedAt));
      keys.push(String(r[table.key.field]).toLowerCase());
    }
    result.pages++;
  }
  await inTransaction(ctx.pool, async (client) => {
    const m = await mergeRows(client, ctx.schema, table, values, new Date());
    result.inserted = m.inserted;
    result.updated = m.updated;
    result.deleted = await deleteMissing(client, ctx.schema, table, division, keys);
    await writeCursor(client, ctx, division, table.name, null, values.length);
  });
  result.rows = values.length;
  ctx.onProgress?.(table.name, division, result.rows);
  return result;
}

export async function syncTable(ctx: SyncContext, tableName: string, division: number): Promise<TableResult> {
  const table = TABLE_BY_NAME.get(tableName);
  if (!table) throw new AppError('unknown_table', `exact-sync has no table ${JSON.stringify(tableName)}. Known: ${[...TABLE_BY_NAME.keys()].join(', ')}.`, { status: 400 });
  await ensureTable(ctx.pool, ctx.schema, table);
  const result = table.strategy === 'sync' ? await syncByTimestamp(ctx, table, division) : await syncFull(ctx, table, division);
  ctx.log?.info({ ...result }, `synced ${table.name} of division ${division}`);
  return result;
}

/** Every catalog table of a division; sync/Deleted last, so deletes apply to rows already there. */
export async function syncDivision(ctx: SyncContext, division: number, tables: readonly string[] = [...TABLE_BY_NAME.keys()]): Promise<TableResult[]> {
  const ordered = [...tables.filter((t) => t !== 'deleted'), ...tables.filter((t) => t === 'deleted')];
  const results: TableResult[] = [];
  for (const t of ordered) results.push(await syncTable(ctx, t, division));
  return results;
}
