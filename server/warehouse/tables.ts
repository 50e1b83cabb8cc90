import type pg from 'pg';
import { qualified, quoteIdent } from '../db/sql.ts';
import type { CatalogTable } from '../sync/catalog.ts';

/**
 * The warehouse's tables: one per catalog table in the connection's schema, typed columns named after
 * Exact's fields in lower case, the division, and the Singer metadata columns. Created when first needed;
 * columns the catalog gains later are added, never dropped.
 */

export const META_COLUMNS = ['_sdc_extracted_at', '_sdc_batched_at'] as const;

export function keyColumns(table: CatalogTable): string[] {
  return table.key.name === 'division' ? ['division'] : ['division', table.key.name];
}

export async function ensureTable(db: pg.ClientBase | pg.Pool, schema: string, table: CatalogTable): Promise<void> {
  const name = qualified(schema, table.name);
  const columns = table.columns.filter((c) => c.name !== 'division');
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${name} (
      division integer NOT NULL,
      ${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(',\n      ')},
      _sdc_extracted_at timestamptz NOT NULL,
      _sdc_batched_at timestamptz NOT NULL,
      PRIMARY KEY (${keyColumns(table).map(quoteIdent).join(', ')})
    )`,
  );
  for (const c of columns) await db.query(`ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${c.type}`);
}
