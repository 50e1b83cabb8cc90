import type pg from 'pg';
import { ExactClient, type Pacer } from '../exact/client.ts';
import type { TokenManager } from '../exact/tokens.ts';
import { AppError, isAppError, messageOf } from '../lib/errors.ts';
import type { ExactRow } from '../exact/values.ts';

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
  const { rows } = await deps.pool.query<{ base_url: string; state: string; known: boolean }>(
    `SELECT c.base_url, c.state, EXISTS (SELECT 1 FROM exact_sync.divisions d WHERE d.connection_id = c.id AND d.division = $2 AND d.active) AS known
     FROM exact_sync.connections c WHERE c.id = $1`,
    [connectionId, division],
  );
  const c = rows[0];
  if (!c) throw new AppError('connection_not_found', `There is no connection ${connectionId}.`, { status: 404 });
  if (c.state !== 'active')
    throw new AppError(
      'connection_not_active',
      `Connection ${connectionId} is ${c.state}; reconnect or resume it first.`,
      { status: 409 },
    );
  if (!c.known)
    throw new AppError(
      'division_not_allowed',
      `Connection ${connectionId} cannot write to division ${division}: it is not one of the divisions its Exact user reaches.`,
      { status: 403 },
    );
  return new ExactClient({
    baseUrl: c.base_url,
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
