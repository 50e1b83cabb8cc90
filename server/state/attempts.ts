import type pg from 'pg';

/**
 * SQL over exact_sync.table_syncs: how each table's last attempt in a division ended, for the scheduler
 * (what is due, and the back-off after failures).
 */

export interface TableAttempt {
  connectionId: number;
  division: number;
  table: string;
  lastAttemptAt: Date;
  lastStatus: 'succeeded' | 'failed';
  failures: number;
}

type Db = pg.Pool | pg.ClientBase;

/** Records an attempt that started at `at`: a success resets the failure count, a failure adds one. */
export async function recordAttempt(
  db: Db,
  connectionId: number,
  division: number,
  table: string,
  at: Date,
  ok: boolean,
): Promise<void> {
  await db.query(
    `INSERT INTO exact_sync.table_syncs (connection_id, division, table_name, last_attempt_at, last_status, last_success_at, failures)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN $4::timestamptz END, CASE WHEN $6 THEN 0 ELSE 1 END)
     ON CONFLICT (connection_id, division, table_name) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, last_status = excluded.last_status,
       last_success_at = coalesce(excluded.last_success_at, exact_sync.table_syncs.last_success_at),
       failures = CASE WHEN $6 THEN 0 ELSE exact_sync.table_syncs.failures + 1 END`,
    [connectionId, division, table, at, ok ? 'succeeded' : 'failed', ok],
  );
}

/** The last attempts of the connections' tables, of one division when `division` is given. */
export async function tableAttempts(
  db: Db,
  connectionIds: readonly number[],
  division?: number,
): Promise<TableAttempt[]> {
  const { rows } = await db.query<{
    connection_id: number;
    division: number;
    table_name: string;
    last_attempt_at: Date;
    last_status: 'succeeded' | 'failed';
    failures: number;
  }>(
    `SELECT connection_id, division, table_name, last_attempt_at, last_status, failures FROM exact_sync.table_syncs
     WHERE connection_id = ANY ($1::int[]) AND ($2::int IS NULL OR division = $2)`,
    [[...connectionIds], division ?? null],
  );
  return rows.map((r) => ({
    connectionId: r.connection_id,
    division: r.division,
    table: r.table_name,
    lastAttemptAt: r.last_attempt_at,
    lastStatus: r.last_status,
    failures: r.failures,
  }));
}

/** Forgets every attempt of the connection: all its tables are due. */
export async function forgetAttempts(db: Db, connectionId: number): Promise<void> {
  await db.query('DELETE FROM exact_sync.table_syncs WHERE connection_id = $1', [connectionId]);
}
