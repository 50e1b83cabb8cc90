import { createInterface } from 'node:readline/promises';
import { MIN_PASSWORD_LENGTH, setAdminPassword } from '../auth/adminPassword.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../auth/apiKeys.ts';
import { dropCallerRole } from '../db/roles.ts';
import { AppError } from '../lib/errors.ts';
import type { Settings } from '../lib/settings.ts';
import { withDatabase } from './shared.ts';

/** `exact-sync admin` and `exact-sync api-key …`. */

/** The new password: from standard input when it is not a terminal (scripts), else asked twice. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = '';
    for await (const chunk of process.stdin) text += String(chunk);
    return text.replace(/\r?\n$/, '');
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Typed characters are not echoed.
  const mute = rl as unknown as { _writeToOutput?: (s: string) => void };
  const ask = async (q: string) => {
    process.stdout.write(q);
    mute._writeToOutput = () => undefined;
    const a = await rl.question('');
    delete mute._writeToOutput;
    process.stdout.write('\n');
    return a;
  };
  try {
    const first = await ask(`New admin password (at least ${MIN_PASSWORD_LENGTH} characters): `);
    const again = await ask('Again: ');
    if (first !== again) throw new AppError('password_mismatch', 'The two passwords differ; nothing was changed.');
    return first;
  } finally {
    rl.close();
  }
}

export async function runAdmin(settings: Settings): Promise<void> {
  const password = await readPassword();
  await withDatabase(settings, (db) => setAdminPassword(db.pool, password));
  process.stdout.write(
    'The admin password is set. Sign in to the console with it; sessions opened with an older password have ended.\n',
  );
}

export async function runApiKeyCreate(settings: Settings, options: { name: string; admin?: boolean }): Promise<void> {
  const key = await withDatabase(settings, (db) =>
    createApiKey(db.pool, { name: options.name, admin: options.admin === true }),
  );
  process.stdout.write(
    `API key ${key.id} "${key.name}" (${key.scopes.join(', ')}):\n\n  ${key.key}\n\nIt is shown only this once: store it now (Excel add-in, Google Sheets, scripts: Authorization: Bearer <key>).\n`,
  );
}

export async function runApiKeyList(settings: Settings): Promise<void> {
  const keys = await withDatabase(settings, (db) => listApiKeys(db.pool));
  if (keys.length === 0) {
    process.stdout.write('No API keys yet. Make one with: npx exact-sync api-key create --name NAME [--admin]\n');
    return;
  }
  const day = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : 'never');
  for (const k of keys) {
    process.stdout.write(
      `${String(k.id).padStart(4)}  ${k.prefix}…  ${k.scopes.join(',').padEnd(10)}  ${k.name}  (created ${day(k.createdAt)}, last used ${day(k.lastUsedAt)}${k.revokedAt ? `, REVOKED ${day(k.revokedAt)}` : ''})\n`,
    );
  }
}

export async function runApiKeyRevoke(settings: Settings, id: string): Promise<void> {
  if (!/^\d+$/.test(id))
    throw new AppError(
      'invalid_option',
      `The key to revoke is given by its id, as listed by: exact-sync api-key list (got ${JSON.stringify(id)})`,
    );
  const key = await withDatabase(settings, async (db) => {
    const revoked = await revokeApiKey(db.pool, Number(id));
    await dropCallerRole(db.pool, `k${revoked.id}`).catch(() => undefined);
    return revoked;
  });
  process.stdout.write(`API key ${key.id} "${key.name}" is revoked: it stops working at once.\n`);
}

/** A comma-separated option's items, or an error naming the option. */
