import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../server/db/migrate.ts';
import { grantWarehouseSchema } from '../../server/db/roles.ts';
import { createBiUser, listBiUsers, revokeBiUser, type BiCredentials } from '../../server/query/biUsers.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/** BI users checked the way a BI tool uses them: psql logging in over TCP with the password. */

let db: TestDatabase;
let user: BiCredentials;

function psql(u: { roleName: string; password: string }, sql: string): { ok: boolean; out: string; err: string } {
  const url = new URL(db.url);
  url.username = u.roleName;
  url.password = u.password;
  const r = spawnSync('psql', [url.toString(), '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  if (r.error)
    throw new Error(
      `psql could not run (${r.error.message}); install the PostgreSQL client (Debian: postgresql-client)`,
    );
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr.trim() };
}

beforeAll(async () => {
  db = await createTestDatabase('bi_users');
  await migrate(db.pool);
  await db.pool.query('CREATE SCHEMA exact_online');
  await db.pool.query(
    'CREATE TABLE exact_online.accounts AS SELECT n AS id, $$Account $$ || n AS name FROM generate_series(1, 25) n',
  );
  await grantWarehouseSchema(db.pool, 'exact_online');
  user = await createBiUser(db.pool, `metabase_${randomBytes(3).toString('hex')}`);
});
afterAll(async () => {
  await revokeBiUser(db.pool, user.id).catch(() => undefined);
  await db.drop();
});

describe('a BI user, logged in with psql', () => {
  it('reads the warehouse, unqualified names included', () => {
    expect(psql(user, 'SELECT count(*) FROM exact_online.accounts')).toMatchObject({ ok: true, out: '25' });
    expect(psql(user, 'SELECT name FROM accounts WHERE id = 3')).toMatchObject({ ok: true, out: 'Account 3' });
  });

  it('reads a table created after the user was', async () => {
    await db.pool.query('CREATE TABLE exact_online.items AS SELECT 1 AS id, $$Bike$$ AS name');
    expect(psql(user, 'SELECT name FROM exact_online.items')).toMatchObject({ ok: true, out: 'Bike' });
  });

  it('cannot read exact_sync (tokens, API keys) nor the job queue', () => {
    for (const sql of [
      'SELECT * FROM exact_sync.connections',
      'SELECT key_hash FROM exact_sync.api_keys',
      'SELECT * FROM exact_sync.instance_settings',
    ]) {
      const r = psql(user, sql);
      expect(r.ok, sql).toBe(false);
      expect(r.err).toMatch(/permission denied/);
    }
  });

  it('cannot write, even in a read-write transaction', async () => {
    expect(psql(user, 'INSERT INTO exact_online.accounts VALUES (99, $$x$$)').err).toMatch(/read-only transaction/);
    expect(psql(user, 'BEGIN READ WRITE; UPDATE exact_online.accounts SET name = $$x$$; COMMIT').err).toMatch(
      /permission denied/,
    );
    expect(psql(user, 'BEGIN READ WRITE; DELETE FROM exact_online.accounts; COMMIT').err).toMatch(/permission denied/);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM exact_online.accounts WHERE name = $1', ['x']);
    expect(rows[0].n).toBe(0);
  });

  it('cannot create tables, in the warehouse or in public', () => {
    expect(psql(user, 'BEGIN READ WRITE; CREATE TABLE exact_online.mine (a int); COMMIT').err).toMatch(
      /permission denied/,
    );
    expect(psql(user, 'BEGIN READ WRITE; CREATE TABLE public.mine (a int); COMMIT').err).toMatch(/permission denied/);
    expect(psql(user, 'SET ROLE postgres').err).toMatch(/permission denied/);
  });

  it('is listed, and once revoked can no longer log in', async () => {
    expect((await listBiUsers(db.pool)).find((u) => u.id === user.id)).toMatchObject({
      roleName: user.roleName,
      revokedAt: null,
    });
    await revokeBiUser(db.pool, user.id);
    const r = psql(user, 'SELECT 1');
    expect(r.ok).toBe(false);
    expect(r.err).toMatch(/password authentication failed|does not exist/);
    expect((await listBiUsers(db.pool)).find((u) => u.id === user.id)!.revokedAt).toBeInstanceOf(Date);
  });

  it('refuses a bad name and a name in use', async () => {
    await expect(createBiUser(db.pool, 'Bad-Name')).rejects.toMatchObject({ code: 'invalid_name' });
    const again = await createBiUser(db.pool, `dup_${randomBytes(3).toString('hex')}`);
    await expect(createBiUser(db.pool, again.name)).rejects.toMatchObject({ code: 'name_taken' });
    await revokeBiUser(db.pool, again.id);
  });
});
