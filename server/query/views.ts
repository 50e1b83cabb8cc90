import type pg from 'pg';
import { currentReaderRoles, grantWarehouseSchema } from '../db/roles.ts';
import { qualified, quoteIdent } from '../db/sql.ts';
import { inTransaction } from '../db/tx.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { warehouseOf } from '../state/connections.ts';
import type { QueryLimits, QueryRunner } from './runner.ts';
import { STARTER_BY_NAME, STARTER_MODELS } from './starterModels.ts';
import { REPORTS_SCHEMA, type PublishedView } from './types.ts';

export { REPORTS_SCHEMA, type PublishedView };

/**
 * Published views: a query made a view in the `reports` schema, which BI users, Excel, Sheets and the
 * query API read like a table (GET /api/v1/tables lists them with the connection's tables).
 *
 * Safety: the SQL must first run under the read-only role (what it reads, readers may read), and every
 * view is owned by the query role, not by exact-sync: a plain view also checks each reader's own rights
 * (security_invoker), and a materialized one is filled with the query role's rights when it is made and
 * refreshed, never with exact-sync's. BI logins are not members of the query role, so they cannot change
 * or drop a view.
 *
 * A view is kept in exact_sync.published_views with its SQL, so one that is gone or no longer compiles
 * is reported (status "broken", PostgreSQL's words) and can be made again; none is dropped silently.
 */

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface Row {
  id: number;
  name: string;
  sql: string;
  connection_id: number;
  saved_query_id: number | null;
  materialized: boolean;
  status: 'ok' | 'broken';
  error: string | null;
  published_at: Date;
  refreshed_at: Date | null;
}
const toView = (r: Row): PublishedView => ({
  id: r.id,
  name: r.name,
  sql: r.sql,
  connectionId: r.connection_id,
  savedQueryId: r.saved_query_id,
  materialized: r.materialized,
  status: r.status,
  error: r.error,
  publishedAt: r.published_at,
  refreshedAt: r.refreshed_at,
});
const COLUMNS = 'id, name, sql, connection_id, saved_query_id, materialized, status, error, published_at, refreshed_at';

export interface PublishRequest {
  name: string;
  sql: string;
  connectionId: number;
  /** The connection's warehouse schema: the names in the SQL are looked up there first. */
  schema: string;
  savedQueryId?: number | null | undefined;
  materialized: boolean;
}

/** The connection's warehouse (the first connection's when none is named): a view needs one. */
export async function viewWarehouse(
  db: pg.Pool,
  connection: number | null | undefined,
): Promise<{ connectionId: number; schema: string }> {
  const w = await warehouseOf(db, connection);
  if (w.connectionId === null)
    throw new AppError('connection_not_found', 'Connect Exact Online first: a view reads a connection’s warehouse.', {
      status: 404,
    });
  return { connectionId: w.connectionId, schema: w.schema };
}

/** Publishes a view: checked as a reader's query first, then made in `reports`, owned by the query role. */
export async function publishView(
  db: pg.Pool,
  runner: QueryRunner,
  limits: QueryLimits,
  v: PublishRequest,
): Promise<PublishedView> {
  if (!NAME.test(v.name))
    throw new AppError(
      'invalid_view_name',
      `A view's name is lower-case letters, digits and _ (not first), at most 63: ${JSON.stringify(v.name)} is not.`,
      { status: 400 },
    );
  // What the view reads, a reader may read; its own mistakes are told as a query's are (with a position).
  await runner.describe({ sql: v.sql, schema: v.schema, limits });
  return inTransaction(db, async (client) => {
    const { rows: taken } = await client.query('SELECT 1 FROM exact_sync.published_views WHERE name = $1', [v.name]);
    if (taken.length)
      throw new AppError('name_taken', `A view is already published as reports.${v.name}.`, { status: 409 });
    await prepareSchema(client);
    await createView(client, v.name, v.sql, v.schema, v.materialized).catch((err: unknown) => {
      throw new AppError('view_failed', `PostgreSQL did not make the view: ${messageOf(err)}.`, { status: 400 });
    });
    const { rows } = await client.query<Row>(
      `INSERT INTO exact_sync.published_views (name, sql, connection_id, saved_query_id, materialized, refreshed_at)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $5 THEN now() END) RETURNING ${COLUMNS}`,
      [v.name, v.sql, v.connectionId, v.savedQueryId ?? null, v.materialized],
    );
    return toView(rows[0]!);
  });
}

/**
 * Publishes a starter model (server/query/starterModels.ts) under its own name, once the tables it
 * reads are in the connection's warehouse; otherwise says which to turn on.
 */
export async function publishStarter(
  db: pg.Pool,
  runner: QueryRunner,
  limits: QueryLimits,
  key: string,
  o: { connectionId: number; schema: string; materialized: boolean },
): Promise<PublishedView> {
  const model = STARTER_BY_NAME.get(key);
  if (!model)
    throw new AppError(
      'starter_not_found',
      `There is no starter model ${JSON.stringify(key)}; there are ${STARTER_MODELS.map((m) => m.name).join(', ')}.`,
      { status: 404 },
    );
  const { rows } = await db.query<{ t: string }>(
    'SELECT t FROM unnest($2::text[]) t WHERE to_regclass(format($3, $1::text, t)) IS NULL',
    [o.schema, model.tables, '%I.%I'],
  );
  if (rows.length)
    throw new AppError(
      'tables_not_synced',
      `${model.name} reads ${rows.map((r) => r.t).join(', ')}, which ${rows.length === 1 ? 'is' : 'are'} not synced yet: turn ${rows.length === 1 ? 'it' : 'them'} on under Tables and sync, then publish it.`,
      { status: 409 },
    );
  return publishView(db, runner, limits, { name: model.name, sql: model.sql, ...o, savedQueryId: null });
}

/** The schema, readable by the readers' group, where the query role may create its views. */
async function prepareSchema(client: pg.ClientBase): Promise<void> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${REPORTS_SCHEMA}`);
  await grantWarehouseSchema(client, REPORTS_SCHEMA);
  const { query } = await currentReaderRoles(client);
  await client.query(`GRANT CREATE ON SCHEMA ${REPORTS_SCHEMA} TO ${quoteIdent(query)}`);
}

/** CREATE [MATERIALIZED] VIEW as the query role, names looked up in the warehouse schema first. */
async function createView(
  client: pg.ClientBase,
  name: string,
  sql: string,
  schema: string,
  materialized: boolean,
): Promise<void> {
  const { query, group } = await currentReaderRoles(client);
  await client.query('SAVEPOINT create_view');
  try {
    await client.query(`SET LOCAL search_path = ${quoteIdent(schema)}, ${REPORTS_SCHEMA}, public`);
    await client.query(`SET LOCAL ROLE ${quoteIdent(query)}`);
    const target = qualified(REPORTS_SCHEMA, name);
    await client.query(
      materialized
        ? `CREATE MATERIALIZED VIEW ${target} AS\n${sql}\nWITH DATA`
        : `CREATE VIEW ${target} WITH (security_invoker = true) AS\n${sql}\n`,
    );
    await client.query(`GRANT SELECT ON ${target} TO ${quoteIdent(group)}`);
    await client.query('RESET ROLE');
    await client.query('RELEASE SAVEPOINT create_view');
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT create_view');
    throw err;
  }
}

/** Every published view, with its status checked against the catalog (a view gone is reported broken). */
export async function listViews(db: pg.Pool, connectionId?: number): Promise<PublishedView[]> {
  await markMissing(db);
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM exact_sync.published_views WHERE $1::int IS NULL OR connection_id = $1 ORDER BY name`,
    [connectionId ?? null],
  );
  return rows.map(toView);
}

export async function getView(db: pg.Pool, name: string): Promise<PublishedView> {
  await markMissing(db);
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM exact_sync.published_views WHERE name = $1`, [name]);
  if (!rows[0])
    throw new AppError('view_not_found', `No view is published as ${JSON.stringify(name)}.`, { status: 404 });
  return toView(rows[0]);
}

/** Views whose relation is gone from `reports` (dropped by hand, a cascade): broken, with why. */
async function markMissing(db: pg.Pool): Promise<void> {
  await db.query(
    `UPDATE exact_sync.published_views v
     SET status = 'broken', error = 'The view is gone from the database (dropped outside exact-sync). Publish it again, or remove it.'
     WHERE status = 'ok' AND to_regclass(format('%I.%I', $1::text, v.name)) IS NULL`,
    [REPORTS_SCHEMA],
  );
}

async function setStatus(db: pg.Pool | pg.ClientBase, name: string, error: string | null, refreshed: boolean) {
  await db.query(
    `UPDATE exact_sync.published_views SET status = CASE WHEN $2::text IS NULL THEN 'ok' ELSE 'broken' END, error = $2,
       refreshed_at = CASE WHEN $3 AND $2::text IS NULL THEN now() ELSE refreshed_at END WHERE name = $1`,
    [name, error, refreshed],
  );
}

/**
 * Refreshes a materialized view, or makes a broken view again from its SQL. A failure marks it broken
 * with PostgreSQL's words (and is thrown); success clears that.
 */
export async function refreshView(db: pg.Pool, name: string): Promise<PublishedView> {
  const view = await getView(db, name);
  try {
    if (view.status === 'broken') {
      const { schema } = await viewWarehouse(db, view.connectionId);
      await inTransaction(db, async (client) => {
        await client.query(dropSql(view));
        await prepareSchema(client);
        await createView(client, name, view.sql, schema, view.materialized);
      });
      await setStatus(db, name, null, view.materialized);
    } else if (view.materialized) await refreshRows(db, name);
  } catch (err) {
    await setStatus(db, name, messageOf(err), false);
    throw new AppError('view_failed', `reports.${name} could not be made: ${messageOf(err)}.`, { status: 400 });
  }
  return getView(db, name);
}

/** DROP … IF EXISTS of a published view, of its kind. */
const dropSql = (view: PublishedView) =>
  `DROP ${view.materialized ? 'MATERIALIZED VIEW' : 'VIEW'} IF EXISTS ${qualified(REPORTS_SCHEMA, view.name)}`;

/** Refreshes a materialized view's rows and marks it ok (a failure is thrown to the caller). */
async function refreshRows(db: pg.Pool, name: string): Promise<void> {
  await db.query(`REFRESH MATERIALIZED VIEW ${qualified(REPORTS_SCHEMA, name)}`);
  await setStatus(db, name, null, true);
}

/** Drops a published view and forgets it. */
export async function unpublishView(db: pg.Pool, name: string): Promise<void> {
  const view = await getView(db, name);
  await inTransaction(db, async (client) => {
    await client.query(dropSql(view));
    await client.query('DELETE FROM exact_sync.published_views WHERE name = $1', [name]);
  });
}

/**
 * After a sync changed `tables` of `schema` (its rows: inserted, updated or deleted), the materialized
 * views that read any of them are refreshed, and only those. Which views read which tables comes from
 * PostgreSQL's catalog (pg_depend of each view's rewrite rule), not from reading the SQL. A failure is
 * logged and marks the view broken; the sync is not failed for it.
 */
export async function refreshAfterSync(
  db: pg.Pool,
  schema: string,
  tables: readonly string[],
  log?: Logger,
): Promise<string[]> {
  if (tables.length === 0) return [];
  const { rows } = await db.query<{ name: string }>(
    `SELECT DISTINCT v.relname AS name
     FROM pg_depend d
     JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
     JOIN pg_class v ON v.oid = r.ev_class AND v.relkind = 'm'
     JOIN pg_namespace vn ON vn.oid = v.relnamespace AND vn.nspname = $1
     JOIN pg_class t ON t.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass AND t.oid <> v.oid
     JOIN pg_namespace tn ON tn.oid = t.relnamespace AND tn.nspname = $2
     JOIN exact_sync.published_views p ON p.name = v.relname
     WHERE t.relname = ANY ($3::text[])
     ORDER BY 1`,
    [REPORTS_SCHEMA, schema, tables],
  );
  const refreshed: string[] = [];
  for (const { name } of rows) {
    try {
      await refreshRows(db, name);
      refreshed.push(name);
    } catch (err) {
      await setStatus(db, name, messageOf(err), false);
      log?.warn({ err, view: name }, 'a published view could not be refreshed after a sync');
    }
  }
  return refreshed;
}
