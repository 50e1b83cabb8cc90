import { createHash } from 'node:crypto';
import type pg from 'pg';

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
 * `fn` while holding the session lock (namespace, id) on a connection of its own, released afterwards
 * even when `fn` throws. Waits for the lock.
 */
export async function withSessionLock<T>(
  pool: pg.Pool,
  namespace: number,
  id: number,
  fn: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1, $2)', [namespace, id]);
    return await fn(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock($1, $2)', [namespace, id]).catch(() => undefined);
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
