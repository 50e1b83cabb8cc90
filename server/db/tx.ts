import type pg from 'pg';

/**
 * `fn` in one transaction on one pooled connection: committed when it returns, rolled back when it
 * throws. `synchronousCommit: false` lets the commit return before the WAL flush — only for work that
 * is safe to redo after a power cut (a page and its cursor, committed together).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { synchronousCommit?: boolean } = {},
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    if (options.synchronousCommit === false) await client.query('SET LOCAL synchronous_commit = off');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
