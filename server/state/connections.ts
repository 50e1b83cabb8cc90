import type pg from 'pg';
import { AppError } from '../lib/errors.ts';
import type { ConnectionState, DivisionsMode, ConnectionInfo } from './types.ts';
export type { ConnectionState, DivisionsMode, ConnectionInfo };

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
}

const SELECT = `
  SELECT c.id, c.country, c.base_url, c.exact_user_name, c.state, c.state_message, c.warehouse_schema, c.start_year, c.divisions_mode, c.created_at,
    (SELECT count(*)::int FROM exact_sync.divisions d WHERE d.connection_id = c.id AND d.active) AS divisions,
    (SELECT count(*)::int FROM exact_sync.divisions d WHERE d.connection_id = c.id AND d.active AND (c.divisions_mode = 'all' OR d.sync_enabled)) AS divisions_enabled,
    (SELECT max(r.finished_at) FROM exact_sync.runs r WHERE r.connection_id = c.id AND r.status = 'succeeded') AS last_sync_at,
    (SELECT count(*)::int FROM exact_sync.runs r WHERE r.connection_id = c.id AND r.status = 'running') AS running
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
