import type pg from 'pg';
import { AppError } from '../lib/errors.ts';

/**
 * The token columns of exact_sync.connections, sealed (encrypted) by the caller: what TokenManager reads
 * and writes through its TokenStore port (server/exact/tokens.ts). Saving tokens is the one way a
 * connection becomes `active` again after a consent; `requireReauth` the one way it loses it.
 */

export interface StoredTokens {
  id: number;
  baseUrl: string;
  /** Sealed; null before the first consent. */
  accessToken: string | null;
  refreshToken: string | null;
  accessExpiresAt: Date | null;
  /** When the pair was obtained (null before the first consent). */
  refreshedAt: Date | null;
  state: string;
  stateMessage: string | null;
}

export interface SealedTokens {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  refreshedAt: Date;
}

type Db = pg.Pool | pg.ClientBase;

/** The connection's tokens; `forUpdate` locks the row until the caller's transaction ends. */
export async function readTokens(db: Db, connectionId: number, forUpdate = false): Promise<StoredTokens> {
  const { rows } = await db.query<{
    id: number;
    base_url: string;
    access_token: string | null;
    refresh_token: string | null;
    access_expires_at: Date | null;
    token_refreshed_at: Date | null;
    state: string;
    state_message: string | null;
  }>(
    `SELECT id, base_url, access_token, refresh_token, access_expires_at, token_refreshed_at, state, state_message
     FROM exact_sync.connections WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [connectionId],
  );
  const r = rows[0];
  if (!r) throw new AppError('connection_not_found', `There is no connection ${connectionId}.`, { status: 404 });
  return {
    id: r.id,
    baseUrl: r.base_url,
    accessToken: r.access_token,
    refreshToken: r.refresh_token,
    accessExpiresAt: r.access_expires_at,
    refreshedAt: r.token_refreshed_at,
    state: r.state,
    stateMessage: r.state_message,
  };
}

/** Stores a fresh pair of sealed tokens and makes the connection active. */
export async function saveTokens(db: Db, connectionId: number, tokens: SealedTokens): Promise<void> {
  await db.query(
    `UPDATE exact_sync.connections SET access_token = $2, refresh_token = $3, access_expires_at = $4, token_refreshed_at = $5,
       state = 'active', state_message = NULL, updated_at = now() WHERE id = $1`,
    [connectionId, tokens.accessToken, tokens.refreshToken, tokens.accessExpiresAt, tokens.refreshedAt],
  );
}

/** Marks the stored access token as expired at `at`: the next use refreshes it. */
export async function expireAccessToken(db: Db, connectionId: number, at: Date): Promise<void> {
  await db.query('UPDATE exact_sync.connections SET access_expires_at = $2, updated_at = now() WHERE id = $1', [
    connectionId,
    at,
  ]);
}

/** Exact dropped the consent: the connection waits for a reconnect and is never retried before it. */
export async function requireReauth(db: Db, connectionId: number, message: string): Promise<void> {
  await db.query(
    `UPDATE exact_sync.connections SET state = 'reauth_required', state_message = $2, updated_at = now() WHERE id = $1`,
    [connectionId, message],
  );
}

/** The TokenStore TokenManager writes through (see server/exact/tokens.ts). */
export const connectionTokenStore = { read: readTokens, save: saveTokens, expire: expireAccessToken, requireReauth };
