import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../server/catalog/tables.ts';
import { verifyAdminPassword } from '../server/auth/adminPassword.ts';
import { verifyApiKey } from '../server/auth/apiKeys.ts';
import { runCli, tempWorkDir } from './helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';

/** `exact-sync admin` and `exact-sync api-key …` against a real database, as a person runs them. */

let db: TestDatabase;
let cwd: string;
beforeAll(async () => {
  db = await createTestDatabase('commands');
  cwd = await tempWorkDir('commands');
});
afterAll(async () => {
  await db.drop();
  await rm(cwd, { recursive: true, force: true });
});

const cli = async (args: string[], input?: string) => {
  const run = runCli(args, { cwd, env: { DATABASE_URL: db.url }, ...(input === undefined ? {} : { input }) });
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
};

describe('exact-sync admin', () => {
  it('sets the admin password from standard input; refuses a short one and changes nothing', async () => {
    const short = await cli(['admin'], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('at least 10 characters');
    expect(await verifyAdminPassword(db.pool, 'short')).toBe(false);
    const ok = await cli(['admin'], 'a good long password\n');
    expect(ok.code).toBe(0);
    expect(await verifyAdminPassword(db.pool, 'a good long password')).toBe(true);
    expect(await verifyAdminPassword(db.pool, 'a good long password\n')).toBe(false);
  });
});

describe('exact-sync api-key', () => {
  it('creates a key shown once, lists it without the key, revokes it', async () => {
    const made = await cli(['api-key', 'create', '--name', 'Excel finance']);
    expect(made.code).toBe(0);
    const key = /(esk_[A-Za-z0-9_-]{43})/.exec(made.stdout)?.[1];
    expect(key).toBeDefined();
    expect(made.stdout).toContain('shown only this once');
    expect((await verifyApiKey(db.pool, key!))?.scopes).toEqual(['read']);

    const admin = await cli(['api-key', 'create', '--name', 'ops', '--admin']);
    expect((await verifyApiKey(db.pool, /(esk_\S+)/.exec(admin.stdout)![1]!))?.scopes).toEqual(['read', 'admin']);

    const list = await cli(['api-key', 'list']);
    expect(list.stdout).toContain('Excel finance');
    expect(list.stdout).not.toContain(key);
    const id = /^\s*(\d+)\s+.*Excel finance/m.exec(list.stdout)![1]!;
    const revoked = await cli(['api-key', 'revoke', id]);
    expect(revoked.code).toBe(0);
    expect(await verifyApiKey(db.pool, key!)).toBeUndefined();
    expect((await cli(['api-key', 'list'])).stdout).toMatch(/Excel finance.*REVOKED/);
  });

  it('bad input: a missing name, an unknown id, a non-numeric id — clear errors, exit 1', async () => {
    const noName = await cli(['api-key', 'create']);
    expect(noName.code).toBe(1);
    expect(noName.stderr).toContain("required option '--name <name>'");
    const unknown = await cli(['api-key', 'revoke', '999']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('exact-sync: There is no API key 999.\n');
    const word = await cli(['api-key', 'revoke', 'abc']);
    expect(word.code).toBe(1);
    expect(word.stderr).toContain('given by its id');
  });
});

describe('exact-sync connections divisions / tables', () => {
  it('shows and sets which divisions and tables sync; a bad table name changes nothing', async () => {
    const { saveDivisions } = await import('../server/state/divisions.ts');
    const { rows } = await db.pool.query<{ id: number }>(
      `INSERT INTO exact_sync.connections (country, base_url, exact_user_id, exact_user_name, divisions_mode) VALUES ('nl', 'http://x', gen_random_uuid(), 'Anna', 'selected') RETURNING id`,
    );
    const id = String(rows[0]!.id);
    await saveDivisions(db.pool, rows[0]!.id, [
      { division: 101, name: 'Alpha BV', hid: '1', isCurrent: true, active: true },
      { division: 202, name: 'Beta BV', hid: '2', isCurrent: false, active: true },
    ]);
    const shown = await cli(['connections', 'divisions', id]);
    expect(shown.stdout).toMatch(/\[ \]\s+101\s+Alpha BV/);
    const selected = await cli(['connections', 'divisions', id, '--select', '202']);
    expect(selected.stdout).toMatch(/\[x\]\s+202\s+Beta BV/);
    expect(selected.stdout).toMatch(/\[ \]\s+101/);
    expect((await cli(['connections', 'divisions', id, '--select', '999'])).stderr).toContain('has no division 999');
    expect((await cli(['connections', 'divisions', id, '--all'])).stdout).toMatch(
      /all divisions sync[\s\S]*\[x\]\s+101[\s\S]*\[x\]\s+202/,
    );

    const set = await cli(['connections', 'tables', id, '--disable', 'items', '--frequency', 'transactionlines=15']);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/\[ \] items/);
    expect(set.stdout).toMatch(/\[x\] transactionlines\s+every\s+15 min.*~96 calls\/day/);
    // Grouped by area, the finance core on, HR and payroll a flag away.
    expect(set.stdout).toMatch(/^Financial \(\d+ of \d+ on\)$/m);
    expect(set.stdout).toMatch(/^HR\/Payroll \(0 of \d+ on\)$/m);
    expect(set.stdout).toMatch(/\[ \] employees\s/);
    expect(set.stdout).toMatch(/about [\d,]+ of Exact's 5,000 API calls a day per division/);
    expect(set.stdout).not.toContain('warning:');
    // Every table every 5 minutes: more calls than Exact allows a day. Accepted (the admin decides), with a warning.
    const all = TABLES.map((t) => `${t.name}=5`).join(',');
    const heavy = await cli(['connections', 'tables', id, '--enable', 'items', '--frequency', all]);
    expect(heavy.code).toBe(0);
    expect(heavy.stdout).toMatch(
      /warning: This schedule needs about [\d,]+ API calls a day per division, more than the 5,000 Exact allows/,
    );
    await cli([
      'connections',
      'tables',
      id,
      '--disable',
      'items',
      '--frequency',
      TABLES.map((t) => `${t.name}=default`).join(','),
    ]);
    const bad = await cli(['connections', 'tables', id, '--enable', 'items', '--disable', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('no table "nope"');
    expect((await cli(['connections', 'tables', id])).stdout).toMatch(/\[ \] items/);
  });
});

describe('exact-sync bi-user', () => {
  it('creates a login shown once that psql can use, lists it, revokes it; refuses a bad name', async () => {
    const name = `cli_${Date.now().toString(36)}`;
    const made = await cli(['bi-user', 'create', '--name', name]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain(`user:      bi_${name}`);
    const url = /URL:\s+(\S+)/.exec(made.stdout)![1]!;
    const { spawnSync } = await import('node:child_process');
    const login = spawnSync('psql', [url, '-X', '-A', '-t', '-c', 'SELECT current_user'], { encoding: 'utf8' });
    expect(login.stdout.trim()).toBe(`bi_${name}`);
    const id = /BI user (\d+)/.exec(made.stdout)![1]!;
    expect((await cli(['bi-user', 'list'])).stdout).toMatch(new RegExp(`${id}\\s+bi_${name}`));
    expect((await cli(['bi-user', 'revoke', id])).stdout).toContain('is revoked');
    expect((await cli(['bi-user', 'list'])).stdout).toMatch(/REVOKED/);
    const bad = await cli(['bi-user', 'create', '--name', 'No Spaces']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("A BI user's name is 1 to 40 lower-case letters");
  });
});

describe('exact-sync query', () => {
  it('runs a read-only query under the query role, as a table for people or CSV/JSON for scripts; refuses writes', async () => {
    await db.pool.query('CREATE SCHEMA IF NOT EXISTS exact_online');
    await db.pool.query(
      `CREATE TABLE exact_online.cities AS SELECT * FROM (VALUES (1, 'Utrecht'), (2, NULL), (3, 'Den Haag')) v(id, name)`,
    );
    const { grantWarehouseSchema } = await import('../server/db/roles.ts');
    await grantWarehouseSchema(db.pool, 'exact_online');
    const table = await cli(['query', 'SELECT id, name FROM cities ORDER BY id']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toBe('id  name\n--  --------\n1   Utrecht\n2   NULL\n3   Den Haag\n(3 rows)\n');
    expect((await cli(['query', 'SELECT id, name FROM cities ORDER BY id', '--format', 'csv'])).stdout).toBe(
      'id,name\n1,Utrecht\n2,\n3,Den Haag\n',
    );
    expect(
      JSON.parse((await cli(['query', 'SELECT count(*) AS n FROM cities', '--format', 'json'])).stdout),
    ).toMatchObject({ rows: [[3]], rowCount: 1 });
    const write = await cli(['query', 'DELETE FROM cities']);
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('Only a query can run here');
    const secret = await cli(['query', 'SELECT * FROM exact_sync.api_keys']);
    expect(secret.code).toBe(1);
    expect(secret.stderr).toContain('permission denied for schema exact_sync');
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM exact_online.cities');
    expect(rows[0].n).toBe(3);
  });
});

describe('exact-sync connections webhooks', () => {
  it('shows near-real-time off, and will not turn it on without the webhook secret', async () => {
    const { rows } = await db.pool.query<{ id: number }>('SELECT id FROM exact_sync.connections ORDER BY id LIMIT 1');
    const id = String(rows[0]!.id);
    const shown = await cli(['connections', 'webhooks', id]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(
      'Near-real-time (webhooks): off, safety net every 24 h; 0 subscriptions; 0 events in the last day.',
    );
    const net = await cli(['connections', 'webhooks', id, '--safety-net-hours', '12']);
    expect(net.stdout).toContain('safety net every 12 h');
    const bad = await cli(['connections', 'webhooks', id, '--safety-net-hours', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--safety-net-hours must be a whole number of hours from 1 to 168 (got "0")');
    expect((await cli(['connections', 'webhooks', id])).stdout).toContain('safety net every 12 h');
    const on = await cli(['connections', 'webhooks', id, '--on']);
    expect(on.code).toBe(1);
    expect(on.stderr).toContain('Set EXACT_WEBHOOK_SECRET');
    expect((await cli(['connections', 'webhooks', id, '--on', '--off'])).stderr).toContain('not both');
  });
});

describe('exact-sync views', () => {
  it('publishes SQL as a view the query command reads, lists it, refreshes it, removes it; refuses bad input', async () => {
    // The cities table and a connection come from the tests above.
    const made = await cli([
      'views',
      'publish',
      'named_cities',
      '--sql',
      'SELECT id, name FROM cities WHERE name IS NOT NULL',
      '--materialized',
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/Published reports\.named_cities\s+\(materialized, connection \d+/);
    expect((await cli(['query', 'SELECT count(*) AS n FROM named_cities', '--format', 'csv'])).stdout).toBe('n\n2\n');
    expect((await cli(['views', 'list'])).stdout).toMatch(/reports\.named_cities .* ok$/m);
    await db.pool.query("INSERT INTO exact_online.cities VALUES (4, 'Zwolle')");
    expect((await cli(['views', 'refresh', 'named_cities'])).code).toBe(0);
    expect((await cli(['query', 'SELECT count(*) AS n FROM named_cities', '--format', 'csv'])).stdout).toBe('n\n3\n');
    const neither = await cli(['views', 'publish', 'x']);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toContain('--query ID or name) or its SQL (--sql), or publish the starter model');
    expect((await cli(['views', 'starters'])).stdout).toMatch(/^pl_by_month\n  Profit and loss by month/);
    const secret = await cli(['views', 'publish', 'keys', '--sql', 'SELECT * FROM exact_sync.api_keys']);
    expect(secret.code).toBe(1);
    expect(secret.stderr).toContain('permission denied');
    expect((await cli(['views', 'unpublish', 'named_cities'])).stdout).toContain('Removed reports.named_cities');
    expect((await cli(['views', 'list'])).stdout).toContain('No published views yet');
    expect((await cli(['views', 'refresh', 'named_cities'])).stderr).toContain(
      'No view is published as "named_cities"',
    );
  });
});

describe('exact-sync query, printed for people', () => {
  it('shows control characters from the data as escapes, so data cannot drive the terminal', async () => {
    const { visible } = await import('../server/commands/query.ts');
    expect(visible('plain € text')).toBe('plain € text');
    expect(visible('\u001b]0;owned\u0007red\u001b[31m')).toBe('\\x1b]0;owned\\x07red\\x1b[31m');
    expect(visible('two\nlines\ttab\u009b')).toBe('two\\nlines\\x09tab\\x9b');
  });
});
