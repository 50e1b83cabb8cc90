import { REPORTS_SCHEMA } from './types.ts';
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { warehouseSchemas } from '../state/connections.ts';
import {
  createRoleIfMissing,
  currentReaderRoles,
  DEFAULT_READER_LIMITS,
  grantWarehouseSchema,
  hardenDatabase,
  limitRole,
  literal,
  type RoleLimits,
} from '../db/roles.ts';
import { quoteIdent } from '../db/sql.ts';
import { inTransaction } from '../db/tx.ts';
import { AppError } from '../lib/errors.ts';

/**
 * BI users: PostgreSQL login roles for Power BI, Metabase, psql. Each is a member of the warehouse
 * readers' group (server/db/roles.ts): it reads every warehouse schema, tables made later included, and
 * nothing of exact_sync; it cannot write or create (no privilege to, and its sessions start read-only).
 * The password is random, shown once, and not kept.
 */

export interface BiUser {
  id: number;
  name: string;
  roleName: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface BiCredentials extends BiUser {
  password: string;
}

const NAME = /^[a-z][a-z0-9_]{0,39}$/;

export function biRoleName(name: string): string {
  return `bi_${name}`;
}

export async function createBiUser(
  db: pg.Pool,
  name: string,
  limits: RoleLimits = DEFAULT_READER_LIMITS.bi,
): Promise<BiCredentials> {
  if (!NAME.test(name)) {
    throw new AppError(
      'invalid_name',
      `A BI user's name is 1 to 40 lower-case letters, digits or _, starting with a letter (got ${JSON.stringify(name)}); it becomes the login bi_<name>.`,
      { status: 400 },
    );
  }
  const roleName = biRoleName(name);
  const { rows: taken } = await db.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [roleName]);
  if (taken.length)
    throw new AppError(
      'name_taken',
      `A PostgreSQL role ${roleName} already exists; choose another name (or revoke that BI user first).`,
      { status: 409 },
    );
  const password = randomBytes(18).toString('base64url');
  const { group } = await currentReaderRoles(db);
  await createRoleIfMissing(db, group, 'NOLOGIN');
  for (const schema of await warehouseSchemas(db)) await grantWarehouseSchema(db, schema);
  await hardenDatabase(db);
  return inTransaction(db, async (tx) => {
    await tx.query(
      `CREATE ROLE ${quoteIdent(roleName)} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${literal(password)} IN ROLE ${quoteIdent(group)}`,
    );
    // Sessions start read-only; the role has no privilege to write anyway. Its limits as for every reader.
    await tx.query(`ALTER ROLE ${quoteIdent(roleName)} SET default_transaction_read_only = on`);
    await limitRole(tx, roleName, limits);
    const { rows: db_ } = await tx.query<{ db: string }>('SELECT current_database() AS db');
    await tx.query(
      `ALTER ROLE ${quoteIdent(roleName)} IN DATABASE ${quoteIdent(db_[0]!.db)} SET search_path = exact_online, ${REPORTS_SCHEMA}, public`,
    );
    const { rows } = await tx.query<{ id: number; created_at: Date }>(
      'INSERT INTO exact_sync.bi_users (name, role_name) VALUES ($1, $2) RETURNING id, created_at',
      [name, roleName],
    );
    return { id: rows[0]!.id, name, roleName, createdAt: rows[0]!.created_at, revokedAt: null, password };
  });
}

export async function listBiUsers(db: pg.Pool): Promise<BiUser[]> {
  const { rows } = await db.query<{
    id: number;
    name: string;
    role_name: string;
    created_at: Date;
    revoked_at: Date | null;
  }>('SELECT id, name, role_name, created_at, revoked_at FROM exact_sync.bi_users ORDER BY id');
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    roleName: r.role_name,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}

/** Drops the role (its open sessions are ended first) and marks the BI user revoked. */
export async function revokeBiUser(db: pg.Pool, id: number): Promise<BiUser> {
  const { rows } = await db.query<{ role_name: string; revoked_at: Date | null }>(
    'SELECT role_name, revoked_at FROM exact_sync.bi_users WHERE id = $1',
    [id],
  );
  const row = rows[0];
  if (!row)
    throw new AppError('bi_user_not_found', `There is no BI user ${id}. List them with: exact-sync bi-user list`, {
      status: 404,
    });
  if (!row.revoked_at) {
    await db.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [row.role_name]);
    await db.query(`DROP ROLE IF EXISTS ${quoteIdent(row.role_name)}`);
    await db.query('UPDATE exact_sync.bi_users SET revoked_at = now() WHERE id = $1', [id]);
  }
  return (await listBiUsers(db)).find((u) => u.id === id)!;
}

/** The connection URL a BI tool (or psql) takes for a user at an address. */
export function loginUrl(
  address: { host: string; port: number; database: string },
  u: { roleName: string; password: string },
): string {
  return `postgres://${u.roleName}:${encodeURIComponent(u.password)}@${address.host}:${address.port}/${encodeURIComponent(address.database)}`;
}

/**
 * What to tell whoever sets up a BI tool when the database address is this machine's own: with the
 * embedded PostgreSQL, PG_LISTEN opens it to others; with DATABASE_URL, that server's own settings do.
 */
export function reachNote(address: { host: string }, embedded: boolean): string | undefined {
  if (!['127.0.0.1', 'localhost', '::1'].includes(address.host)) return undefined;
  return embedded
    ? 'The embedded PostgreSQL listens on this machine only: set PG_LISTEN (e.g. 0.0.0.0) for BI tools elsewhere (see the README).'
    : `The database (DATABASE_URL) is addressed as ${address.host}: BI tools on other machines need its network name, and that PostgreSQL server must accept them (listen_addresses, pg_hba.conf).`;
}
