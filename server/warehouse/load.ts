import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { qualified, quoteIdent } from '../db/sql.ts';
import type { CatalogTable } from '../sync/catalog.ts';
import { keyColumns } from './tables.ts';

/**
 * Loading a page of rows: COPY into a temporary table, then one INSERT … ON CONFLICT DO UPDATE into the
 * warehouse table, inside the caller's transaction (which also moves the cursor). Within a page the
 * newest version of a key wins (sync results can hold a row twice, exact-api.md 5.2); across pages an
 * older Timestamp never overwrites a newer one.
 */

export type Value = string | number | boolean | null;

/** One CSV field for COPY: NULL is an unquoted empty field; text is always quoted. */
function csvField(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  return `"${v.replace(/"/g, '""')}"`;
}

export interface MergeResult {
  inserted: number;
  updated: number;
}

export async function mergeRows(client: pg.PoolClient, schema: string, table: CatalogTable, rows: readonly Value[][], batchedAt: Date): Promise<MergeResult> {
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  const cols = ['division', ...table.columns.filter((c) => c.name !== 'division').map((c) => c.name), '_sdc_extracted_at'];
  const target = qualified(schema, table.name);
  const temp = quoteIdent(`_load_${table.name}`);
  // Same columns and types, no constraints (the batch time is set on the way out of it).
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${temp} ON COMMIT DELETE ROWS AS SELECT * FROM ${target} WITH NO DATA`);
  await client.query(`TRUNCATE ${temp}`);
  const copy = client.query(copyFrom(`COPY ${temp} (${cols.map(quoteIdent).join(', ')}) FROM STDIN WITH (FORMAT csv)`));
  await pipeline(Readable.from(csvLines(rows)), copy);

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

function* csvLines(rows: readonly Value[][]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    chunk += `${row.map(csvField).join(',')}\n`;
    if (chunk.length > 65_536) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Removes the rows of a division whose `column` is one of `values` (the lines of parents read again, or deleted). */
export async function deleteWhere(client: pg.PoolClient, schema: string, table: CatalogTable, division: number, column: string, values: readonly string[]): Promise<number> {
  if (values.length === 0) return 0;
  const res = await client.query(
    `DELETE FROM ${qualified(schema, table.name)} WHERE division = $1 AND ${quoteIdent(column)}::text = ANY($2::text[])`,
    [division, values.map((v) => v.toLowerCase())],
  );
  return res.rowCount ?? 0;
}

/** Removes the rows of a division whose keys are not in `keep` (full-refresh tables). */
export async function deleteMissing(client: pg.PoolClient, schema: string, table: CatalogTable, division: number, keep: readonly string[]): Promise<number> {
  const key = quoteIdent(table.key.name);
  const res = await client.query(
    `DELETE FROM ${qualified(schema, table.name)} WHERE division = $1 AND NOT (${key}::text = ANY($2::text[]))`,
    [division, keep],
  );
  return res.rowCount ?? 0;
}

/**
 * Applies sync/Deleted rows to a table: a row goes only when its stored Timestamp is not newer than the
 * delete (exact-api.md 5.3: it may have been re-created since).
 */
export async function applyDeletes(client: pg.PoolClient, schema: string, table: CatalogTable, division: number, deletes: readonly { key: string; timestamp: string }[]): Promise<number> {
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
