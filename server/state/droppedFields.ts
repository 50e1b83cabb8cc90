import type pg from 'pg';
import type { DroppedField } from './types.ts';

/**
 * SQL over exact_sync.dropped_fields: fields Exact answered an endpoint does not have (docs/exact-online.md
 * 13). A sync leaves them out of that endpoint's `$select` until they are retried: by hand
 * (`exact-sync fields --retry`, the console), or by themselves a week after they were dropped.
 */

type Db = pg.Pool | pg.ClientBase;

/** How long a dropped field is left out before it is asked for again (Exact may bring it back). */
export const RETRY_DROPPED_AFTER_MS = 7 * 24 * 3600_000;

/** Endpoint (lower case) → fields left out of its `$select` now, for one connection. */
export async function fieldsLeftOut(db: Db, connectionId: number, now: Date): Promise<Map<string, Set<string>>> {
  const { rows } = await db.query<{ endpoint: string; field: string }>(
    `SELECT endpoint, field FROM exact_sync.dropped_fields WHERE connection_id = $1 AND dropped_at > $2`,
    [connectionId, new Date(now.getTime() - RETRY_DROPPED_AFTER_MS)],
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const key = r.endpoint.toLowerCase();
    const set = out.get(key) ?? new Set<string>();
    set.add(r.field);
    out.set(key, set);
  }
  return out;
}

export async function recordDroppedField(
  db: Db,
  connectionId: number,
  endpoint: string,
  field: string,
  message: string,
  at: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO exact_sync.dropped_fields (connection_id, endpoint, field, message, dropped_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (connection_id, endpoint, field) DO UPDATE SET message = excluded.message, dropped_at = excluded.dropped_at`,
    [connectionId, endpoint, field, message, at],
  );
}

/** Every dropped field of a connection (or of all), newest first, for the console, the API and the CLI. */
export async function listDroppedFields(
  db: Db,
  connectionId?: number,
): Promise<(DroppedField & { connectionId: number })[]> {
  const { rows } = await db.query<{
    connection_id: number;
    endpoint: string;
    field: string;
    message: string;
    dropped_at: Date;
  }>(
    `SELECT connection_id, endpoint, field, message, dropped_at FROM exact_sync.dropped_fields
     WHERE $1::int IS NULL OR connection_id = $1 ORDER BY dropped_at DESC, endpoint, field`,
    [connectionId ?? null],
  );
  return rows.map((r) => ({
    connectionId: r.connection_id,
    endpoint: r.endpoint,
    field: r.field,
    message: r.message,
    droppedAt: r.dropped_at,
  }));
}

/** Asks for dropped fields again from the next run on; how many were forgotten. */
export async function retryDroppedFields(db: Db, connectionId: number, endpoint?: string): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM exact_sync.dropped_fields WHERE connection_id = $1 AND ($2::text IS NULL OR lower(endpoint) = lower($2))`,
    [connectionId, endpoint ?? null],
  );
  return rowCount ?? 0;
}
