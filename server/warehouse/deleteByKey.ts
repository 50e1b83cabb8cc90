import type pg from 'pg';
import type { CatalogTable } from '../catalog/tables.ts';
import { qualified, quoteIdent } from '../db/sql.ts';

/**
 * A record Exact deleted (a webhook's Delete, docs/exact-online.md 14.3), removed from a warehouse table
 * without asking Exact: the rows whose key is `key`, and, in a table of the same topic's lines, the rows
 * whose `parentKey` column (the header's key, e.g. `entryid`) is `key`. Answers the rows removed.
 */
export async function deleteByKey(
  db: pg.ClientBase,
  schema: string,
  table: CatalogTable,
  division: number,
  key: string,
  parentKey: string | undefined,
): Promise<number> {
  // Webhook keys are GUIDs: only uuid columns can hold them (and compared as uuid, their indexes serve).
  const { rows } = await db.query<{ attname: string }>(
    `SELECT attname FROM pg_attribute
     WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped AND atttypid = 'uuid'::regtype`,
    [qualified(schema, table.name)],
  );
  const have = new Set(rows.map((r) => r.attname));
  const match = [
    table.key.name,
    ...(parentKey && parentKey !== table.key.name && have.has(parentKey) ? [parentKey] : []),
  ]
    .filter((c) => have.has(c))
    .map((c) => `${quoteIdent(c)} = $2::uuid`);
  if (match.length === 0) return 0; // not made yet, or no GUID key: nothing to delete
  const { rowCount } = await db.query(
    `DELETE FROM ${qualified(schema, table.name)} WHERE division = $1 AND (${match.join(' OR ')})`,
    [division, key.toLowerCase()],
  );
  return rowCount ?? 0;
}
