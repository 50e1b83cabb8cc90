import { createInterface } from 'node:readline/promises';
import { MIN_PASSWORD_LENGTH, setAdminPassword } from './auth/adminPassword.ts';
import { createApiKey, listApiKeys, revokeApiKey } from './auth/apiKeys.ts';
import { AppError } from './lib/errors.ts';
import { createLogger } from './lib/logger.ts';
import type { Settings } from './lib/settings.ts';
import { openDatabase, type Database } from './main.ts';

/** `exact-sync admin` and `exact-sync api-key …`: the commands that manage who may use this server. */

async function withDatabase<T>(settings: Settings, fn: (db: Database) => Promise<T>): Promise<T> {
  // Warnings to standard error: standard output carries what the command prints (results, keys).
  const log = createLogger({ level: settings.logLevel === 'info' ? 'warn' : settings.logLevel, format: settings.logFormat, destination: process.stderr });
  const database = await openDatabase(settings, log, { owner: false });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

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
  process.stdout.write('The admin password is set. Sign in to the console with it; sessions opened with an older password have ended.\n');
}

export async function runApiKeyCreate(settings: Settings, options: { name: string; admin?: boolean }): Promise<void> {
  const key = await withDatabase(settings, (db) => createApiKey(db.pool, { name: options.name, admin: options.admin === true }));
  process.stdout.write(`API key ${key.id} "${key.name}" (${key.scopes.join(', ')}):\n\n  ${key.key}\n\nIt is shown only this once: store it now (Excel add-in, Google Sheets, scripts: Authorization: Bearer <key>).\n`);
}

export async function runApiKeyList(settings: Settings): Promise<void> {
  const keys = await withDatabase(settings, (db) => listApiKeys(db.pool));
  if (keys.length === 0) {
    process.stdout.write('No API keys yet. Make one with: npx exact-sync api-key create --name NAME [--admin]\n');
    return;
  }
  const day = (d: Date | null) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') : 'never');
  for (const k of keys) {
    process.stdout.write(`${String(k.id).padStart(4)}  ${k.prefix}…  ${k.scopes.join(',').padEnd(10)}  ${k.name}  (created ${day(k.createdAt)}, last used ${day(k.lastUsedAt)}${k.revokedAt ? `, REVOKED ${day(k.revokedAt)}` : ''})\n`);
  }
}

export async function runApiKeyRevoke(settings: Settings, id: string): Promise<void> {
  if (!/^\d+$/.test(id)) throw new AppError('invalid_option', `The key to revoke is given by its id, as listed by: exact-sync api-key list (got ${JSON.stringify(id)})`);
  const key = await withDatabase(settings, (db) => revokeApiKey(db.pool, Number(id)));
  process.stdout.write(`API key ${key.id} "${key.name}" is revoked: it stops working at once.\n`);
}

/** A comma-separated option's items, or an error naming the option. */
export const commaList = (text: string, name: string, numeric: boolean): string[] => {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0 || (numeric && items.some((i) => !/^\d+$/.test(i)))) throw new AppError('invalid_option', `--${name} must be a comma-separated list${numeric ? ' of numbers' : ''} (got ${JSON.stringify(text)})`);
  return items;
};
const connectionId = (id: string) => {
  if (!/^\d+$/.test(id)) throw new AppError('invalid_option', `A connection is given by its id, as listed by: exact-sync connections (got ${JSON.stringify(id)})`);
  return Number(id);
};

/** `exact-sync connections divisions ID [--all | --select 1,2]`: shows, and optionally sets, what syncs. */
export async function runConnectionDivisions(settings: Settings, id: string, options: { all?: boolean; select?: string }): Promise<void> {
  const { selectDivisions, listDivisions } = await import('./state/divisions.ts');
  const { getConnection } = await import('./state/connections.ts');
  if (options.all && options.select) throw new AppError('invalid_option', 'Give --all or --select, not both.');
  await withDatabase(settings, async (db) => {
    const cid = connectionId(id);
    await getConnection(db.pool, cid);
    if (options.all) await selectDivisions(db.pool, cid, { mode: 'all' });
    if (options.select) await selectDivisions(db.pool, cid, { mode: 'selected', divisions: commaList(options.select, 'select', true).map(Number) });
    const c = await getConnection(db.pool, cid);
    process.stdout.write(`connection ${cid}: ${c.divisionsMode === 'all' ? 'all divisions sync (new ones too)' : 'only the marked divisions sync'}\n`);
    for (const d of await listDivisions(db.pool, cid)) {
      process.stdout.write(`  [${d.syncEnabled ? 'x' : ' '}] ${String(d.division).padStart(8)}  ${d.name}${d.active ? '' : ' (no longer reachable)'}${d.lastSyncAt ? `, last sync ${d.lastSyncAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}\n`);
    }
  });
}

/** `exact-sync connections tables ID [--enable a,b] [--disable a,b] [--frequency t=15,u=default]`. */
export async function runConnectionTables(settings: Settings, id: string, options: { enable?: string; disable?: string; frequency?: string }): Promise<void> {
  const { listTables, updateTable, DEFAULT_FREQUENCY_MINUTES } = await import('./state/tableSettings.ts');
  const { getConnection } = await import('./state/connections.ts');
  const { inTransaction } = await import('./db/tx.ts');
  const { dailyCostOf } = await import('./schedule/state.ts');
  await withDatabase(settings, async (db) => {
    const cid = connectionId(id);
    const c = await getConnection(db.pool, cid);
    // All changes or none: a bad name in the middle leaves the settings as they were.
    await inTransaction(db.pool, async (tx) => {
      for (const t of options.enable ? commaList(options.enable, 'enable', false) : []) await updateTable(tx, cid, t, { enabled: true });
      for (const t of options.disable ? commaList(options.disable, 'disable', false) : []) await updateTable(tx, cid, t, { enabled: false });
      for (const pair of options.frequency ? commaList(options.frequency, 'frequency', false) : []) {
        const m = /^([a-z]+)=(\d+|default)$/.exec(pair);
        if (!m) throw new AppError('invalid_option', `--frequency takes table=minutes pairs, e.g. transactionlines=15 or items=default (got ${JSON.stringify(pair)})`);
        await updateTable(tx, cid, m[1]!, { frequencyMinutes: m[2] === 'default' ? null : Number(m[2]) });
      }
    });
    const cost = await dailyCostOf(db.pool, cid);
    const perDay = new Map(cost.tables.map((t) => [t.name, t.callsPerDay]));
    for (const t of await listTables(db.pool, cid, c.warehouseSchema)) {
      const every = t.frequencyMinutes ?? DEFAULT_FREQUENCY_MINUTES;
      const calls = t.enabled && perDay.has(t.name) ? `  ~${perDay.get(t.name)} calls/day` : '';
      process.stdout.write(`  [${t.enabled ? 'x' : ' '}] ${t.name.padEnd(20)} every ${String(every).padStart(4)} min${t.frequencyMinutes === null ? ' (default)' : '          '}  ${String(t.rows).padStart(10)} rows${t.rowsEstimated ? ' (estimate)' : ''}${calls}\n`);
    }
    process.stdout.write(`about ${cost.total.toLocaleString('en-US')} of Exact's ${cost.budget.toLocaleString('en-US')} API calls a day per division (${Math.round(cost.share * 100)} %)\n`);
    if (cost.warning) process.stdout.write(`warning: ${cost.warning}\n`);
  });
}

/** Connection details of a BI user, as a BI tool asks for them. */
function biLogin(address: { host: string; port: number; database: string }, u: { roleName: string; password: string }): string {
  const url = `postgres://${u.roleName}:${encodeURIComponent(u.password)}@${address.host}:${address.port}/${encodeURIComponent(address.database)}`;
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
  const { createBiUser } = await import('./query/biUsers.ts');
  await withDatabase(settings, async (db) => {
    const user = await createBiUser(db.pool, options.name);
    process.stdout.write(
      `BI user ${user.id} (${user.roleName}): reads the warehouse schemas, nothing else; cannot write.\n\n${biLogin(db.address, user)}\n\n` +
        'The password is shown only this once: store it in the BI tool now.\n' +
        (db.embedded && db.address.host === '127.0.0.1' ? 'The embedded PostgreSQL listens on this machine only: set PG_LISTEN (e.g. 0.0.0.0) for BI tools elsewhere.\n' : ''),
    );
  });
}

export async function runBiUserList(settings: Settings): Promise<void> {
  const { listBiUsers } = await import('./query/biUsers.ts');
  const users = await withDatabase(settings, (db) => listBiUsers(db.pool));
  if (users.length === 0) {
    process.stdout.write('No BI users yet. Make one with: npx exact-sync bi-user create --name NAME\n');
    return;
  }
  const day = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  for (const u of users) process.stdout.write(`${String(u.id).padStart(4)}  ${u.roleName}  (created ${day(u.createdAt)}${u.revokedAt ? `, REVOKED ${day(u.revokedAt)}` : ''})\n`);
}

export async function runBiUserRevoke(settings: Settings, id: string): Promise<void> {
  if (!/^\d+$/.test(id)) throw new AppError('invalid_option', `The BI user to revoke is given by its id, as listed by: exact-sync bi-user list (got ${JSON.stringify(id)})`);
  const { revokeBiUser } = await import('./query/biUsers.ts');
  const user = await withDatabase(settings, (db) => revokeBiUser(db.pool, Number(id)));
  process.stdout.write(`BI user ${user.id} (${user.roleName}) is revoked: its login is gone and its open sessions were ended.\n`);
}

/** `exact-sync query "SQL" [--format table|csv|json|ndjson] [--connection ID]`: the query API's rules, in a terminal. */
export async function runQuery(settings: Settings, sql: string, options: { format: string; connection?: string }): Promise<void> {
  const formats = ['table', 'csv', 'json', 'ndjson'];
  if (!formats.includes(options.format)) throw new AppError('invalid_option', `--format must be one of ${formats.join(', ')} (got ${JSON.stringify(options.format)})`);
  const { QueryRunner } = await import('./query/runner.ts');
  const { formatSink } = await import('./query/formats.ts');
  const { openSecretBox } = await import('./main.ts');
  const log = createLogger({ level: 'warn', format: settings.logFormat, destination: process.stderr });
  const box = await openSecretBox(settings, log);
  await withDatabase(settings, async (db) => {
    const { rows } = await db.pool.query<{ warehouse_schema: string }>(
      'SELECT warehouse_schema FROM exact_sync.connections WHERE ($1::int IS NULL OR id = $1) ORDER BY id LIMIT 1',
      [options.connection === undefined ? null : connectionId(options.connection)],
    );
    if (options.connection !== undefined && !rows[0]) throw new AppError('connection_not_found', `There is no connection ${options.connection}.`);
    const runner = await QueryRunner.open(db.url, db.pool, box);
    try {
      const run = { sql, schema: rows[0]?.warehouse_schema ?? 'exact_online', limits: settings.queryLimits };
      if (options.format !== 'table') {
        const sink = formatSink(options.format as 'csv' | 'json' | 'ndjson', process.stdout, () => undefined);
        const outcome = await runner.run(run, sink);
        if (options.format === 'json') process.stdout.write(`],"rowCount":${outcome.rows}}\n`);
        return;
      }
      // For people: aligned columns (widths from the first batch), NULL shown as such, a count at the end.
      let widths: number[] = [];
      let names: string[] = [];
      const line = (cells: string[]) => `${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`;
      const outcome = await runner.run(run, {
        columns: (c) => { names = c.map((x) => x.name); },
        rows: (batch) => {
          const shown = batch.map((r) => r.map((v) => (v === null ? 'NULL' : v.replace(/\n/g, '\\n'))));
          if (widths.length === 0) {
            widths = names.map((n, i) => Math.min(60, Math.max(n.length, ...shown.map((r) => r[i]!.length))));
            process.stdout.write(line(names) + line(widths.map((w) => '-'.repeat(w))));
          }
          process.stdout.write(shown.map((r) => line(r.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v)))).join(''));
        },
      });
      if (widths.length === 0 && names.length) process.stdout.write(`${names.join('  ')}\n`);
      process.stdout.write(`(${outcome.rows.toLocaleString('en-US')} row${outcome.rows === 1 ? '' : 's'})\n`);
    } finally {
      await runner.close();
    }
  });
}
