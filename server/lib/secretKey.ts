import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from './errors.ts';
import { parseSecretKey } from './settings.ts';

export const SECRET_KEY_FILE = 'secret.key';

/**
 * The key that seals secrets at rest: SECRET_KEY when set, otherwise `dataDir/secret.key`, created once
 * (32 random bytes, hex, mode 0600). Creation uses an exclusive open, so two processes starting at once
 * end up with the same key. Losing this file makes stored tokens unreadable: the README says to back it up.
 */
export async function loadOrCreateSecretKey(
  dataDir: string,
  fromEnv: Buffer | undefined,
): Promise<{ key: Buffer; source: string; created: boolean }> {
  if (fromEnv !== undefined) return { key: fromEnv, source: 'SECRET_KEY', created: false };
  const file = path.join(dataDir, SECRET_KEY_FILE);
  await mkdir(dataDir, { recursive: true });
  // Written whole to a private temporary file, then linked into place: link() fails if the key exists,
  // so a racing process never reads a half-written key and never replaces one.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let created = false;
  await writeFile(tmp, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
  try {
    await link(tmp, file);
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
  const text = await readFile(file, 'utf8');
  const key = parseSecretKey(text);
  if (key === undefined) {
    throw new AppError(
      'invalid_secret_key',
      `${file} does not hold a 32-byte key (64 hex digits). Restore it from a backup; deleting it makes stored tokens unreadable.`,
    );
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) await chmod(file, 0o600);
  return { key, source: file, created };
}
