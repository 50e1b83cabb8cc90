import type pg from 'pg';
import { ExactClient, type Pacer } from '../exact/client.ts';
import type { TokenManager } from '../exact/tokens.ts';
import { AppError, isAppError, messageOf } from '../lib/errors.ts';
import type { ExactRow } from '../exact/values.ts';
import { writeTarget } from '../state/connections.ts';

/**
 * Document writes as the API and the CLI make them: a client for the connection (the same tokens and
 * pacing as the sync), a check that the division belongs to it, and a record of every write in
 * exact_sync.document_writes (who, what, how it ended).
 */

export interface DocumentDeps {
  pool: pg.Pool;
  tokens: TokenManager;
  pacer: Pacer;
  clientId: string;
}

export async function documentClient(deps: DocumentDeps, connectionId: number, division: number): Promise<ExactClient> {
  const c = await writeTarget(deps.pool, connectionId, division);
  if (c.state !== 'active')
    throw new AppError(
      'connection_not_active',
      `Connection ${connectionId} is ${c.state}; reconnect or resume it first.`,
      { status: 409 },
    );
  if (!c.reachesDivision)
    throw new AppError(
      'division_not_allowed',
      `Connection ${connectionId} cannot write to division ${division}: it is not one of the divisions its Exact user reaches.`,
      { status: 403 },
    );
  return new ExactClient({
    baseUrl: c.baseUrl,
    clientId: deps.clientId,
    tokens: deps.tokens.source(connectionId),
    pacer: deps.pacer,
  });
}

export interface WriteRecord {
  connectionId: number;
  division: number;
  action: 'create' | 'update' | 'upsert' | 'attach';
  actor: string;
  subject?: string | undefined;
  fileName?: string | undefined;
}

/** Runs a write and records it, succeeded (with the document id) or failed (with why). */
export async function recorded<T extends { document?: ExactRow } | ExactRow>(
  pool: pg.Pool,
  w: WriteRecord,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    const out = await fn();
    const doc = (out as { document?: ExactRow }).document ?? (out as ExactRow);
    const docId = String((doc as ExactRow).Document ?? (doc as ExactRow).ID ?? '') || null;
    await pool.query(
      `INSERT INTO exact_sync.document_writes (connection_id, division, action, actor, document_id, subject, file_name, status, result) VALUES ($1, $2, $3, $4, $5, $6, $7, 'succeeded', $8)`,
      [
        w.connectionId,
        w.division,
        w.action,
        w.actor,
        docId,
        w.subject ?? null,
        w.fileName ?? null,
        (out as { action?: string }).action ?? null,
      ],
    );
    return out;
  } catch (err) {
    await pool.query(
      `INSERT INTO exact_sync.document_writes (connection_id, division, action, actor, subject, file_name, status, error_code, error_message) VALUES ($1, $2, $3, $4, $5, $6, 'failed', $7, $8)`,
      [
        w.connectionId,
        w.division,
        w.action,
        w.actor,
        w.subject ?? null,
        w.fileName ?? null,
        isAppError(err) ? err.code : 'internal_error',
        messageOf(err),
      ],
    );
    throw err;
  }
}

/** The latest writes made to Exact documents, newest first (what GET /api/v1/documents/writes shows). */
export async function documentWrites(pool: pg.Pool, limit = 200): Promise<Record<string, unknown>[]> {
  const { rows } = await pool.query<Record<string, unknown>>(
    `SELECT id, connection_id AS "connectionId", division, action, actor, document_id AS "documentId", subject, file_name AS "fileName",
       status, result, error_code AS "errorCode", error_message AS "errorMessage", at
     FROM exact_sync.document_writes ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
