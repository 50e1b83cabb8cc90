import { randomBytes } from 'node:crypto';
import { hashSecret } from '../lib/crypto.ts';
import type pg from 'pg';
import { AppError } from '../lib/errors.ts';
import type { Scope, ApiKeyInfo } from '../state/types.ts';
import { endSessionsVia } from './sessions.ts';
export type { Scope, ApiKeyInfo };

/**
 * API keys: `esk_` + 32 random bytes (base64url). Shown once when made; only their SHA-256 is stored (a
 * slow hash buys nothing for 256 random bits). Scopes: `read` (tables, queries) and `admin` (everything,
 * including connections and keys). Revoked keys stay listed with their revocation time.
 */

const KEY_PATTERN = /^esk_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = 12;

interface Row {
  id: number;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}
const COLUMNS = 'id, name, prefix, scopes, created_at, last_used_at, revoked_at';
const toInfo = (r: Row): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  prefix: r.prefix,
  scopes: r.scopes,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** `admin` implies `read`: an admin key is stored with both. */
export function scopesFor(admin: boolean): Scope[] {
  return admin ? ['read', 'admin'] : ['read'];
}

export async function createApiKey(
  db: pg.Pool | pg.PoolClient,
  options: { name: string; admin: boolean },
): Promise<ApiKeyInfo & { key: string }> {
  const name = options.name.trim();
  if (name.length === 0 || name.length > 100)
    throw new AppError('invalid_name', 'An API key needs a name of 1 to 100 characters (say who or what uses it).', {
      status: 400,
    });
  const key = `esk_${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query<Row>(
    `INSERT INTO exact_sync.api_keys (name, prefix, key_hash, scopes) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [name, key.slice(0, PREFIX_LENGTH), hashSecret(key), scopesFor(options.admin)],
  );
  return { ...toInfo(rows[0]!), key };
}

/** The key's identity when it is well-formed, known and not revoked. Marks it used (at most once a minute). */
export async function verifyApiKey(db: pg.Pool, key: string): Promise<ApiKeyInfo | undefined> {
  if (!KEY_PATTERN.test(key)) return undefined;
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM exact_sync.api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hashSecret(key)],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await db.query('UPDATE exact_sync.api_keys SET last_used_at = now() WHERE id = $1', [row.id]);
  }
  return toInfo(row);
}

export async function listApiKeys(db: pg.Pool): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<Row>(
    `SELECT ${COLUMNS} FROM exact_sync.api_keys ORDER BY revoked_at IS NOT NULL, id`,
  );
  return rows.map(toInfo);
}

export async function revokeApiKey(db: pg.Pool, id: number): Promise<ApiKeyInfo> {
  const { rows } = await db.query<Row>(
    `UPDATE exact_sync.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  if (!rows[0]) throw new AppError('api_key_not_found', `There is no API key ${id}.`, { status: 404 });
  // Console sessions opened with this key end with it.
  await endSessionsVia(db, `api_key:${id}`);
  return toInfo(rows[0]);
}

/** Admin keys not revoked. */
export async function countAdminKeys(db: pg.Pool): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM exact_sync.api_keys WHERE revoked_at IS NULL AND 'admin' = ANY (scopes)`,
  );
  return rows[0]!.n;
}
