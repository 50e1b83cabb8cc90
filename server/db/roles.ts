import { createHash } from 'node:crypto';
import type pg from 'pg';
import { quoteIdent } from './sql.ts';

/**
 * The PostgreSQL roles that read the warehouse. One NOLOGIN group role holds the privileges: USAGE on
 * every warehouse schema, SELECT on its tables, and the same on tables created later (default
 * privileges of the role exact-sync writes with). Login roles are its members: the role the query API
 * connects as, and the BI users. None of them gets anything in `exact_sync` (tokens, keys) or
 * `exact_sync_jobs`.
 *
 * Role names are per cluster while exact-sync's state is per database, so the group and query role
 * names carry the database's name (and a short hash, so long names stay within 63 bytes and stay apart).
 */

export interface ReaderRoles {
  /** NOLOGIN: the privileges. */
  group: string;
  /** LOGIN: what /api/v1/query connects as. */
  query: string;
}

export function readerRoleNames(database: string): ReaderRoles {
  const slug = database
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30);
  const hash = createHash('sha256').update(database).digest('hex').slice(0, 6);
  return { group: `exact_sync_read_${slug}_${hash}`, query: `exact_sync_query_${slug}_${hash}` };
}

export async function currentReaderRoles(db: pg.Pool | pg.ClientBase): Promise<ReaderRoles> {
  const { rows } = await db.query<{ db: string }>('SELECT current_database() AS db');
  return readerRoleNames(rows[0]!.db);
}

/** Creates a role unless it exists (concurrent callers included). */
export async function createRoleIfMissing(
  db: pg.Pool | pg.ClientBase,
  name: string,
  attributes: string,
): Promise<void> {
  await db.query(
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${literal(name)}) THEN
         CREATE ROLE ${quoteIdent(name)} ${attributes};
       END IF;
     EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
     END $$`,
  );
}

/** A string as an SQL literal (for DDL, which takes no parameters). */
export function literal(text: string): string {
  if (text.includes('\0')) throw new Error('a NUL character cannot be in an SQL literal');
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Lets the group read `schema`: what is in it now and what exact-sync creates in it later. Run when a
 * warehouse schema is created, and at start for every known one. Idempotent.
 */
export async function grantWarehouseSchema(db: pg.Pool | pg.ClientBase, schema: string): Promise<void> {
  const { group } = await currentReaderRoles(db);
  await createRoleIfMissing(db, group, 'NOLOGIN');
  await db.query(`GRANT USAGE ON SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(group)}`);
  await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(group)}`);
  await db.query(
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${quoteIdent(schema)} GRANT SELECT ON TABLES TO ${quoteIdent(group)}`,
  );
}

/**
 * grantWarehouseSchema inside a transaction that must go on when exact-sync's database user may not
 * create roles (DATABASE_URL with a plain user): the grant is undone alone, and the query API says
 * why it cannot run. Answers whether the grant was made.
 */
export async function tryGrantWarehouseSchema(client: pg.ClientBase, schema: string): Promise<boolean> {
  await client.query('SAVEPOINT grant_warehouse');
  try {
    await grantWarehouseSchema(client, schema);
    await client.query('RELEASE SAVEPOINT grant_warehouse');
    return true;
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    await client.query('ROLLBACK TO SAVEPOINT grant_warehouse');
    return false;
  }
}
