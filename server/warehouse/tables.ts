import type pg from 'pg';
import { qualified, quoteIdent } from '../db/sql.ts';
import { LOCK_NAMESPACES } from '../db/locks.ts';
import { readSetting, writeSetting } from '../state/instanceSettings.ts';
import { inTransaction } from '../db/tx.ts';
import { tryGrantWarehouseSchema } from '../db/roles.ts';
import type { CatalogTable } from '../catalog/tables.ts';

/**
 * The warehouse's tables: one per catalog table in the connection's schema, typed columns named after
 * Exact's fields in lower case, the division, and the Singer metadata columns. Created when first needed;
 * columns the catalog gains later are added, never dropped.
 */

export const META_COLUMNS = ['_sdc_extracted_at', '_sdc_batched_at'] as const;

export function keyColumns(table: CatalogTable): string[] {
  return table.key.name === 'division' ? ['division'] : ['division', table.key.name];
}

/** Tables already brought up to date with the catalog (which does not change while running), per database pool. */
const ensuredByPool = new WeakMap<pg.Pool, Set<string>>();

/** Creates the table (and its schema) or adds the columns it lacks. */
export function ensureTable(pool: pg.Pool, schema: string, table: CatalogTable): Promise<void> {
  return onceUnderDdlLock(pool, schema, table.name, (client) => createOrAlter(client, schema, table));
}

/**
 * Runs `ddl` once per pool, schema and table, in its own transaction under an advisory lock on the schema:
 * divisions syncing side by side would otherwise race on CREATE … IF NOT EXISTS (of the schema as well as
 * of tables), which PostgreSQL does not make atomic.
 */
async function onceUnderDdlLock(
  pool: pg.Pool,
  schema: string,
  table: string,
  ddl: (client: pg.PoolClient) => Promise<void>,
): Promise<void> {
  const id = `${schema}.${table}`;
  let ensured = ensuredByPool.get(pool);
  if (!ensured) ensuredByPool.set(pool, (ensured = new Set()));
  if (ensured.has(id)) return;
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_NAMESPACES.warehouseDdl, schema]);
    await ddl(client);
  });
  ensured.add(id);
}

async function createOrAlter(db: pg.ClientBase, schema: string, table: CatalogTable): Promise<void> {
  const name = qualified(schema, table.name);
  const columns = table.columns.filter((c) => c.name !== 'division');
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  // Readable by the query API's and the BI users' role, this table and the ones made later.
  await tryGrantWarehouseSchema(db, schema);
  await db.query(
    `CREATE TABLE IF NOT EXISTS ${name} (
      division integer NOT NULL,
      ${columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(',\n      ')},
      _sdc_extracted_at timestamptz NOT NULL,
      _sdc_batched_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (${keyColumns(table).map(quoteIdent).join(', ')})
    )`,
  );
  // ALTER TABLE waits for every query on the table (a long BI query, say) and holds up the ones after it:
  // only what is missing is altered.
  const { rows: existing } = await db.query<{ name: string; has_default: boolean }>(
    `SELECT attname AS name, atthasdef AS has_default FROM pg_attribute
     WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [name],
  );
  const have = new Map(existing.map((c) => [c.name, c.has_default]));
  for (const c of columns)
    if (!have.has(c.name))
      await db.query(`ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${c.type}`);
  // Tables made before rows could be COPY'd straight in (load.ts insertOrMerge) lack the batch time's default.
  if (have.get('_sdc_batched_at') === false)
    await db.query(`ALTER TABLE ${name} ALTER COLUMN _sdc_batched_at SET DEFAULT now()`);
  await trimCodesOnce(db, schema, table);
}

/**
 * Codes are trimmed on the way in (catalog/tables.ts isCodeLike); rows stored before that was the rule
 * for every code field keep their padding until they change. Once per table, they are trimmed in place,
 * so codes join whatever the age of the row; a setting remembers that it was done.
 */
async function trimCodesOnce(db: pg.ClientBase, schema: string, table: CatalogTable): Promise<void> {
  const key = `warehouse.codes_trimmed.${schema}.${table.name}`;
  if (await readSetting(db, key)) return;
  const codes = table.columns.filter((c) => c.trim).map((c) => quoteIdent(c.name));
  if (codes.length)
    await db.query(
      `UPDATE ${qualified(schema, table.name)} SET ${codes.map((c) => `${c} = btrim(${c})`).join(', ')}
       WHERE ${codes.map((c) => `${c} <> btrim(${c})`).join(' OR ')}`,
    );
  await writeSetting(db, key, true);
}

/**
 * `entitytype (number, name, table_name)`: what deleted.entitytype means, and which warehouse table its
 * deletes apply to (null where exact-sync has no such table or does not apply them).
 */
export function ensureEntityTypes(
  pool: pg.Pool,
  schema: string,
  types: readonly (readonly [number, string, string | null])[],
): Promise<void> {
  const name = qualified(schema, 'entitytype');
  return onceUnderDdlLock(pool, schema, 'entitytype', async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await tryGrantWarehouseSchema(client, schema);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${name} (number integer PRIMARY KEY, name text NOT NULL, table_name text)`,
    );
    await client.query(
      `INSERT INTO ${name} (number, name, table_name) SELECT * FROM unnest($1::int[], $2::text[], $3::text[])
     ON CONFLICT (number) DO UPDATE SET name = EXCLUDED.name, table_name = EXCLUDED.table_name`,
      [types.map(([n]) => n), types.map(([, n]) => n), types.map(([, , t]) => t)],
    );
  });
}
