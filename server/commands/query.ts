import { AppError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import type { Settings } from '../lib/settings.ts';
import { connectionId, withDatabase } from './shared.ts';

/** `exact-sync query` and `exact-sync bi-user …`: reading the warehouse. */

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
    const user = await createBiUser(db.pool, options.name);
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

/** `exact-sync query "SQL" [--format table|csv|json|ndjson] [--connection ID]`: the query API's rules, in a terminal. */
export async function runQuery(
  settings: Settings,
  sql: string,
  options: { format: string; connection?: string },
): Promise<void> {
  const formats = ['table', 'csv', 'json', 'ndjson'];
  if (!formats.includes(options.format))
    throw new AppError(
      'invalid_option',
      `--format must be one of ${formats.join(', ')} (got ${JSON.stringify(options.format)})`,
    );
  const { QueryRunner } = await import('../query/runner.ts');
  const { formatSink } = await import('../query/formats.ts');
  const { openSecretBox } = await import('../runtime.ts');
  const log = createLogger({ level: 'warn', format: settings.logFormat, destination: process.stderr });
  const box = await openSecretBox(settings, log);
  await withDatabase(settings, async (db) => {
    const { warehouseOf } = await import('../state/connections.ts');
    const { schema } = await warehouseOf(
      db.pool,
      options.connection === undefined ? null : connectionId(options.connection),
    );
    const runner = await QueryRunner.open(db.url, db.pool, box);
    try {
      const run = { sql, schema, limits: settings.queryLimits };
      if (options.format !== 'table') {
        const sink = formatSink(options.format as 'csv' | 'json' | 'ndjson', process.stdout, () => undefined);
        const outcome = await runner.run(run, sink);
        if (options.format === 'json') process.stdout.write(`],"rowCount":${outcome.rows}}\n`);
        return;
      }
      // For people: aligned columns (widths from the first batch), NULL shown as such, a count at the end.
      let widths: number[] = [];
      let names: string[] = [];
      const line = (cells: string[]) =>
        `${cells
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`;
      const outcome = await runner.run(run, {
        columns: (c) => {
          names = c.map((x) => x.name);
        },
        rows: (batch) => {
          const shown = batch.map((r) => r.map((v) => (v === null ? 'NULL' : v.replace(/\n/g, '\\n'))));
          if (widths.length === 0) {
            widths = names.map((n, i) => Math.min(60, Math.max(n.length, ...shown.map((r) => r[i]!.length))));
            process.stdout.write(line(names) + line(widths.map((w) => '-'.repeat(w))));
          }
          process.stdout.write(
            shown
              .map((r) => line(r.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v))))
              .join(''),
          );
        },
      });
      if (widths.length === 0 && names.length) process.stdout.write(`${names.join('  ')}\n`);
      process.stdout.write(`(${outcome.rows.toLocaleString('en-US')} row${outcome.rows === 1 ? '' : 's'})\n`);
    } finally {
      await runner.close();
    }
  });
}
