import type pg from 'pg';
import { AppError } from '../lib/errors.ts';
import type { RunInfo, RunTableInfo } from './types.ts';
export type { RunInfo, RunTableInfo };

/** SQL over exact_sync.runs and run_tables: the history the console and the API show. */

interface Row {
  id: string;
  connection_id: number;
  division: number;
  division_name: string | null;
  trigger: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  api_calls: number;
  rows_inserted: string;
  rows_updated: string;
  rows_deleted: string;
  error_code: string | null;
  error_message: string | null;
}

const SELECT = `SELECT r.*, d.name AS division_name FROM exact_sync.runs r
  LEFT JOIN exact_sync.divisions d ON d.connection_id = r.connection_id AND d.division = r.division`;

const toInfo = (r: Row): RunInfo => ({
  id: Number(r.id),
  connectionId: r.connection_id,
  division: r.division,
  divisionName: r.division_name,
  trigger: r.trigger,
  status: r.status,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  apiCalls: r.api_calls,
  rowsInserted: Number(r.rows_inserted),
  rowsUpdated: Number(r.rows_updated),
  rowsDeleted: Number(r.rows_deleted),
  errorCode: r.error_code,
  errorMessage: r.error_message,
});

export interface RunFilter {
  connectionId?: number;
  division?: number;
  status?: string;
  /** Runs with an id below this one (paging back through history). */
  before?: number;
  limit?: number;
}

export async function listRuns(db: pg.Pool, filter: RunFilter = {}): Promise<RunInfo[]> {
  const { rows } = await db.query<Row>(
    `${SELECT} WHERE ($1::int IS NULL OR r.connection_id = $1) AND ($2::int IS NULL OR r.division = $2) AND ($3::text IS NULL OR r.status = $3)
       AND ($4::bigint IS NULL OR r.id < $4)
     ORDER BY r.id DESC LIMIT $5`,
    [
      filter.connectionId ?? null,
      filter.division ?? null,
      filter.status ?? null,
      filter.before ?? null,
      Math.min(filter.limit ?? 50, 500),
    ],
  );
  return rows.map(toInfo);
}

export async function getRun(db: pg.Pool, id: number): Promise<RunInfo & { tables: RunTableInfo[] }> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE r.id = $1`, [id]);
  if (!rows[0]) throw new AppError('run_not_found', `There is no run ${id}.`, { status: 404 });
  const { rows: tables } = await db.query<{
    table_name: string;
    status: string;
    rows: number;
    inserted: number;
    updated: number;
    deleted: number;
    pages: number;
    error_code: string | null;
    error_message: string | null;
  }>('SELECT * FROM exact_sync.run_tables WHERE run_id = $1 ORDER BY table_name', [id]);
  return {
    ...toInfo(rows[0]),
    tables: tables.map((t) => ({
      table: t.table_name,
      status: t.status,
      rows: t.rows,
      inserted: t.inserted,
      updated: t.updated,
      deleted: t.deleted,
      pages: t.pages,
      errorCode: t.error_code,
      errorMessage: t.error_message,
    })),
  };
}

type Db = pg.Pool | pg.ClientBase;

/** Runs of the division left 'running' by a process that died: marked interrupted (their lock died with them). */
export async function interruptStaleRuns(db: Db, connectionId: number, division: number): Promise<void> {
  await db.query(
    `UPDATE exact_sync.runs SET status = 'interrupted', finished_at = now(), error_code = 'interrupted',
       error_message = 'The process running this sync stopped before it finished; a later run went on from its last saved page.'
     WHERE connection_id = $1 AND division = $2 AND status = 'running'`,
    [connectionId, division],
  );
}

/** A new run of the division, status 'running'; its id. */
export async function startRun(db: Db, connectionId: number, division: number, trigger: string): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO exact_sync.runs (connection_id, division, trigger) VALUES ($1, $2, $3) RETURNING id',
    [connectionId, division, trigger],
  );
  return Number(rows[0]!.id);
}

export interface RunEnd {
  status: string;
  apiCalls: number;
  inserted: number;
  updated: number;
  deleted: number;
  errorCode: string | null;
  errorMessage: string | null;
  /** Exact's daily budget left after the run, and when it resets (null when unknown). */
  dailyRemaining: number | null;
  dailyResetAt: Date | null;
}

export async function finishRun(db: Db, runId: number, end: RunEnd): Promise<void> {
  await db.query(
    `UPDATE exact_sync.runs SET status = $2, finished_at = now(), api_calls = $3, rows_inserted = $4, rows_updated = $5, rows_deleted = $6,
       error_code = $7, error_message = $8, daily_remaining = $9, daily_reset_at = $10 WHERE id = $1`,
    [
      runId,
      end.status,
      end.apiCalls,
      end.inserted,
      end.updated,
      end.deleted,
      end.errorCode,
      end.errorMessage,
      end.dailyRemaining,
      end.dailyResetAt,
    ],
  );
}

/** How a table of a run ended, as recorded (errors only when it failed). */
export type RunTableEnd = Omit<RunTableInfo, 'errorCode' | 'errorMessage'> & {
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
};

export async function recordRunTable(db: Db, runId: number, t: RunTableEnd): Promise<void> {
  await db.query(
    `INSERT INTO exact_sync.run_tables (run_id, table_name, status, rows, inserted, updated, deleted, pages, error_code, error_message)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      runId,
      t.table,
      t.status,
      t.rows,
      t.inserted,
      t.updated,
      t.deleted,
      t.pages,
      t.errorCode ?? null,
      t.errorMessage ?? null,
    ],
  );
}

/** The id of the division's run marked 'running', if any. */
export async function runningRunId(db: Db, connectionId: number, division: number): Promise<number | null> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM exact_sync.runs WHERE connection_id = $1 AND division = $2 AND status = 'running' ORDER BY id DESC LIMIT 1`,
    [connectionId, division],
  );
  return rows[0] ? Number(rows[0].id) : null;
}

/** The newest run of each of the divisions that started at or after `since`. */
export async function newestRunsSince(
  db: Db,
  connectionId: number,
  divisions: readonly number[],
  since: Date,
): Promise<{ division: number; runId: number; status: string; message: string | null }[]> {
  const { rows } = await db.query<{ division: number; id: string; status: string; error_message: string | null }>(
    `SELECT DISTINCT ON (division) division, id, status, error_message FROM exact_sync.runs
     WHERE connection_id = $1 AND division = ANY ($2::int[]) AND started_at >= $3 ORDER BY division, id DESC`,
    [connectionId, [...divisions], since],
  );
  return rows.map((r) => ({ division: r.division, runId: Number(r.id), status: r.status, message: r.error_message }));
}

/**
 * Pages each table read in the connection's recent successful runs, per division: the last ten, leaving
 * out each table's first run in the division (the full read), newest first.
 */
export async function recentTablePages(
  db: Db,
  connectionId: number,
): Promise<{ table: string; division: number; pages: number[] }[]> {
  const { rows } = await db.query<{ table_name: string; division: number; pages: number[] }>(
    `SELECT table_name, division, array_agg(pages ORDER BY run_id DESC) AS pages FROM (
       SELECT t.table_name, r.division, t.run_id, t.pages,
         row_number() OVER (PARTITION BY t.table_name, r.division ORDER BY t.run_id DESC) AS newest,
         row_number() OVER (PARTITION BY t.table_name, r.division ORDER BY t.run_id) AS oldest
       FROM exact_sync.run_tables t JOIN exact_sync.runs r ON r.id = t.run_id
       WHERE r.connection_id = $1 AND t.status = 'succeeded'
     ) recent WHERE newest <= 10 AND oldest > 1 GROUP BY table_name, division`,
    [connectionId],
  );
  return rows.map((r) => ({ table: r.table_name, division: r.division, pages: r.pages }));
}

/** The most pages each table read in one successful run of the connection (any division): its full read. */
export async function largestTablePages(db: Db, connectionId: number): Promise<Map<string, number>> {
  const { rows } = await db.query<{ table_name: string; pages: number }>(
    `SELECT t.table_name, max(t.pages)::int AS pages FROM exact_sync.run_tables t JOIN exact_sync.runs r ON r.id = t.run_id
     WHERE r.connection_id = $1 AND t.status = 'succeeded' GROUP BY t.table_name`,
    [connectionId],
  );
  return new Map(rows.map((r) => [r.table_name, r.pages]));
}

/** API calls the connection's runs started by `trigger` made since `since`. */
export async function callsOfRuns(db: Db, connectionId: number, trigger: string, since: Date): Promise<number> {
  const { rows } = await db.query<{ calls: number }>(
    `SELECT coalesce(sum(api_calls), 0)::int AS calls FROM exact_sync.runs
     WHERE connection_id = $1 AND trigger = $2 AND started_at >= $3`,
    [connectionId, trigger, since],
  );
  return rows[0]!.calls;
}
