import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ReaderLimits, RoleLimits } from '../lib/settings.ts';
import { quoteIdent } from './sql.ts';

export type { ReaderLimits, RoleLimits };
export { DEFAULT_READER_LIMITS } from '../lib/settings.ts';

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

/** The login role a caller's queries run as (server/query/runner.ts): the query role's name and the caller's. */
export function callerRoleName(queryRole: string, caller: string): string {
  return `${queryRole}_${caller}`;
}

/**
 * Drops a revoked API key's query role (`k<id>`), ending its sessions first. Nothing happens when the
 * key never ran a query.
 */
export async function dropCallerRole(db: pg.Pool, caller: string): Promise<void> {
  const role = callerRoleName((await currentReaderRoles(db)).query, caller);
  await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
  await db.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
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

/**
 * A role's starting settings. `client_connection_check_interval` lets PostgreSQL notice a client that
 * went away while a query is still computing (not only when it next writes). temp_file_limit needs a
 * superuser: with a DATABASE_URL whose user is not one it is left out, and the answer says so.
 */
export async function limitRole(db: pg.Pool | pg.ClientBase, role: string, l: RoleLimits): Promise<string[]> {
  const r = quoteIdent(role);
  await db.query(`ALTER ROLE ${r} CONNECTION LIMIT ${l.connections}`);
  const settings: [string, string][] = [
    ['statement_timeout', `${l.statementTimeoutSeconds}s`],
    ['idle_in_transaction_session_timeout', `${l.idleInTransactionSeconds}s`],
    ['work_mem', `${l.workMemMb}MB`],
    ['client_connection_check_interval', '5s'],
    ['temp_file_limit', `${l.tempFileLimitMb}MB`],
  ];
  const skipped: string[] = [];
  for (const [name, value] of settings) {
    try {
      await db.query(`ALTER ROLE ${r} SET ${name} = ${literal(value)}`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42501') throw err;
      skipped.push(name);
    }
  }
  return skipped;
}

/**
 * A login role of the readers' group with `password` and the limits, made when missing and brought to
 * this state when it exists (so a changed limit reaches roles made before).
 */
export async function ensureLoginRole(
  db: pg.Pool | pg.ClientBase,
  role: string,
  password: string,
  limits: RoleLimits,
): Promise<void> {
  const { group } = await currentReaderRoles(db);
  await createRoleIfMissing(db, role, 'LOGIN');
  await db.query(
    `ALTER ROLE ${quoteIdent(role)} WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${literal(password)}`,
  );
  await db.query(`GRANT ${quoteIdent(group)} TO ${quoteIdent(role)}`);
  await limitRole(db, role, limits);
}

/**
 * Functions every role may call by default that let a reader write, signal or hold what exact-sync
 * needs: advisory locks (a reader holding the migration lock stalled every start), NOTIFY, WAL
 * messages (95 MB of WAL in half a second from a "read-only" query), large objects, and set_config
 * (which lifts work_mem or the timeout from inside a query). Revoked from PUBLIC, so only superusers
 * (exact-sync's own role on the embedded server) keep them. Names, not signatures: every overload of
 * every PostgreSQL version goes.
 */
export const REVOKED_FROM_READERS = [
  'pg_advisory_lock',
  'pg_advisory_lock_shared',
  'pg_try_advisory_lock',
  'pg_try_advisory_lock_shared',
  'pg_advisory_xact_lock',
  'pg_advisory_xact_lock_shared',
  'pg_try_advisory_xact_lock',
  'pg_try_advisory_xact_lock_shared',
  'pg_advisory_unlock',
  'pg_advisory_unlock_shared',
  'pg_advisory_unlock_all',
  'pg_notify',
  'pg_logical_emit_message',
  'set_config',
  'lo_creat',
  'lo_create',
  'lo_from_bytea',
  'lo_put',
  'lo_unlink',
  'lo_open',
  'lowrite',
  'lo_truncate',
  'lo_truncate64',
];

/**
 * Takes from PUBLIC, in this database, what readers must not have: the functions above and TEMPORARY
 * (temporary tables are disk no temp_file_limit bounds). Only a superuser may (the functions belong to
 * the bootstrap superuser); otherwise nothing changes and `why` says what that leaves open.
 */
export async function hardenDatabase(db: pg.Pool): Promise<{ ok: true } | { ok: false; why: string }> {
  const { rows } = await db.query<{ superuser: boolean; db: string }>(
    'SELECT rolsuper AS superuser, current_database() AS db FROM pg_roles WHERE rolname = current_user',
  );
  if (!rows[0]?.superuser)
    return {
      ok: false,
      why: "exact-sync's database user is not a superuser, so readers keep PostgreSQL's default functions (advisory locks, pg_notify, set_config) and temporary tables; exact-sync's own locks wait at most a bounded time and name who holds them. A superuser can revoke them from PUBLIC (docs/security.md lists them).",
    };
  const { rows: fns } = await db.query<{ fn: string }>(
    `SELECT p.oid::regprocedure::text AS fn FROM pg_proc p
      WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY ($1)`,
    [REVOKED_FROM_READERS],
  );
  for (const { fn } of fns) await db.query(`REVOKE EXECUTE ON FUNCTION ${fn} FROM PUBLIC`);
  await db.query(`REVOKE TEMPORARY ON DATABASE ${quoteIdent(rows[0].db)} FROM PUBLIC`);
  return { ok: true };
}
