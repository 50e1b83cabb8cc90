import type pg from 'pg';
import { AppError } from '../lib/errors.ts';
import type { SavedChart } from './types.ts';

/** Saved queries: named SQL shared by every client (console, add-ins, Apps Script, scripts). */

export interface SavedQuery {
  id: number;
  name: string;
  description: string;
  sql: string;
  connectionId: number | null;
  /** How the console charts its result, or null. */
  chart: SavedChart | null;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: number;
  name: string;
  description: string;
  sql: string;
  connection_id: number | null;
  chart: SavedChart | null;
  created_at: Date;
  updated_at: Date;
}
const toQuery = (r: Row): SavedQuery => ({
  id: r.id,
  name: r.name,
  description: r.description,
  sql: r.sql,
  connectionId: r.connection_id,
  chart: r.chart,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const COLUMNS = 'id, name, description, sql, connection_id, chart, created_at, updated_at';

export async function listSavedQueries(db: pg.Pool): Promise<SavedQuery[]> {
  const { rows } = await db.query<Row>(`SELECT ${COLUMNS} FROM exact_sync.saved_queries ORDER BY lower(name)`);
  return rows.map(toQuery);
}

/** One saved query by id, or by its name. */
export async function getSavedQuery(db: pg.Pool, idOrName: string): Promise<SavedQuery> {
  const byId = /^\d+$/.test(idOrName);
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM exact_sync.saved_queries WHERE ${byId ? 'id = $1::int' : 'name = $1'}`,
    [idOrName],
  );
  if (!rows[0])
    throw new AppError('query_not_found', `There is no saved query ${JSON.stringify(idOrName)}.`, { status: 404 });
  return toQuery(rows[0]);
}

export interface SavedQueryInput {
  name: string;
  description?: string | undefined;
  sql: string;
  connectionId?: number | null | undefined;
  chart?: SavedChart | null | undefined;
}

function uniqueName(err: unknown, name: string): never {
  if ((err as { code?: string }).code === '23505')
    throw new AppError('name_taken', `A saved query is already named ${JSON.stringify(name)}.`, { status: 409 });
  if ((err as { code?: string }).code === '23503')
    throw new AppError('connection_not_found', 'There is no such connection.', { status: 404 });
  throw err;
}

export async function createSavedQuery(db: pg.Pool, q: SavedQueryInput): Promise<SavedQuery> {
  const { rows } = await db
    .query<Row>(
      `INSERT INTO exact_sync.saved_queries (name, description, sql, connection_id, chart) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
      [q.name, q.description ?? '', q.sql, q.connectionId ?? null, q.chart ? JSON.stringify(q.chart) : null],
    )
    .catch((err: unknown) => uniqueName(err, q.name));
  return toQuery(rows[0]!);
}

export async function updateSavedQuery(db: pg.Pool, id: number, q: Partial<SavedQueryInput>): Promise<SavedQuery> {
  const { rows } = await db
    .query<Row>(
      `UPDATE exact_sync.saved_queries SET name = coalesce($2, name), description = coalesce($3, description), sql = coalesce($4, sql),
       connection_id = CASE WHEN $5 THEN $6 ELSE connection_id END, chart = CASE WHEN $7 THEN $8::jsonb ELSE chart END,
       updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [
        id,
        q.name ?? null,
        q.description ?? null,
        q.sql ?? null,
        q.connectionId !== undefined,
        q.connectionId ?? null,
        q.chart !== undefined,
        q.chart ? JSON.stringify(q.chart) : null,
      ],
    )
    .catch((err: unknown) => uniqueName(err, q.name ?? ''));
  if (!rows[0]) throw new AppError('query_not_found', `There is no saved query ${id}.`, { status: 404 });
  return toQuery(rows[0]);
}

export async function deleteSavedQuery(db: pg.Pool, id: number): Promise<void> {
  const { rowCount } = await db.query('DELETE FROM exact_sync.saved_queries WHERE id = $1', [id]);
  if (!rowCount) throw new AppError('query_not_found', `There is no saved query ${id}.`, { status: 404 });
}
