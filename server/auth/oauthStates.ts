import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { ConnectChoice } from '../state/types.ts';
import { hashSecret } from '../lib/crypto.ts';

/**
 * The OAuth `state` of a connect attempt: random, bound to the console session that started it, single
 * use and valid for 15 minutes (time to sign in at Exact). What the admin chose (country, host, starting
 * year, tables) rides along with it, so nothing is trusted from the callback's query string but the code.
 */

export const STATE_MINUTES = 15;

export type { ConnectChoice };

export type StateCheck =
  | { ok: true; choice: ConnectChoice }
  | { ok: false; reason: 'missing' | 'unknown' | 'used' | 'expired' | 'other_session' };

export async function createOAuthState(db: pg.Pool, sessionHash: Buffer, choice: ConnectChoice): Promise<string> {
  const state = randomBytes(32).toString('base64url');
  await db.query("DELETE FROM exact_sync.oauth_states WHERE expires_at < now() - interval '1 day'");
  await db.query(
    `INSERT INTO exact_sync.oauth_states (state_hash, session_hash, country, base_url, start_year, tables, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(mins => $7))`,
    [hashSecret(state), sessionHash, choice.country, choice.baseUrl, choice.startYear, choice.tables, STATE_MINUTES],
  );
  return state;
}

/** Uses up the state (whatever the outcome, it never works twice) and says whether it was good. */
export async function consumeOAuthState(
  db: pg.Pool,
  state: string | undefined,
  sessionHash: Buffer | undefined,
): Promise<StateCheck> {
  if (!state) return { ok: false, reason: 'missing' };
  const { rows } = await db.query<{
    session_hash: Buffer;
    country: string;
    base_url: string;
    start_year: number | null;
    tables: string[] | null;
    expired: boolean;
    was_used: boolean;
  }>(
    `UPDATE exact_sync.oauth_states s SET used_at = coalesce(s.used_at, now())
     FROM (SELECT state_hash, used_at IS NOT NULL AS was_used FROM exact_sync.oauth_states WHERE state_hash = $1 FOR UPDATE) old
     WHERE s.state_hash = old.state_hash
     RETURNING s.session_hash, s.country, s.base_url, s.start_year, s.tables, s.expires_at < now() AS expired, old.was_used`,
    [hashSecret(state)],
  );
  const r = rows[0];
  if (!r) return { ok: false, reason: 'unknown' };
  if (r.was_used) return { ok: false, reason: 'used' };
  if (!sessionHash || !r.session_hash.equals(sessionHash)) return { ok: false, reason: 'other_session' };
  if (r.expired) return { ok: false, reason: 'expired' };
  return { ok: true, choice: { country: r.country, baseUrl: r.base_url, startYear: r.start_year, tables: r.tables } };
}
