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
