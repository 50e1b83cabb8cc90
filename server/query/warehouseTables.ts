import type pg from 'pg';
import { lastSyncedByTable } from '../state/cursors.ts';
import { AppError } from '../lib/errors.ts';
import { rowCounts } from '../state/tableSettings.ts';
import { titleOf } from '../catalog/tables.ts';
import { columnOf } from './runner.ts';
import type { ResultColumn, WarehouseTable } from './types.ts';
import type { TableShape } from './rowsQuery.ts';

/** The tables of a warehouse schema as clients browse them: columns and types, rows, last sync. */

export type { WarehouseTable };

async function describe(
  db: pg.Pool,
  schema: string,
  table?: string,
): Promise<Map<string, { columns: ResultColumn[]; primaryKey: string[] }>> {
  const { rows } = await db.query<{ table_name: string; column_name: string; type_oid: number; pk: boolean }>(
    `SELECT c.relname AS table_name, a.attname AS column_name, a.atttypid::int AS type_oid,
       coalesce(a.attnum = ANY (i.indkey), false) AS pk
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'v', 'm', 'p') AND ($2::text IS NULL OR c.relname = $2)
     ORDER BY c.relname, a.attnum`,
    [schema, table ?? null],
  );
  const out = new Map<string, { columns: ResultColumn[]; primaryKey: string[] }>();
  for (const r of rows) {
    let t = out.get(r.table_name);
    if (!t) out.set(r.table_name, (t = { columns: [], primaryKey: [] }));
    t.columns.push(columnOf({ name: r.column_name, dataTypeID: r.type_oid }));
    if (r.pk) t.primaryKey.push(r.column_name);
  }
  return out;
}

export async function listWarehouseTables(
  db: pg.Pool,
  schema: string,
  connectionId: number | null,
): Promise<WarehouseTable[]> {
  const [shapes, counts, synced] = await Promise.all([
    describe(db, schema),
    rowCounts(db, schema),
    lastSyncedByTable(db, connectionId),
  ]);
  return [...shapes].map(([name, s]) => ({
    name,
    title: titleOf(name) ?? null,
    columns: s.columns,
    primaryKey: s.primaryKey,
    rows: counts.get(name)?.rows ?? 0,
    rowsEstimated: counts.get(name)?.estimated ?? false,
    lastSyncAt: synced.get(name) ?? null,
  }));
}

export async function tableShape(db: pg.Pool, schema: string, name: string): Promise<TableShape> {
  const s = (await describe(db, schema, name)).get(name);
  if (!s)
    throw new AppError(
      'table_not_found',
      `The warehouse (${schema}) has no table ${JSON.stringify(name)}. The tables are listed at GET /api/v1/tables.`,
      { status: 404 },
    );
  return { schema, name, columns: s.columns.map((c) => c.name), primaryKey: s.primaryKey };
}
