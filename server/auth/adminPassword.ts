import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type pg from 'pg';
import { AppError } from '../lib/errors.ts';
import { readSetting, writeSetting } from '../state/instanceSettings.ts';
import { countAdminKeys } from './apiKeys.ts';
import { endSessionsVia } from './sessions.ts';

/**
 * The console's admin password, kept as an scrypt hash in exact_sync.instance_settings (every process
 * and machine sees the same one). Set by `exact-sync admin` or, on first start, in the console with the
 * setup code the server prints.
 */

const KEY = 'admin.password';
const PARAMS = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
export const MIN_PASSWORD_LENGTH = 10;

interface Stored {
  salt: string;
  hash: string;
  N: number;
  r: number;
  p: number;
}

/**
 * scrypt runs on libuv's thread pool (4 threads), which file reads share: 60 sign-ins at once made every
 * page of the console wait 10 s. At most two derivations run at a time; the rest wait their turn here.
 */
const DERIVING_AT_ONCE = 2;
let deriving = 0;
const waiting: (() => void)[] = [];

async function derive(password: string, salt: Buffer, params: ScryptOptions & { N: number }): Promise<Buffer> {
  if (deriving >= DERIVING_AT_ONCE) await new Promise<void>((r) => waiting.push(r));
  deriving++;
  try {
    return await new Promise((resolve, reject) =>
      scrypt(password.normalize('NFKC'), salt, 32, params, (err, key) => (err ? reject(err) : resolve(key))),
    );
  } finally {
    deriving--;
    waiting.shift()?.();
  }
}

export function checkPasswordRules(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AppError('weak_password', `The admin password must have at least ${MIN_PASSWORD_LENGTH} characters.`, {
      status: 400,
    });
  }
  if (password.length > 1024)
    throw new AppError('weak_password', 'The admin password may have at most 1024 characters.', { status: 400 });
}

export async function setAdminPassword(db: pg.Pool | pg.PoolClient, password: string): Promise<void> {
  checkPasswordRules(password);
  const salt = randomBytes(16);
  const hash = await derive(password, salt, PARAMS);
  const value: Stored = {
    salt: salt.toString('base64'),
    hash: hash.toString('base64'),
    N: PARAMS.N,
    r: PARAMS.r,
    p: PARAMS.p,
  };
  await writeSetting(db, KEY, value);
  // A new password ends the sessions opened with the old one.
  await endSessionsVia(db, 'password');
}

export async function verifyAdminPassword(db: pg.Pool, password: string): Promise<boolean> {
  const stored = await readSetting<Stored>(db, KEY);
  if (!stored || password.length > 1024) return false;
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await derive(password, Buffer.from(stored.salt, 'base64'), {
    N: stored.N,
    r: stored.r,
    p: stored.p,
    maxmem: PARAMS.maxmem,
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** No one can sign in to the console yet: no password is set and no admin API key exists. */
export async function needsSetup(db: pg.Pool): Promise<boolean> {
  const c = await adminConfigured(db);
  return !c.password && c.adminKeys === 0;
}

/** What there is to sign in to the console with: a password, admin API keys. */
export async function adminConfigured(db: pg.Pool): Promise<{ password: boolean; adminKeys: number }> {
  const [password, adminKeys] = await Promise.all([readSetting(db, KEY), countAdminKeys(db)]);
  return { password: password !== undefined, adminKeys };
}
