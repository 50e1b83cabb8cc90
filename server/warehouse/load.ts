import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { qualified, quoteIdent } from '../db/sql.ts';
import type { CatalogTable } from '../catalog/tables.ts';
import type { CsvRows } from './csv.ts';
import { keyColumns } from './tables.ts';

/**
 * Loading a page of rows: COPY into a temporary table, then one INSERT … ON CONFLICT DO UPDATE into the
 * warehouse table, inside the caller's transaction (which also moves the cursor). Within a page the
 * newest version of a key wins (sync results can hold a row twice, docs/exact-online.md 5.2); across pages an
 * older Timestamp never overwrites a newer one.
 */

export interface MergeResult {
  inserted: number;
  updated: number;
}

/** The columns of a table in the order its CSV rows hold them (server/warehouse/csv.ts, server/sync/encode.ts). */
export function loadColumns(table: CatalogTable): string[] {
  return ['division', ...table.columns.filter((c) => c.name !== 'division').map((c) => c.name), '_sdc_extracted_at'];
}

export async function mergeRows(
  client: pg.PoolClient,
  schema: string,
  table: CatalogTable,
  rows: CsvRows,
  batchedAt: Date,
): Promise<MergeResult> {
  if (rows.count === 0) return { inserted: 0, updated: 0 };
  const cols = loadColumns(table);
  const target = qualified(schema, table.name);
  const temp = quoteIdent(`_load_${table.name}`);
  // Same columns and types, no constraints (the batch time is set on the way out of it).
  await client.query(
    `CREATE TEMP TABLE IF NOT EXISTS ${temp} ON COMMIT DELETE ROWS AS SELECT * FROM ${target} WITH NO DATA`,
  );
  await client.query(`TRUNCATE ${temp}`);
  await copyCsv(client, `COPY ${temp} (${cols.map(quoteIdent).join(', ')}) FROM STDIN WITH (FORMAT csv)`, rows);

  const keys = keyColumns(table).map(quoteIdent);
  const ts = table.timestamp ? quoteIdent(table.timestamp.name) : undefined;
  const updatable = cols.filter((c) => !keyColumns(table).includes(c));
  const { rows: result } = await client.query<{ inserted: boolean }>(
    `INSERT INTO ${target} AS t (${cols.map(quoteIdent).join(', ')}, _sdc_batched_at)
     SELECT DISTINCT ON (${keys.join(', ')}) ${cols.map(quoteIdent).join(', ')}, $1::timestamptz FROM ${temp}
     ORDER BY ${keys.join(', ')}${ts ? `, ${ts} DESC NULLS LAST` : ''}
     ON CONFLICT (${keys.join(', ')}) DO UPDATE SET
       ${[...updatable, '_sdc_batched_at'].map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(',\n       ')}
     ${ts ? `WHERE t.${ts} IS NULL OR EXCLUDED.${ts} IS NULL OR EXCLUDED.${ts} >= t.${ts}` : ''}
     RETURNING (xmax = 0) AS inserted`,
    [batchedAt],
  );
  const inserted = result.filter((r) => r.inserted).length;
  return { inserted, updated: result.length - inserted };
}

/** Sends CSV rows to a `COPY … FROM STDIN`; resolves to the rows PostgreSQL took. */
async function copyCsv(client: pg.PoolClient, sql: string, rows: CsvRows): Promise<number> {
  const copy = client.query(copyFrom(sql));
  await pipeline(Readable.from(rows.chunks, { objectMode: false }), copy);
  return copy.rowCount;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Rows that are most likely all new (a division's first sync) go straight into the table with one COPY,
 * the cheapest load PostgreSQL has: its primary key is the check. When a key is already there — a row
 * changed while the first sync was reading comes again on a later page, or a page holds a row twice
 * (docs/exact-online.md 5.2) — the COPY fails as a whole, is undone to its savepoint, and the rows are merged
 * (`mergeRows`) instead. Either way the table ends as `mergeRows` alone would leave it. `merged` tells
 * which way it went. Inside the caller's transaction; `_sdc_batched_at` takes its default, now().
 */
export async function insertOrMerge(
  client: pg.PoolClient,
  schema: string,
  table: CatalogTable,
  rows: CsvRows,
  batchedAt: Date,
): Promise<MergeResult & { merged: boolean }> {
  if (rows.count === 0) return { inserted: 0, updated: 0, merged: false };
  await client.query('SAVEPOINT direct_copy');
  try {
    const inserted = await copyCsv(
      client,
      `COPY ${qualified(schema, table.name)} (${loadColumns(table).map(quoteIdent).join(', ')}) FROM STDIN WITH (FORMAT csv)`,
      rows,
    );
    await client.query('RELEASE SAVEPOINT direct_copy');
    return { inserted, updated: 0, merged: false };
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
    await client.query('ROLLBACK TO SAVEPOINT direct_copy');
    return { ...(await mergeRows(client, schema, table, rows, batchedAt)), merged: true };
  }
}

/** Removes the rows of a division whose `column` is one of `values` (the lines of parents read again, or deleted). */
export async function deleteWhere(
  client: pg.PoolClient,
  schema: string,
  table: CatalogTable,
  division: number,
  column: string,
  values: readonly string[],
): Promise<number> {
  if (values.length === 0) return 0;
  const res = await client.query(
    `DELETE FROM ${qualified(schema, table.name)} WHERE division = $1 AND ${quoteIdent(column)}::text = ANY($2::text[])`,
    [division, values.map((v) => v.toLowerCase())],
  );
  return res.rowCount ?? 0;
}

/**
 * Removes the rows of a division whose keys (lower case) are not in `keep`: what a read of the whole table
 * did not see. `since`: only rows from that instant on (the read was limited to them).
 */
export async function deleteMissing(
  client: pg.PoolClient,
  schema: string,
  table: CatalogTable,
  division: number,
  keep: readonly string[],
  since?: { column: string; from: string },
): Promise<number> {
  const key = quoteIdent(table.key.name);
  const res = await client.query(
    `DELETE FROM ${qualified(schema, table.name)} WHERE division = $1 AND NOT (${key}::text = ANY($2::text[]))${since ? ` AND ${quoteIdent(since.column)} >= $3` : ''}`,
    since ? [division, keep, since.from] : [division, keep],
  );
  return res.rowCount ?? 0;
}

/** Removes the lines of a division whose parent is no longer there. */
export async function deleteOrphans(
  client: pg.PoolClient,
  schema: string,
  lines: CatalogTable,
  foreignKey: string,
  parents: CatalogTable,
  division: number,
): Promise<number> {
  const res = await client.query(
    `DELETE FROM ${qualified(schema, lines.name)} AS l WHERE l.division = $1 AND NOT EXISTS (
       SELECT 1 FROM ${qualified(schema, parents.name)} AS p WHERE p.division = $1 AND p.${quoteIdent(parents.key.name)} = l.${quoteIdent(foreignKey)})`,
    [division],
  );
  return res.rowCount ?? 0;
}

/**
 * Applies sync/Deleted rows to a table: a row goes only when its stored Timestamp is not newer than the
 * delete (docs/exact-online.md 5.3: it may have been re-created since).
 */
export async function applyDeletes(
  client: pg.PoolClient,
  schema: string,
  table: CatalogTable,
  division: number,
  deletes: readonly { key: string; timestamp: string }[],
): Promise<number> {
  if (deletes.length === 0) return 0;
  const key = quoteIdent(table.key.name);
  const ts = table.timestamp ? quoteIdent(table.timestamp.name) : undefined;
  const res = await client.query(
    `DELETE FROM ${qualified(schema, table.name)} AS t
     USING unnest($2::text[], $3::bigint[]) AS d(key, ts)
     WHERE t.division = $1 AND t.${key}::text = lower(d.key)${ts ? ` AND (t.${ts} IS NULL OR t.${ts} <= d.ts)` : ''}`,
    [division, deletes.map((d) => d.key), deletes.map((d) => d.timestamp)],
  );
  return res.rowCount ?? 0;
}
