import { AppError } from '../lib/errors.ts';
import type { Settings } from '../lib/settings.ts';
import { withDatabase } from './shared.ts';

/** `exact-sync bi-user create | list | revoke`: read-only PostgreSQL logins for BI tools. */

/** Connection details of a BI user, as a BI tool asks for them. */
function biLogin(
  address: { host: string; port: number; database: string },
  u: { roleName: string; password: string },
  url: string,
): string {
  return [
    `  host:      ${address.host}`,
    `  port:      ${address.port}`,
    `  database:  ${address.database}`,
    `  user:      ${u.roleName}`,
    `  password:  ${u.password}`,
    `  URL:       ${url}`,
    `  psql:      psql "${url}" -c 'SELECT count(*) FROM exact_online.transactionlines'`,
  ].join('\n');
}

/** `exact-sync bi-user create --name N`: a read-only PostgreSQL login for BI tools, password printed once. */
export async function runBiUserCreate(settings: Settings, options: { name: string }): Promise<void> {
  const { createBiUser, loginUrl, reachNote } = await import('../query/biUsers.ts');
  await withDatabase(settings, async (db) => {
    const user = await createBiUser(db.pool, options.name, settings.readerLimits.bi);
    const note = reachNote(db.address, db.embedded !== undefined);
    process.stdout.write(
      `BI user ${user.id} (${user.roleName}): reads the warehouse schemas, nothing else; cannot write.\n\n${biLogin(db.address, user, loginUrl(db.address, user))}\n\n` +
        'The password is shown only this once: store it in the BI tool now.\n' +
        (note ? `${note}\n` : ''),
    );
  });
}

export async function runBiUserList(settings: Settings): Promise<void> {
  const { listBiUsers } = await import('../query/biUsers.ts');
  const users = await withDatabase(settings, (db) => listBiUsers(db.pool));
  if (users.length === 0) {
    process.stdout.write('No BI users yet. Make one with: npx exact-sync bi-user create --name NAME\n');
    return;
  }
  const day = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  for (const u of users)
    process.stdout.write(
      `${String(u.id).padStart(4)}  ${u.roleName}  (created ${day(u.createdAt)}${u.revokedAt ? `, REVOKED ${day(u.revokedAt)}` : ''})\n`,
    );
}

export async function runBiUserRevoke(settings: Settings, id: string): Promise<void> {
  if (!/^\d+$/.test(id))
    throw new AppError(
      'invalid_option',
      `The BI user to revoke is given by its id, as listed by: exact-sync bi-user list (got ${JSON.stringify(id)})`,
    );
  const { revokeBiUser } = await import('../query/biUsers.ts');
  const user = await withDatabase(settings, (db) => revokeBiUser(db.pool, Number(id)));
  process.stdout.write(
    `BI user ${user.id} (${user.roleName}) is revoked: its login is gone and its open sessions were ended.\n`,
  );
}
