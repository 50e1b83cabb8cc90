import type pg from 'pg';
import { lastSyncedByTable } from './cursors.ts';
import { qualified, quoteLiteral } from '../db/sql.ts';
import { inTransaction } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';
import { TABLE_BY_NAME, titleOf, TABLES, type CatalogTable } from '../catalog/tables.ts';
import type { TableInfo } from './types.ts';
export type { TableInfo };

/**
 * SQL over exact_sync.connection_tables: which catalog tables a connection syncs and how often. A table
 * without a row is enabled on the default schedule. `deleted` cannot be turned off: it is how deletes
 * reach every other table.
 */

export const DEFAULT_FREQUENCY_MINUTES = 360;
export const MIN_FREQUENCY_MINUTES = 5;
export const MAX_FREQUENCY_MINUTES = 7 * 24 * 60;
export const REQUIRED_TABLES: ReadonlySet<string> = new Set(['deleted']);

/** Row counts of a schema's tables: exact below a million rows, the planner's estimate above. */
/** Tables with fewer rows than this (by PostgreSQL's statistics) are counted exactly; the rest estimated. */
export const EXACT_COUNT_BELOW = 50_000;

/**
 * Row counts of a schema's tables for the console and GET /api/v1/tables: exact where the statistics say
 * a table is small, PostgreSQL's estimate otherwise (`reltuples` after ANALYZE, the live-row count of
 * the statistics collector before), and the exact counts together bounded to 2 s (past it, every count
 * is the estimate). Counting every table exactly made each request take 5 s on a large warehouse.
 */
export async function rowCounts(
  db: pg.Pool,
  schema: string,
): Promise<Map<string, { rows: number; estimated: boolean }>> {
  const { rows } = await db.query<{ relname: string; reltuples: number; live: string | null }>(
    `SELECT c.relname, c.reltuples, s.n_live_tup AS live
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [schema],
  );
  const counts = new Map<string, { rows: number; estimated: boolean }>();
  const small: string[] = [];
  for (const r of rows) {
    const estimate = Math.max(0, Math.round(r.reltuples), Number(r.live ?? 0));
    counts.set(r.relname, { rows: estimate, estimated: true });
    if (estimate < EXACT_COUNT_BELOW) small.push(r.relname);
  }
  if (small.length === 0) return counts;
  try {
    await inTransaction(db, async (tx) => {
      await tx.query("SET LOCAL statement_timeout = '2s'");
      const { rows: exact } = await tx.query<{ t: string; n: string }>(
        small
          .map((t) => `SELECT ${quoteLiteral(t)} AS t, count(*) AS n FROM ${qualified(schema, t)}`)
          .join(' UNION ALL '),
      );
      for (const e of exact) counts.set(e.t, { rows: Number(e.n), estimated: false });
    });
  } catch (err) {
    if ((err as { code?: string }).code !== '57014') throw err;
  }
  return counts;
}

/** Whether a table syncs: always when required, else as the connection set it, else by the catalog's default. */
function isEnabled(t: CatalogTable, setting: { enabled: boolean } | undefined): boolean {
  return REQUIRED_TABLES.has(t.name) || (setting?.enabled ?? t.byDefault);
}

export async function listTables(db: pg.Pool, connectionId: number, schema: string): Promise<TableInfo[]> {
  const [settings, counts, synced, runs] = await Promise.all([
    db.query<{ table_name: string; enabled: boolean; frequency_minutes: number | null }>(
      'SELECT table_name, enabled, frequency_minutes FROM exact_sync.connection_tables WHERE connection_id = $1',
      [connectionId],
    ),
    rowCounts(db, schema),
    lastSyncedByTable(db, connectionId),
    db.query<{
      table_name: string;
      run_id: string;
      status: string;
      finished_at: Date | null;
      error_message: string | null;
    }>(
      `SELECT DISTINCT ON (t.table_name) t.table_name, t.run_id, t.status, r.finished_at, t.error_message
       FROM exact_sync.run_tables t JOIN exact_sync.runs r ON r.id = t.run_id WHERE r.connection_id = $1 ORDER BY t.table_name, t.run_id DESC`,
      [connectionId],
    ),
  ]);
  const setting = new Map(settings.rows.map((r) => [r.table_name, r]));
  const lastRun = new Map(runs.rows.map((r) => [r.table_name, r]));
  return TABLES.map((t) => {
    const s = setting.get(t.name);
    const count = counts.get(t.name);
    const run = lastRun.get(t.name);
    return {
      name: t.name,
      title: titleOf(t.name) ?? t.entity.name,
      area: t.area,
      entity: t.entity.name,
      strategy: t.strategy,
      lines: t.children?.table.name ?? null,
      enabled: isEnabled(t, s),
      required: REQUIRED_TABLES.has(t.name),
      frequencyMinutes: s?.frequency_minutes ?? null,
      rows: count?.rows ?? 0,
      rowsEstimated: count?.estimated ?? false,
      lastSyncAt: synced.get(t.name) ?? null,
      lastRun: run
        ? { runId: Number(run.run_id), status: run.status, finishedAt: run.finished_at, error: run.error_message }
        : null,
    };
  });
}

export function checkTableName(name: string): void {
  if (!TABLE_BY_NAME.has(name))
    throw new AppError(
      'unknown_table',
      `exact-sync has no table ${JSON.stringify(name)}. Known: ${[...TABLE_BY_NAME.keys()].join(', ')}.`,
      { status: 400 },
    );
}

export interface TableChanges {
  enabled?: boolean;
  /** null: back to the default (every 6 hours). */
  frequencyMinutes?: number | null;
}

export async function updateTable(
  db: pg.Pool | pg.PoolClient,
  connectionId: number,
  name: string,
  changes: TableChanges,
): Promise<void> {
  checkTableName(name);
  if (changes.enabled === false && REQUIRED_TABLES.has(name)) {
    throw new AppError(
      'table_required',
      `Table ${name} cannot be turned off: it carries the deletes of every other table.`,
      { status: 400 },
    );
  }
  const f = changes.frequencyMinutes;
  if (
    f !== undefined &&
    f !== null &&
    (!Number.isInteger(f) || f < MIN_FREQUENCY_MINUTES || f > MAX_FREQUENCY_MINUTES)
  ) {
    throw new AppError(
      'invalid_frequency',
      `A sync frequency is a whole number of minutes from ${MIN_FREQUENCY_MINUTES} to ${MAX_FREQUENCY_MINUTES} (a week); got ${f}.`,
      { status: 400 },
    );
  }
  await db.query(
    `INSERT INTO exact_sync.connection_tables (connection_id, table_name, enabled, frequency_minutes) VALUES ($1, $2, coalesce($3, true), $4)
     ON CONFLICT (connection_id, table_name) DO UPDATE SET
       enabled = coalesce($3, exact_sync.connection_tables.enabled),
       frequency_minutes = CASE WHEN $5 THEN $4 ELSE exact_sync.connection_tables.frequency_minutes END,
       updated_at = now()`,
    [connectionId, name, changes.enabled ?? null, f ?? null, f !== undefined],
  );
}

/** Enables exactly `names` (plus the required tables) and disables the rest. */
export async function chooseTables(
  db: pg.Pool | pg.PoolClient,
  connectionId: number,
  names: readonly string[],
): Promise<void> {
  for (const n of names) checkTableName(n);
  for (const t of TABLES)
    await updateTable(db, connectionId, t.name, { enabled: REQUIRED_TABLES.has(t.name) || names.includes(t.name) });
}

export async function enabledTables(db: pg.Pool, connectionId: number): Promise<string[]> {
  return (await tableFrequencies(db, connectionId)).map((t) => t.name);
}

/** The connection's enabled tables with how often each syncs (the default when none was set). */
export async function tableFrequencies(
  db: pg.Pool,
  connectionId: number,
): Promise<{ name: string; frequencyMinutes: number }[]> {
  const { rows } = await db.query<{ table_name: string; enabled: boolean; frequency_minutes: number | null }>(
    'SELECT table_name, enabled, frequency_minutes FROM exact_sync.connection_tables WHERE connection_id = $1',
    [connectionId],
  );
  const setting = new Map(rows.map((r) => [r.table_name, r]));
  return TABLES.filter((t) => isEnabled(t, setting.get(t.name))).map((t) => ({
    name: t.name,
    frequencyMinutes: setting.get(t.name)?.frequency_minutes ?? DEFAULT_FREQUENCY_MINUTES,
  }));
}
