import type pg from 'pg';
import { lastSyncedByTable } from '../state/cursors.ts';
import { AppError } from '../lib/errors.ts';
import { rowCounts } from '../state/tableSettings.ts';
import { titleOf } from '../catalog/tables.ts';
import { columnOf } from './runner.ts';
import { REPORTS_SCHEMA, type ResultColumn, type WarehouseTable } from './types.ts';
import { listViews } from './views.ts';
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
  const [shapes, counts, synced, views] = await Promise.all([
    describe(db, schema),
    rowCounts(db, schema),
    lastSyncedByTable(db, connectionId),
    publishedViews(db, connectionId),
  ]);
  const tables: WarehouseTable[] = [...shapes].map(([name, s]) => ({
    name,
    title: titleOf(name) ?? null,
    columns: s.columns,
    primaryKey: s.primaryKey,
    rows: counts.get(name)?.rows ?? 0,
    rowsEstimated: counts.get(name)?.estimated ?? false,
    lastSyncAt: synced.get(name) ?? null,
  }));
  if (views.length === 0) return tables;
  // The connection's published views that work, after its tables, where a name of its own wins.
  const viewShapes = await describe(db, REPORTS_SCHEMA);
  for (const v of views) {
    const s = viewShapes.get(v.name);
    if (!s || shapes.has(v.name)) continue;
    tables.push({
      name: v.name,
      title: null,
      columns: s.columns,
      primaryKey: [],
      rows: 0,
      rowsEstimated: true,
      lastSyncAt: v.refreshedAt,
      view: v.materialized ? 'materialized' : 'view',
    });
  }
  return tables;
}

/** A connection's published views that are not broken (none when the connection is not known). */
async function publishedViews(db: pg.Pool, connectionId: number | null) {
  if (connectionId === null) return [];
  return (await listViews(db, connectionId)).filter((v) => v.status === 'ok');
}

/** A table of the warehouse schema, or else a working view the connection published. */
export async function tableShape(
  db: pg.Pool,
  schema: string,
  name: string,
  connectionId: number | null = null,
): Promise<TableShape> {
  const own = (await describe(db, schema, name)).get(name);
  if (own) return { schema, name, columns: own.columns.map((c) => c.name), primaryKey: own.primaryKey };
  const view = (await publishedViews(db, connectionId)).some((v) => v.name === name);
  const s = view ? (await describe(db, REPORTS_SCHEMA, name)).get(name) : undefined;
  if (!s)
    throw new AppError(
      'table_not_found',
      `The warehouse (${schema}) has no table ${JSON.stringify(name)}. The tables are listed at GET /api/v1/tables.`,
      { status: 404 },
    );
  return { schema: REPORTS_SCHEMA, name, columns: s.columns.map((c) => c.name), primaryKey: s.primaryKey };
}
