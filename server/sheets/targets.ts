import type pg from 'pg';
import type { SheetTarget } from './types.ts';
import type { sheets_v4 } from '@googleapis/sheets';
import { quoteIdent } from '../db/sql.ts';
import { AppError, isAppError, messageOf } from '../lib/errors.ts';
import { jsonEncoder } from '../query/formats.ts';
import type { QueryLimits, QueryRunner, ResultColumn } from '../query/runner.ts';
import { getSavedQuery } from '../query/savedQueries.ts';
import { warehouseOf } from '../state/connections.ts';
import { pruneSheetsBudget, sheetsWriteBudget } from '../state/sheetsBudget.ts';
import { pushToSheet } from './writeback.ts';

/** Sheets writeback targets (exact_sync.sheet_targets) and their pushes (exact_sync.sheet_pushes). */

export type { SheetTarget };

export interface TargetInput {
  name: string;
  spreadsheetId: string;
  sheetName: string;
  sourceKind: 'table' | 'query' | 'sql';
  source: string;
  connectionId?: number | null;
  frequencyMinutes?: number | null;
}

const SELECT = `SELECT t.*, p.id AS push_id, p.status AS push_status, p.started_at AS push_started, p.finished_at AS push_finished, p.rows AS push_rows, p.error_message AS push_error
  FROM exact_sync.sheet_targets t
  LEFT JOIN LATERAL (SELECT * FROM exact_sync.sheet_pushes p WHERE p.target_id = t.id ORDER BY p.id DESC LIMIT 1) p ON true`;

function toTarget(r: Record<string, any>): SheetTarget {
  return {
    id: r.id,
    name: r.name,
    spreadsheetId: r.spreadsheet_id,
    sheetName: r.sheet_name,
    sourceKind: r.source_kind,
    source: r.source,
    connectionId: r.connection_id,
    frequencyMinutes: r.frequency_minutes,
    enabled: r.enabled,
    lastPush: r.push_id
      ? {
          id: Number(r.push_id),
          status: r.push_status,
          startedAt: r.push_started,
          finishedAt: r.push_finished,
          rows: r.push_rows,
          error: r.push_error,
        }
      : null,
  };
}

export async function listTargets(db: pg.Pool): Promise<SheetTarget[]> {
  const { rows } = await db.query(`${SELECT} ORDER BY t.id`);
  return rows.map(toTarget);
}

export async function getTarget(db: pg.Pool, id: number): Promise<SheetTarget> {
  const { rows } = await db.query(`${SELECT} WHERE t.id = $1`, [id]);
  if (!rows[0]) throw new AppError('target_not_found', `There is no Sheets target ${id}.`, { status: 404 });
  return toTarget(rows[0]);
}

export async function createTarget(db: pg.Pool, t: TargetInput): Promise<SheetTarget> {
  try {
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO exact_sync.sheet_targets (name, spreadsheet_id, sheet_name, source_kind, source, connection_id, frequency_minutes)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [
        t.name,
        t.spreadsheetId,
        t.sheetName,
        t.sourceKind,
        t.source,
        t.connectionId ?? null,
        t.frequencyMinutes ?? null,
      ],
    );
    return getTarget(db, rows[0]!.id);
  } catch (err) {
    if ((err as { code?: string }).code === '23505')
      throw new AppError('name_taken', `A Sheets target is already named ${JSON.stringify(t.name)}.`, { status: 409 });
    if ((err as { code?: string }).code === '23514')
      throw new AppError(
        'invalid_target',
        `The target is not valid: ${messageOf(err)}. A spreadsheet id is the part of its URL after /d/.`,
        { status: 400 },
      );
    throw err;
  }
}

/** What a target may change: anything but its id; a new spreadsheet or sheet starts with no extent. */
export interface TargetPatch {
  name?: string;
  spreadsheetId?: string;
  sheetName?: string;
  frequencyMinutes?: number | null;
  enabled?: boolean;
}

export async function updateTarget(db: pg.Pool, id: number, p: TargetPatch): Promise<SheetTarget> {
  try {
    const { rowCount } = await db.query(
      `UPDATE exact_sync.sheet_targets SET
         name = coalesce($2, name),
         spreadsheet_id = coalesce($3, spreadsheet_id),
         sheet_name = coalesce($4, sheet_name),
         frequency_minutes = CASE WHEN $5 THEN $6::int ELSE frequency_minutes END,
         enabled = coalesce($7, enabled),
         -- What the last push covered belongs to the sheet it was written to.
         last_rows = CASE WHEN $3 IS DISTINCT FROM NULL AND $3 <> spreadsheet_id OR $4 IS DISTINCT FROM NULL AND $4 <> sheet_name THEN NULL ELSE last_rows END,
         last_columns = CASE WHEN $3 IS DISTINCT FROM NULL AND $3 <> spreadsheet_id OR $4 IS DISTINCT FROM NULL AND $4 <> sheet_name THEN NULL ELSE last_columns END
       WHERE id = $1`,
      [
        id,
        p.name ?? null,
        p.spreadsheetId ?? null,
        p.sheetName ?? null,
        p.frequencyMinutes !== undefined,
        p.frequencyMinutes ?? null,
        p.enabled ?? null,
      ],
    );
    if (!rowCount) throw new AppError('target_not_found', `There is no Sheets target ${id}.`, { status: 404 });
    return getTarget(db, id);
  } catch (err) {
    if ((err as { code?: string }).code === '23505')
      throw new AppError('name_taken', `A Sheets target is already named ${JSON.stringify(p.name)}.`, { status: 409 });
    throw err;
  }
}

export async function deleteTarget(db: pg.Pool, id: number): Promise<void> {
  const { rowCount } = await db.query('DELETE FROM exact_sync.sheet_targets WHERE id = $1', [id]);
  if (!rowCount) throw new AppError('target_not_found', `There is no Sheets target ${id}.`, { status: 404 });
}

/** Targets with a frequency whose last push started at least that long ago (or never), at `now`. */
export async function dueTargets(db: pg.Pool, now: Date): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    `SELECT t.id FROM exact_sync.sheet_targets t
     WHERE t.enabled AND t.frequency_minutes IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM exact_sync.sheet_pushes p WHERE p.target_id = t.id AND p.started_at > $1::timestamptz - make_interval(mins => t.frequency_minutes) + interval '30 seconds')`,
    [now],
  );
  return rows.map((r) => r.id);
}

export interface PushDeps {
  pool: pg.Pool;
  query: QueryRunner;
  limits: QueryLimits;
  /** The Sheets API client (a service account's); an Error says why there is none. */
  sheets: sheets_v4.Sheets | Error;
  /** SHEETS_WRITES_PER_MINUTE: the write budget all processes share (default 50, under Google's 60). */
  writesPerMinute?: number;
}

/** Runs the target's source under the read-only role, pushes it, and records the push (succeeded or why not). */
export async function pushTarget(
  deps: PushDeps,
  id: number,
  trigger: string,
): Promise<{ pushId: number; status: string; rows?: number; error?: string }> {
  const target = await getTarget(deps.pool, id);
  const { rows: made } = await deps.pool.query<{ id: string }>(
    'INSERT INTO exact_sync.sheet_pushes (target_id, trigger) VALUES ($1, $2) RETURNING id',
    [id, trigger],
  );
  const pushId = Number(made[0]!.id);
  try {
    if (deps.sheets instanceof Error) throw deps.sheets;
    const sql =
      target.sourceKind === 'table'
        ? `SELECT * FROM ${quoteIdent(target.source)}`
        : target.sourceKind === 'query'
          ? (await getSavedQuery(deps.pool, target.source)).sql
          : target.source;
    const { schema } = await warehouseOf(deps.pool, target.connectionId);
    let columns: readonly ResultColumn[] = [];
    const data: unknown[][] = [];
    let decode: ((v: string) => unknown)[] = [];
    await deps.query.run(
      { sql, schema, limits: deps.limits },
      {
        columns: (c) => {
          columns = c;
          decode = c.map((col) => {
            const enc = jsonEncoder(col.kind, col.type);
            return (v: string) => JSON.parse(enc(v)) as unknown;
          });
        },
        rows: (batch) => {
          for (const r of batch) data.push(r.map((v, i) => (v === null ? null : decode[i]!(v))));
        },
      },
    );
    const previous = (
      await deps.pool.query<{ last_rows: number | null; last_columns: number | null }>(
        'SELECT last_rows, last_columns FROM exact_sync.sheet_targets WHERE id = $1',
        [id],
      )
    ).rows[0];
    const out = await pushToSheet(
      deps.sheets,
      { spreadsheetId: target.spreadsheetId, sheet: target.sheetName },
      { columns: [...columns], rows: data },
      previous?.last_rows ? { rows: previous.last_rows, columns: previous.last_columns ?? 0 } : undefined,
      { budget: sheetsWriteBudget(deps.pool, deps.writesPerMinute ?? 50) },
    );
    await pruneSheetsBudget(deps.pool);
    await deps.pool.query('UPDATE exact_sync.sheet_targets SET last_rows = $2, last_columns = $3 WHERE id = $1', [
      id,
      out.rows + 1,
      out.columns,
    ]);
    await deps.pool.query(
      `UPDATE exact_sync.sheet_pushes SET status = 'succeeded', finished_at = now(), rows = $2, requests = $3, retries = $4 WHERE id = $1`,
      [pushId, out.rows, out.requests, out.retries],
    );
    return { pushId, status: 'succeeded', rows: out.rows };
  } catch (err) {
    const code = isAppError(err) ? err.code : 'push_failed';
    await deps.pool.query(
      `UPDATE exact_sync.sheet_pushes SET status = 'failed', finished_at = now(), error_code = $2, error_message = $3 WHERE id = $1`,
      [pushId, code, messageOf(err)],
    );
    return { pushId, status: 'failed', error: messageOf(err) };
  }
}

/** The target's last 100 pushes, newest first. */
export async function listPushes(pool: pg.Pool, targetId: number): Promise<Record<string, unknown>[]> {
  const { rows } = await pool.query<Record<string, unknown>>(
    `SELECT id, trigger, status, started_at AS "startedAt", finished_at AS "finishedAt", rows, requests, retries,
       error_code AS "errorCode", error_message AS "errorMessage"
     FROM exact_sync.sheet_pushes WHERE target_id = $1 ORDER BY id DESC LIMIT 100`,
    [targetId],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
