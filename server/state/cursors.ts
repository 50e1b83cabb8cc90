import type pg from 'pg';

/**
 * SQL over exact_sync.sync_state: per connection, division and table, where the next incremental read
 * starts (a Timestamp, a Modified date, or Exact's `__next` link), how many rows it has synced in all and
 * when it last synced. A cursor is written in the same transaction as the rows it covers.
 */

type Db = pg.Pool | pg.ClientBase;

export async function readCursor(
  db: Db,
  connectionId: number,
  division: number,
  table: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ cursor: string | null }>(
    'SELECT cursor FROM exact_sync.sync_state WHERE connection_id = $1 AND division = $2 AND table_name = $3',
    [connectionId, division, table],
  );
  return rows[0]?.cursor ?? undefined;
}

/** Moves the cursor and adds `rows` to the table's total; call it inside the page's transaction. */
export async function writeCursor(
  db: Db,
  connectionId: number,
  division: number,
  table: string,
  cursor: string | null,
  rows: number,
): Promise<void> {
  await db.query(
    `INSERT INTO exact_sync.sync_state (connection_id, division, table_name, cursor, rows_total, last_synced_at)
     VALUES ($1, $2, $3, $4, $5, now())
     ON CONFLICT (connection_id, division, table_name) DO UPDATE SET cursor = EXCLUDED.cursor,
       rows_total = exact_sync.sync_state.rows_total + EXCLUDED.rows_total, last_synced_at = now()`,
    [connectionId, division, table, cursor, rows],
  );
}

/**
 * Forgets cursors so the next run reads from the start: of every division of the connection, of one
 * division, or of some tables of one division.
 */
export async function forgetCursors(
  db: Db,
  connectionId: number,
  scope: { division?: number; tables?: readonly string[] } = {},
): Promise<void> {
  await db.query(
    `DELETE FROM exact_sync.sync_state WHERE connection_id = $1 AND ($2::int IS NULL OR division = $2)
       AND ($3::text[] IS NULL OR table_name = ANY ($3::text[]))`,
    [connectionId, scope.division ?? null, scope.tables ? [...scope.tables] : null],
  );
}

/** When each table of the connection last synced (any division). */
export async function lastSyncedByTable(db: Db, connectionId: number | null): Promise<Map<string, Date | null>> {
  const { rows } = await db.query<{ table_name: string; last: Date | null }>(
    'SELECT table_name, max(last_synced_at) AS last FROM exact_sync.sync_state WHERE connection_id = $1 GROUP BY table_name',
    [connectionId],
  );
  return new Map(rows.map((r) => [r.table_name, r.last]));
}

/** Per division of the connection: how many tables have synced and how many rows they synced in all. */
export async function syncedTotals(
  db: Db,
  connectionId: number,
): Promise<Map<number, { tables: number; rows: number }>> {
  const { rows } = await db.query<{ division: number; tables: number; rows: string }>(
    `SELECT division, count(*)::int AS tables, coalesce(sum(rows_total), 0)::text AS rows
     FROM exact_sync.sync_state WHERE connection_id = $1 GROUP BY division`,
    [connectionId],
  );
  return new Map(rows.map((r) => [r.division, { tables: r.tables, rows: Number(r.rows) }]));
}

/** When the table's keys in the division were last compared with Exact's (a key sweep or a full read). */
export async function readSweptAt(db: Db, connectionId: number, division: number, table: string): Promise<Date | null> {
  const { rows } = await db.query<{ swept_at: Date | null }>(
    'SELECT swept_at FROM exact_sync.sync_state WHERE connection_id = $1 AND division = $2 AND table_name = $3',
    [connectionId, division, table],
  );
  return rows[0]?.swept_at ?? null;
}

/** Records a key sweep (after the table's cursor row exists: the read that went before wrote it). */
export async function writeSweptAt(
  db: Db,
  connectionId: number,
  division: number,
  table: string,
  at: Date,
): Promise<void> {
  await db.query(
    'UPDATE exact_sync.sync_state SET swept_at = $4 WHERE connection_id = $1 AND division = $2 AND table_name = $3',
    [connectionId, division, table, at],
  );
}
