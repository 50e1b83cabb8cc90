import type pg from 'pg';
import { qualified, quoteIdent, quoteLiteral } from '../db/sql.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import { LOCK_NAMESPACES, takeLock, twoKeyLock } from '../db/locks.ts';
import { readSetting, writeSetting } from '../state/instanceSettings.ts';
import { inTransaction } from '../db/tx.ts';
import { tryGrantWarehouseSchema } from '../db/roles.ts';
import type { CatalogTable, PgType } from '../catalog/tables.ts';

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

/**
 * Creates the table (and its schema), adds the columns it lacks, and brings columns whose type the catalog
 * changed to their new type (convertColumns). `timeZone`: the administration's, for instants that become
 * calendar dates.
 */
export function ensureTable(
  pool: pg.Pool,
  schema: string,
  table: CatalogTable,
  timeZone = 'Europe/Amsterdam',
): Promise<void> {
  return onceUnderDdlLock(pool, schema, table.name, (client) => createOrAlter(client, schema, table, timeZone));
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
    await takeLock(
      client,
      twoKeyLock(LOCK_NAMESPACES.warehouseDdl, { hashtext: schema }, `schema ${schema}'s tables`),
      {
        scope: 'transaction',
      },
    );
    await ddl(client);
  });
  ensured.add(id);
}

async function createOrAlter(db: pg.ClientBase, schema: string, table: CatalogTable, timeZone: string): Promise<void> {
  const name = qualified(schema, table.name);
  const columns = table.columns.filter((c) => c.name !== 'division');
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  // Readable by the query API's and the BI users' role, this table and the ones made later.
  await tryGrantWarehouseSchema(db, schema);
  await replaceOwnView(db, schema, table.name);
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
  const { rows: existing } = await db.query<{ name: string; has_default: boolean; type: string }>(
    `SELECT attname AS name, atthasdef AS has_default, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`,
    [name],
  );
  const have = new Map(existing.map((c) => [c.name, c.has_default]));
  await convertColumns(db, schema, table, new Map(existing.map((c) => [c.name, c.type])), timeZone);
  for (const c of columns)
    if (!have.has(c.name))
      await db.query(`ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${quoteIdent(c.name)} ${c.type}`);
  await ensureIdAlias(db, schema, table, have);
  // Tables made before rows could be COPY'd straight in (load.ts insertOrMerge) lack the batch time's default.
  if (have.get('_sdc_batched_at') === false)
    await db.query(`ALTER TABLE ${name} ALTER COLUMN _sdc_batched_at SET DEFAULT now()`);
  await trimCodesOnce(db, schema, table);
}

/**
 * A view exact-sync made under an entity type's name (ensureEntityTypes: `salesorderheaders` over
 * `salesorders`) gives way when the catalog gains a table of that name. A view someone built on it stops
 * the drop with PostgreSQL's message naming it, rather than being dropped too.
 */
async function replaceOwnView(db: pg.ClientBase, schema: string, name: string): Promise<void> {
  const { rows } = await db.query<{ relkind: string }>(
    `SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
    [schema, name],
  );
  if (rows[0]?.relkind === 'v') await db.query(`DROP VIEW ${qualified(schema, name)}`);
}

/** How PostgreSQL's format_type names each catalog type. */
const FORMAT_TYPE: Record<PgType, string> = {
  uuid: 'uuid',
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  numeric: 'numeric',
  boolean: 'boolean',
  timestamptz: 'timestamp with time zone',
  date: 'date',
};

/**
 * Columns whose type changed in the catalog since the table was made are converted in place, in one
 * ALTER TABLE (one rewrite): an instant that is a calendar date becomes the day it was in the
 * administration's zone (Exact's local midnight, stored as an instant by older versions); anything becomes
 * text as text; a column with no value takes the new type as is; any other change is cast, and a value
 * that does not cast stops the sync with a message naming the column (nothing is changed then).
 */
async function convertColumns(
  db: pg.ClientBase,
  schema: string,
  table: CatalogTable,
  types: ReadonlyMap<string, string>,
  timeZone: string,
): Promise<void> {
  const name = qualified(schema, table.name);
  const changes: string[] = [];
  for (const c of table.columns) {
    const now = types.get(c.name);
    if (now === undefined || now === FORMAT_TYPE[c.type]) continue;
    const col = quoteIdent(c.name);
    let using: string;
    if (now === 'timestamp with time zone' && c.type === 'date')
      using = `(${col} AT TIME ZONE ${quoteLiteral(timeZone)})::date`;
    else if (c.type === 'text') using = `${col}::text`;
    else {
      const { rows } = await db.query(`SELECT 1 FROM ${name} WHERE ${col} IS NOT NULL LIMIT 1`);
      using = rows.length === 0 ? `NULL::${c.type}` : `${col}::${c.type}`;
    }
    changes.push(`ALTER COLUMN ${col} TYPE ${c.type} USING ${using}`);
  }
  if (changes.length === 0) return;
  try {
    await db.query(`ALTER TABLE ${name} ${changes.join(', ')}`);
  } catch (err) {
    throw new AppError(
      'warehouse_type_change',
      `${schema}.${table.name}: a column's type changed in exact-sync's catalog and its values do not convert (${messageOf(err)}). ${changes.join('; ')}`,
    );
  }
}

/**
 * `id` on tables keyed by another GUID (salesinvoices.invoiceid, salesorders.orderid,
 * purchaseentries.entryid): a stored copy of the key, generated by PostgreSQL. Scripts that follow Exact's
 * delete feed name every entity's key `id` (docs/warehouse.md, "Deletes in SQL").
 */
async function ensureIdAlias(
  db: pg.ClientBase,
  schema: string,
  table: CatalogTable,
  have: ReadonlyMap<string, unknown>,
): Promise<void> {
  if (table.key.type !== 'uuid' || table.columns.some((c) => c.name === 'id') || have.has('id')) return;
  await db.query(
    `ALTER TABLE ${qualified(schema, table.name)} ADD COLUMN id uuid GENERATED ALWAYS AS (${quoteIdent(table.key.name)}) STORED`,
  );
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
 * `entitytype (number, name, table_name)`: what deleted.entitytype means, for the entity types whose rows
 * the warehouse holds, and the table their deletes apply to. Each type's name in lower case is a relation
 * with `id` and `division` (a table, or a view over its table: `attachments`), so a
 * script that deletes `FROM <schema>.<lower(name)> WHERE id = <EntityKey> AND division = <Division>` for
 * every row of `deleted` joined to `entitytype` runs without error (docs/warehouse.md, "Deletes in SQL").
 */
export function ensureEntityTypes(
  pool: pg.Pool,
  schema: string,
  types: readonly (readonly [number, string, string])[],
  tableNames: ReadonlySet<string>,
): Promise<void> {
  const name = qualified(schema, 'entitytype');
  return onceUnderDdlLock(pool, schema, 'entitytype', async (client) => {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await tryGrantWarehouseSchema(client, schema);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${name} (number integer PRIMARY KEY, name text NOT NULL, table_name text)`,
    );
    // Types named as a relation exact-sync does not have are not listed (earlier versions listed every type).
    await client.query(`DELETE FROM ${name} WHERE NOT (number = ANY($1::int[]))`, [types.map(([n]) => n)]);
    await client.query(
      `INSERT INTO ${name} (number, name, table_name) SELECT * FROM unnest($1::int[], $2::text[], $3::text[])
     ON CONFLICT (number) DO UPDATE SET name = EXCLUDED.name, table_name = EXCLUDED.table_name`,
      [types.map(([n]) => n), types.map(([, n]) => n), types.map(([, , t]) => t)],
    );
    for (const [, entity, table] of types) {
      const relation = entity.toLowerCase();
      // A table of that name is there already (legacy salesorders for type 12): it has id and division.
      if (relation === table || tableNames.has(relation)) continue;
      // A simple view: PostgreSQL deletes through it from the table.
      await client.query(
        `CREATE OR REPLACE VIEW ${qualified(schema, relation)} AS SELECT * FROM ${qualified(schema, table)}`,
      );
    }
  });
}
