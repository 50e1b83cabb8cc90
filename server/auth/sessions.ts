import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { hashSecret } from '../lib/crypto.ts';

/**
 * Console sessions: the cookie holds 32 random bytes, the database their SHA-256, so a copy of the
 * database opens no session. Each session has a CSRF token that the console sends back in the
 * `X-CSRF-Token` header on every change; the cookie is SameSite=Lax and HttpOnly.
 */

export const SESSION_COOKIE = 'exact_sync_session';
export const SESSION_HOURS = 12;

export interface Session {
  idHash: Buffer;
  csrfToken: string;
  via: string;
  expiresAt: Date;
}

export async function createSession(db: pg.Pool, via: string): Promise<{ cookie: string; session: Session }> {
  const cookie = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const idHash = hashSecret(cookie);
  const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000);
  await db.query('DELETE FROM exact_sync.sessions WHERE expires_at < now()');
  await db.query('INSERT INTO exact_sync.sessions (id_hash, csrf_token, via, expires_at) VALUES ($1, $2, $3, $4)', [
    idHash,
    csrfToken,
    via,
    expiresAt,
  ]);
  return { cookie, session: { idHash, csrfToken, via, expiresAt } };
}

export async function readSession(db: pg.Pool, cookie: string | undefined): Promise<Session | undefined> {
  if (!cookie || !/^[A-Za-z0-9_-]{43}$/.test(cookie)) return undefined;
  const { rows } = await db.query<{ id_hash: Buffer; csrf_token: string; via: string; expires_at: Date }>(
    'SELECT id_hash, csrf_token, via, expires_at FROM exact_sync.sessions WHERE id_hash = $1 AND expires_at > now()',
    [hashSecret(cookie)],
  );
  const r = rows[0];
  return r && { idHash: r.id_hash, csrfToken: r.csrf_token, via: r.via, expiresAt: r.expires_at };
}

export async function endSession(db: pg.Pool, cookie: string | undefined): Promise<void> {
  if (cookie) await db.query('DELETE FROM exact_sync.sessions WHERE id_hash = $1', [hashSecret(cookie)]);
}

/** The value of one cookie in a Cookie header (no dependency needed for one cookie). */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** Ends every session opened a given way (`password`, `api_key:<id>`). */
export async function endSessionsVia(db: pg.Pool | pg.ClientBase, via: string): Promise<void> {
  await db.query('DELETE FROM exact_sync.sessions WHERE via = $1', [via]);
}
