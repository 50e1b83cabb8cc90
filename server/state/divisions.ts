import type pg from 'pg';
import { AppError } from '../lib/errors.ts';
import type { DivisionsMode } from './connections.ts';
import type { ListedDivision, DivisionInfo } from './types.ts';
export type { ListedDivision, DivisionInfo };

/**
 * SQL over exact_sync.divisions: the administrations a connection reaches and which of them it syncs.
 * With divisions_mode 'all' every active division syncs, new ones included; with 'selected' only those
 * marked sync_enabled.
 */

/** Records the divisions Exact listed; ones no longer listed are kept but marked inactive. */
export async function saveDivisions(
  db: pg.Pool | pg.PoolClient,
  connectionId: number,
  listed: readonly ListedDivision[],
): Promise<void> {
  await db.query(
    `INSERT INTO exact_sync.divisions (connection_id, division, name, hid, is_current, active, seen_at)
     SELECT $1, d.division, d.name, d.hid, d.is_current, d.active, now()
     FROM jsonb_to_recordset($2::jsonb) AS d(division integer, name text, hid text, is_current boolean, active boolean)
     ON CONFLICT (connection_id, division) DO UPDATE SET name = excluded.name, hid = excluded.hid, is_current = excluded.is_current,
       active = excluded.active, seen_at = excluded.seen_at`,
    [
      connectionId,
      JSON.stringify(
        listed.map((d) => ({
          division: d.division,
          name: d.name,
          hid: d.hid,
          is_current: d.isCurrent,
          active: d.active,
        })),
      ),
    ],
  );
  await db.query(
    'UPDATE exact_sync.divisions SET active = false WHERE connection_id = $1 AND NOT (division = ANY ($2::int[]))',
    [connectionId, listed.map((d) => d.division)],
  );
}

export async function listDivisions(
  db: pg.Pool,
  connectionId: number,
  options: { search?: string } = {},
): Promise<DivisionInfo[]> {
  const search = options.search?.trim() ? `%${options.search.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const { rows } = await db.query<{
    division: number;
    name: string;
    hid: string | null;
    is_current: boolean;
    active: boolean;
    sync_enabled: boolean;
    last_sync_at: Date | null;
    paused_until: Date | null;
    run_id: string | null;
    run_status: string | null;
    run_started: Date | null;
    run_finished: Date | null;
    run_calls: number | null;
    run_error: string | null;
    daily_remaining: number | null;
    daily_reset_at: Date | null;
  }>(
    `SELECT d.division, d.name, d.hid, d.is_current, d.active, CASE WHEN d.paused_until > now() THEN d.paused_until END AS paused_until, (d.active AND (c.divisions_mode = 'all' OR d.sync_enabled)) AS sync_enabled,
       (SELECT max(r.finished_at) FROM exact_sync.runs r WHERE r.connection_id = d.connection_id AND r.division = d.division AND r.status = 'succeeded') AS last_sync_at,
       l.id AS run_id, l.status AS run_status, l.started_at AS run_started, l.finished_at AS run_finished, l.api_calls AS run_calls, l.error_message AS run_error,
       CASE WHEN l.daily_reset_at > now() THEN l.daily_remaining END AS daily_remaining, CASE WHEN l.daily_reset_at > now() THEN l.daily_reset_at END AS daily_reset_at
     FROM exact_sync.divisions d
     JOIN exact_sync.connections c ON c.id = d.connection_id
     LEFT JOIN LATERAL (SELECT * FROM exact_sync.runs r WHERE r.connection_id = d.connection_id AND r.division = d.division ORDER BY r.started_at DESC LIMIT 1) l ON true
     WHERE d.connection_id = $1 AND ($2::text IS NULL OR d.name ILIKE $2 OR d.division::text LIKE $2)
     ORDER BY d.active DESC, d.is_current DESC, d.name, d.division`,
    [connectionId, search],
  );
  return rows.map((r) => ({
    division: r.division,
    name: r.name,
    hid: r.hid,
    isCurrent: r.is_current,
    active: r.active,
    syncEnabled: r.sync_enabled,
    lastSyncAt: r.last_sync_at,
    lastRun:
      r.run_id === null
        ? null
        : {
            id: Number(r.run_id),
            status: r.run_status!,
            startedAt: r.run_started!,
            finishedAt: r.run_finished,
            apiCalls: r.run_calls ?? 0,
            errorMessage: r.run_error,
          },
    syncing: r.run_status === 'running',
    queued: false,
    pausedUntil: r.paused_until,
    nextSyncAt: null,
    apiCallsLeftToday: r.daily_remaining,
    dailyResetAt: r.daily_reset_at,
  }));
}

export type DivisionSelection = { mode: 'all' } | { mode: 'selected'; divisions: readonly number[] };

/** Sets which divisions sync: all of them (new ones too), or exactly the listed ones. */
export async function selectDivisions(
  db: pg.Pool | pg.PoolClient,
  connectionId: number,
  selection: DivisionSelection,
): Promise<void> {
  if (selection.mode === 'selected') {
    const { rows } = await db.query<{ division: number }>(
      'SELECT division FROM exact_sync.divisions WHERE connection_id = $1',
      [connectionId],
    );
    const known = new Set(rows.map((r) => r.division));
    const unknown = selection.divisions.filter((d) => !known.has(d));
    if (unknown.length)
      throw new AppError(
        'unknown_division',
        `Connection ${connectionId} has no division ${unknown.join(', ')}; its divisions are listed at GET /api/v1/connections/${connectionId}/divisions.`,
        { status: 400 },
      );
    await db.query(
      'UPDATE exact_sync.divisions SET sync_enabled = (division = ANY ($2::int[])) WHERE connection_id = $1',
      [connectionId, selection.divisions],
    );
  }
  const { rowCount } = await db.query(
    'UPDATE exact_sync.connections SET divisions_mode = $2, updated_at = now() WHERE id = $1',
    [connectionId, selection.mode satisfies DivisionsMode],
  );
  if (!rowCount) throw new AppError('connection_not_found', `There is no connection ${connectionId}.`, { status: 404 });
}

/** Turns one division on or off; in mode 'all' this switches to 'selected' with every other division kept on. */
export async function setDivisionEnabled(
  db: pg.Pool,
  connectionId: number,
  division: number,
  enabled: boolean,
): Promise<void> {
  const { rows } = await db.query<{ division: number; sync_enabled: boolean; mode: DivisionsMode }>(
    `SELECT d.division, (d.active AND (c.divisions_mode = 'all' OR d.sync_enabled)) AS sync_enabled, c.divisions_mode AS mode
     FROM exact_sync.divisions d JOIN exact_sync.connections c ON c.id = d.connection_id WHERE d.connection_id = $1`,
    [connectionId],
  );
  if (!rows.some((r) => r.division === division))
    throw new AppError('division_not_found', `Connection ${connectionId} has no division ${division}.`, {
      status: 404,
    });
  const on = new Set(rows.filter((r) => r.sync_enabled).map((r) => r.division));
  if (enabled) on.add(division);
  else on.delete(division);
  await selectDivisions(db, connectionId, { mode: 'selected', divisions: [...on] });
}

/** The divisions a sync of this connection covers now (active ones, by its selection). */
export async function enabledDivisions(db: pg.Pool, connectionId: number): Promise<number[]> {
  const { rows } = await db.query<{ division: number }>(
    `SELECT d.division FROM exact_sync.divisions d JOIN exact_sync.connections c ON c.id = d.connection_id
     WHERE d.connection_id = $1 AND d.active AND (c.divisions_mode = 'all' OR d.sync_enabled) ORDER BY d.division`,
    [connectionId],
  );
  return rows.map((r) => r.division);
}

/**
 * Every division that syncs — its connection active, the division active and selected — with the time
 * its spent daily budget holds it back until; `connectionId` limits it to one connection, `division` to
 * one division.
 */
export async function syncingDivisions(
  db: pg.Pool,
  filter: { connectionId?: number | undefined; division?: number | undefined } = {},
): Promise<{ connectionId: number; division: number; pausedUntil: Date | null }[]> {
  const { rows } = await db.query<{ connection_id: number; division: number; paused_until: Date | null }>(
    `SELECT d.connection_id, d.division, d.paused_until
     FROM exact_sync.divisions d JOIN exact_sync.connections c ON c.id = d.connection_id
     WHERE c.state = 'active' AND d.active AND (c.divisions_mode = 'all' OR d.sync_enabled)
       AND ($1::int IS NULL OR c.id = $1) AND ($2::int IS NULL OR d.division = $2)
     ORDER BY d.connection_id, d.division`,
    [filter.connectionId ?? null, filter.division ?? null],
  );
  return rows.map((r) => ({ connectionId: r.connection_id, division: r.division, pausedUntil: r.paused_until }));
}

/** Every division code the connection has listed (active or not). */
export async function divisionCodes(db: pg.Pool, connectionId: number): Promise<Set<number>> {
  const { rows } = await db.query<{ division: number }>(
    'SELECT division FROM exact_sync.divisions WHERE connection_id = $1',
    [connectionId],
  );
  return new Set(rows.map((r) => r.division));
}

/** Holds the division's scheduled syncs back until `until` (a spent daily budget); null lets them go. */
export async function setPausedUntil(
  db: pg.Pool | pg.ClientBase,
  connectionId: number,
  division: number,
  until: Date | null,
): Promise<void> {
  await db.query('UPDATE exact_sync.divisions SET paused_until = $3 WHERE connection_id = $1 AND division = $2', [
    connectionId,
    division,
    until,
  ]);
}
