import type pg from 'pg';
import { AppError } from '../lib/errors.ts';
import type { ConnectionState, DivisionsMode, ConnectionInfo, DroppedField } from './types.ts';
export type { ConnectionState, DivisionsMode, ConnectionInfo, DroppedField };

/** SQL over exact_sync.connections: what the console, the API and the CLI show and change. */

interface Row {
  id: number;
  country: string;
  base_url: string;
  exact_user_name: string | null;
  state: ConnectionState;
  state_message: string | null;
  warehouse_schema: string;
  start_year: number | null;
  divisions_mode: DivisionsMode;
  created_at: Date;
  divisions: number;
  divisions_enabled: number;
  last_sync_at: Date | null;
  running: number;
  dropped_fields: { endpoint: string; field: string; message: string; dropped_at: string }[];
}

const SELECT = `
  SELECT c.id, c.country, c.base_url, c.exact_user_name, c.state, c.state_message, c.warehouse_schema, c.start_year, c.divisions_mode, c.created_at,
    (SELECT count(*)::int FROM exact_sync.divisions d WHERE d.connection_id = c.id AND d.active) AS divisions,
    (SELECT count(*)::int FROM exact_sync.divisions d WHERE d.connection_id = c.id AND d.active AND (c.divisions_mode = 'all' OR d.sync_enabled)) AS divisions_enabled,
    (SELECT max(r.finished_at) FROM exact_sync.runs r WHERE r.connection_id = c.id AND r.status = 'succeeded') AS last_sync_at,
    (SELECT count(*)::int FROM exact_sync.runs r WHERE r.connection_id = c.id AND r.status = 'running') AS running,
    (SELECT coalesce(json_agg(json_build_object('endpoint', f.endpoint, 'field', f.field, 'message', f.message, 'dropped_at', f.dropped_at)
       ORDER BY f.endpoint, f.field), '[]') FROM exact_sync.dropped_fields f WHERE f.connection_id = c.id) AS dropped_fields
  FROM exact_sync.connections c`;

const toInfo = (r: Row): ConnectionInfo => ({
  id: r.id,
  country: r.country,
  baseUrl: r.base_url,
  exactUserName: r.exact_user_name,
  state: r.state,
  stateMessage: r.state_message,
  warehouseSchema: r.warehouse_schema,
  startYear: r.start_year,
  divisionsMode: r.divisions_mode,
  createdAt: r.created_at,
  divisions: r.divisions,
  divisionsEnabled: r.divisions_enabled,
  lastSyncAt: r.last_sync_at,
  running: r.running,
  queued: 0,
  nextSyncAt: null,
  droppedFields: r.dropped_fields.map((f) => ({
    endpoint: f.endpoint,
    field: f.field,
    message: f.message,
    droppedAt: new Date(f.dropped_at),
  })),
});

export async function listConnections(db: pg.Pool): Promise<ConnectionInfo[]> {
  const { rows } = await db.query<Row>(`${SELECT} ORDER BY c.id`);
  return rows.map(toInfo);
}

export async function getConnection(db: pg.Pool | pg.PoolClient, id: number): Promise<ConnectionInfo> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE c.id = $1`, [id]);
  if (!rows[0]) throw new AppError('connection_not_found', `There is no connection ${id}.`, { status: 404 });
  return toInfo(rows[0]);
}

export interface ConnectionChanges {
  startYear?: number | null;
  /** false pauses the connection (no scheduled syncs); true makes a paused one active again. */
  enabled?: boolean;
}

export async function updateConnection(db: pg.Pool, id: number, changes: ConnectionChanges): Promise<ConnectionInfo> {
  const current = await getConnection(db, id);
  if (changes.enabled === true && current.state === 'reauth_required') {
    throw new AppError(
      'reauth_required',
      'This connection lost its consent at Exact; reconnect it (Reconnect in the console, or /connect/exact) to make it active again.',
      { status: 409 },
    );
  }
  const state =
    changes.enabled === undefined
      ? current.state
      : changes.enabled
        ? 'active'
        : current.state === 'reauth_required'
          ? 'reauth_required'
          : 'disabled';
  await db.query(
    `UPDATE exact_sync.connections SET start_year = $2, state = $3, state_message = CASE WHEN $3 = 'disabled' THEN 'Paused by an admin.' WHEN $3 = 'active' THEN NULL ELSE state_message END, updated_at = now() WHERE id = $1`,
    [id, changes.startYear === undefined ? current.startYear : changes.startYear, state],
  );
  return getConnection(db, id);
}

/** Removes the connection, its tokens and its settings. The warehouse tables and their rows stay. */
export async function deleteConnection(db: pg.Pool, id: number): Promise<void> {
  const { rowCount } = await db.query('DELETE FROM exact_sync.connections WHERE id = $1', [id]);
  if (!rowCount) throw new AppError('connection_not_found', `There is no connection ${id}.`, { status: 404 });
}

/**
 * The warehouse a query reads: the given connection's schema, or without one the first connection's, or
 * the default schema when there is no connection yet. A connection that does not exist is a 404.
 */
export async function warehouseOf(
  db: pg.Pool,
  connectionId: number | null | undefined,
): Promise<{ connectionId: number | null; schema: string }> {
  const { rows } = await db.query<{ id: number; warehouse_schema: string }>(
    'SELECT id, warehouse_schema FROM exact_sync.connections WHERE ($1::int IS NULL OR id = $1) ORDER BY id LIMIT 1',
    [connectionId ?? null],
  );
  if (connectionId != null && !rows[0])
    throw new AppError('connection_not_found', `There is no connection ${connectionId}.`, { status: 404 });
  return { connectionId: rows[0]?.id ?? null, schema: rows[0]?.warehouse_schema ?? 'exact_online' };
}

type Db = pg.Pool | pg.ClientBase;

/** What a sync run needs of its connection. */
export interface ConnectionRow {
  id: number;
  start_year: number | null;
  country: string;
  base_url: string;
  warehouse_schema: string;
  state: string;
  state_message: string | null;
  divisions_listed_at: Date | null;
}

export async function loadConnection(db: Db, connectionId: number): Promise<ConnectionRow> {
  const { rows } = await db.query<ConnectionRow>(
    `SELECT id, country, base_url, warehouse_schema, state, state_message, start_year, divisions_listed_at
     FROM exact_sync.connections WHERE id = $1`,
    [connectionId],
  );
  if (!rows[0])
    throw new AppError(
      'connection_not_found',
      `There is no connection ${connectionId}. List them with: exact-sync connections`,
      { status: 404 },
    );
  return rows[0];
}

/**
 * A connection to `baseUrl` made without the consent flow, for a caller that brings tokens of its own
 * (the benchmarks, which authorize against their sandbox directly); its id.
 */
export async function createConnection(db: Db, country: string, baseUrl: string): Promise<number> {
  const { rows } = await db.query<{ id: number }>(
    'INSERT INTO exact_sync.connections (country, base_url) VALUES ($1, $2) RETURNING id',
    [country, baseUrl],
  );
  return rows[0]!.id;
}

/** The ids of the active connections, in order. */
/** A note on an active connection (Exact's clock differs from the zone assumed), shown with its state; null clears it. */
export async function setConnectionNote(db: Db, id: number, note: string | null): Promise<void> {
  await db.query(
    `UPDATE exact_sync.connections SET state_message = $2, updated_at = now() WHERE id = $1 AND state = 'active'`,
    [id, note],
  );
}

export async function activeConnectionIds(db: Db): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT id FROM exact_sync.connections WHERE state = 'active' ORDER BY id`,
  );
  return rows.map((r) => r.id);
}

/** When the connection's division list was last read from Exact (null: never, or forgotten). */
export async function divisionsListedAt(db: Db, connectionId: number): Promise<Date | null> {
  const { rows } = await db.query<{ divisions_listed_at: Date | null }>(
    'SELECT divisions_listed_at FROM exact_sync.connections WHERE id = $1',
    [connectionId],
  );
  return rows[0]?.divisions_listed_at ?? null;
}

export async function setDivisionsListedAt(db: Db, connectionId: number, at: Date | null): Promise<void> {
  await db.query('UPDATE exact_sync.connections SET divisions_listed_at = $2 WHERE id = $1', [connectionId, at]);
}

/**
 * The connection of the Exact user who consented on `baseUrl`: a new one, or — the same user again — the
 * existing one with its settings kept (Exact keeps one live token chain per user and app). A new
 * connection gets its own warehouse schema: the first `exact_online`, later ones `exact_online_<id>`.
 */
export async function saveConsentedConnection(
  db: Db,
  consent: { country: string; baseUrl: string; userId: string; userName: string; startYear: number | null },
): Promise<{ id: number; inserted: boolean }> {
  const { rows } = await db.query<{ id: number; inserted: boolean }>(
    `INSERT INTO exact_sync.connections (country, base_url, exact_user_id, exact_user_name, start_year, divisions_mode)
     VALUES ($1, $2, $3, $4, $5, 'selected')
     ON CONFLICT (base_url, exact_user_id) DO UPDATE SET country = excluded.country, exact_user_name = excluded.exact_user_name,
       start_year = coalesce(excluded.start_year, exact_sync.connections.start_year), updated_at = now()
     RETURNING id, (xmax = 0) AS inserted`,
    [consent.country, consent.baseUrl, consent.userId, consent.userName, consent.startYear],
  );
  const { id, inserted } = rows[0]!;
  if (inserted) {
    await db.query(
      `UPDATE exact_sync.connections SET warehouse_schema = CASE WHEN EXISTS (SELECT 1 FROM exact_sync.connections o WHERE o.id <> $1 AND o.warehouse_schema = 'exact_online')
         THEN 'exact_online_' || $1 ELSE 'exact_online' END WHERE id = $1`,
      [id],
    );
  }
  return { id, inserted };
}

/**
 * Demo mode's one connection to the built-in sandbox, kept across starts with its choices and pointed
 * at this start's sandbox address; other connections of the demo user are removed. `existing` says
 * whether it was kept (its cursors then belong to data the new sandbox no longer has).
 */
export async function adoptDemoConnection(
  db: Db,
  userId: string,
  baseUrl: string,
): Promise<{ id: number; existing: boolean }> {
  const { rows: found } = await db.query<{ id: number }>(
    'SELECT id FROM exact_sync.connections WHERE exact_user_id = $1 ORDER BY id',
    [userId],
  );
  const keep = found[0]?.id;
  await db.query('DELETE FROM exact_sync.connections WHERE exact_user_id = $1 AND id <> $2', [userId, keep ?? 0]);
  if (keep !== undefined) {
    await db.query(
      'UPDATE exact_sync.connections SET base_url = $2, divisions_listed_at = NULL, updated_at = now() WHERE id = $1',
      [keep, baseUrl],
    );
    return { id: keep, existing: true };
  }
  const { rows } = await db.query<{ id: number }>(
    `INSERT INTO exact_sync.connections (country, base_url, exact_user_id, exact_user_name)
     VALUES ('nl', $1, $2, 'demo (built-in sandbox)') RETURNING id`,
    [baseUrl, userId],
  );
  return { id: rows[0]!.id, existing: false };
}

/** The warehouse schemas that exist: the default one and every connection's. */
export async function warehouseSchemas(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ schema: string }>(
    `SELECT nspname AS schema FROM pg_namespace
     WHERE nspname = 'exact_online' OR nspname IN (SELECT warehouse_schema FROM exact_sync.connections) ORDER BY 1`,
  );
  return rows.map((r) => r.schema);
}

/**
 * What a write to Exact needs of the connection: its host and state, and whether `division` is one its
 * Exact user reaches (active in exact_sync.divisions).
 */
export async function writeTarget(
  db: Db,
  connectionId: number,
  division: number,
): Promise<{ baseUrl: string; state: string; reachesDivision: boolean }> {
  const { rows } = await db.query<{ base_url: string; state: string; known: boolean }>(
    `SELECT c.base_url, c.state, EXISTS (SELECT 1 FROM exact_sync.divisions d WHERE d.connection_id = c.id AND d.division = $2 AND d.active) AS known
     FROM exact_sync.connections c WHERE c.id = $1`,
    [connectionId, division],
  );
  const c = rows[0];
  if (!c) throw new AppError('connection_not_found', `There is no connection ${connectionId}.`, { status: 404 });
  return { baseUrl: c.base_url, state: c.state, reachesDivision: c.known };
}
