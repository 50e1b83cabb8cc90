import { createHash } from 'node:crypto';
import type pg from 'pg';
import { AppError } from '../lib/errors.ts';

/**
 * Every PostgreSQL advisory lock exact-sync takes, named in one place so no two uses can share a key.
 *
 * PostgreSQL keeps the one-key form (`pg_advisory_lock(bigint)`) and the two-key form
 * (`pg_advisory_lock(int, int)`) apart: they never block each other. The two-key locks here take a
 * namespace (four ASCII letters as an int) and an id inside it; the one-key locks are the migration run
 * and a division's sync run (connection id in the high half, division code in the low half).
 * pg-boss takes one-key locks of its own, derived from a SHA-224 of its schema name.
 */

/** Two-key namespaces: pg_advisory_*lock(namespace, id). Each value must be unique (tested). */
export const LOCK_NAMESPACES = {
  /** A connection's token refresh: one at a time across every process (id: connection id). */
  tokenRefresh: 0x45_58_54_4b, // "EXTK"
  /** Reading a connection's division list (id: connection id). */
  divisionsList: 0x45_58_44_4c, // "EXDL"
  /** DDL in a warehouse schema: CREATE SCHEMA/TABLE, ALTER TABLE (id: hashtext(schema)). */
  warehouseDdl: 0x45_58_44_44, // "EXDD"
} as const;

/** The migration run (one key): the first 8 bytes of sha256("exact_sync:migrations"). */
export const MIGRATIONS_LOCK_KEY: string = createHash('sha256')
  .update('exact_sync:migrations')
  .digest()
  .readBigInt64BE(0)
  .toString();

/** The one-key lock a division's sync run holds: connection id in the high 32 bits, division code in the low. */
export function divisionRunLockKey(connectionId: number, division: number): string {
  return ((BigInt(connectionId) << 32n) | BigInt(division)).toString();
}

/**
 * An advisory lock's key as SQL: the arguments of pg_[try_]advisory_[xact_]lock and the condition that
 * finds it in pg_locks (one-key locks: the bigint's halves in classid/objid, objsubid 1; two-key locks:
 * the two ints, objsubid 2). `values` are the query parameters both use.
 */
export interface LockKey {
  args: string;
  match: string;
  values: unknown[];
  /** For people: what the lock guards. */
  what: string;
}

export function oneKeyLock(key: string, what: string): LockKey {
  return {
    args: '$1::bigint',
    match:
      'l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1',
    values: [key],
    what,
  };
}

/** A two-key lock; `id` is an int, or text whose hashtext() is the id (the warehouse DDL lock). */
export function twoKeyLock(namespace: number, id: number | { hashtext: string }, what: string): LockKey {
  const idSql = typeof id === 'number' ? '$2::int' : 'hashtext($2)';
  return {
    args: `$1::int, ${idSql}`,
    match: `l.classid = $1::int::oid AND l.objid = (${idSql})::oid AND l.objsubid = 2`,
    values: [namespace, typeof id === 'number' ? id : id.hashtext],
    what,
  };
}

/** How long exact-sync waits for one of its locks before it says who holds it (never forever). */
export const LOCK_WAIT_MS = 120_000;

/**
 * Takes the lock on `client` (for the session, or for the transaction it is in), trying again with a
 * growing pause until `waitMs` passed: a lock exact-sync waits for may be held by anything that can
 * call the advisory-lock functions (readers cannot on the embedded server, where they are revoked; with
 * a DATABASE_URL they may), so the wait is bounded and the error says who holds it.
 */
export async function takeLock(
  client: pg.ClientBase,
  lock: LockKey,
  o: { scope: 'session' | 'transaction'; waitMs?: number },
): Promise<void> {
  const fn = o.scope === 'session' ? 'pg_try_advisory_lock' : 'pg_try_advisory_xact_lock';
  const until = Date.now() + (o.waitMs ?? LOCK_WAIT_MS);
  for (let pause = 20; ; pause = Math.min(1000, pause * 2)) {
    const { rows } = await client.query<{ got: boolean }>(`SELECT ${fn}(${lock.args}) AS got`, lock.values);
    if (rows[0]!.got) return;
    if (Date.now() >= until) throw await lockBusy(client, lock, o.waitMs ?? LOCK_WAIT_MS);
    await new Promise((r) => setTimeout(r, pause));
  }
}

export interface LockHolder {
  pid: number;
  /** "pid 123 (user bi_x, psql)" */
  description: string;
  /** Logged in as exact-sync's own database user (a sync, a migration), not as a reader. */
  ours: boolean;
}

/** Who holds `lock`, other sessions than this one. */
export async function lockHolders(db: pg.ClientBase | pg.Pool, lock: LockKey): Promise<LockHolder[]> {
  const { rows } = await db.query<{ pid: number; usename: string | null; app: string | null; ours: boolean }>(
    `SELECT l.pid, a.usename, a.application_name AS app, coalesce(a.usename = current_user, false) AS ours
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.pid <> pg_backend_pid() AND ${lock.match}`,
    lock.values,
  );
  return rows.map((r) => ({
    pid: r.pid,
    description: `pid ${r.pid}${r.usename ? ` (user ${r.usename}${r.app ? `, ${r.app}` : ''})` : ''}`,
    ours: r.ours,
  }));
}

async function lockBusy(client: pg.ClientBase, lock: LockKey, waitedMs: number): Promise<AppError> {
  const holders = (await lockHolders(client, lock)).map((h) => h.description).join(', ');
  return new AppError(
    'lock_busy',
    `Waited ${Math.round(waitedMs / 1000)} s for the lock on ${lock.what}, held by ${holders || 'a session that let go just now'}. If that is not exact-sync, end it: SELECT pg_terminate_backend(<pid>).`,
    { status: 503 },
  );
}

/**
 * `fn` while holding the session lock on a connection of its own, released afterwards even when `fn`
 * throws. Waits for the lock, at most LOCK_WAIT_MS.
 */
export async function withSessionLock<T>(
  pool: pg.Pool,
  lock: LockKey,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let held = false;
  try {
    await takeLock(client, lock, { scope: 'session' });
    held = true;
    return await fn(client);
  } finally {
    if (held) await client.query(`SELECT pg_advisory_unlock(${lock.args})`, lock.values).catch(() => undefined);
    client.release();
  }
}

/**
 * `fn` while holding the one-key session lock `key`, or `undefined` at once when another session holds it.
 */
export async function withTrySessionLock<T>(
  pool: pg.Pool,
  key: string,
  fn: () => Promise<T>,
): Promise<{ locked: true; value: T } | { locked: false }> {
  const client = await pool.connect();
  let locked = false;
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
      key,
    ]);
    locked = rows[0]!.locked;
    if (!locked) return { locked: false };
    return { locked: true, value: await fn() };
  } finally {
    if (locked) await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
    client.release();
  }
}
