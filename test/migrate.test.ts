import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../server/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';

const databases: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(databases.splice(0).map((d) => d.drop()));
});

async function freshDatabase(): Promise<TestDatabase> {
  const db = await createTestDatabase('migrate');
  databases.push(db);
  return db;
}

/** A directory of migrations; the tables they create fail if created twice (no IF NOT EXISTS). */
async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-migrations-'));
  for (const [name, sql] of Object.entries(files)) await writeFile(path.join(dir, name), sql);
  return dir;
}

const THREE = {
  '0001_a.sql': 'CREATE TABLE exact_sync.a (id int PRIMARY KEY);',
  '0002_b.sql': 'CREATE TABLE exact_sync.b (id int PRIMARY KEY); INSERT INTO exact_sync.a VALUES (1);',
  // pg_sleep widens the window in which a second runner would interfere if the lock did not hold.
  '0003_c.sql':
    'SELECT pg_sleep(0.2); CREATE TABLE exact_sync.c (id int PRIMARY KEY); INSERT INTO exact_sync.a VALUES (2);',
};

async function appliedVersions(pool: pg.Pool): Promise<number[]> {
  const { rows } = await pool.query<{ version: number }>(
    'SELECT version FROM exact_sync.schema_migrations ORDER BY version',
  );
  return rows.map((r) => r.version);
}

describe('migrations', () => {
  it('applies pending migrations in order, and nothing on a second run', async () => {
    const db = await freshDatabase();
    const dir = await migrationsDir(THREE);
    expect((await migrate(db.pool, { dir })).applied).toEqual(['0001_a.sql', '0002_b.sql', '0003_c.sql']);
    expect((await migrate(db.pool, { dir })).applied).toEqual([]);
    expect(await appliedVersions(db.pool)).toEqual([1, 2, 3]);
    expect((await db.pool.query('SELECT id FROM exact_sync.a ORDER BY id')).rows).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('applies each migration once when several processes start at the same moment', async () => {
    const db = await freshDatabase();
    const dir = await migrationsDir(THREE);
    // Separate pools, as separate processes would have.
    const pools = Array.from({ length: 4 }, () => new pg.Pool({ connectionString: db.url, max: 1 }));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p, { dir })));
      expect(results.flatMap((r) => r.applied).sort()).toEqual(['0001_a.sql', '0002_b.sql', '0003_c.sql']);
      expect(await appliedVersions(db.pool)).toEqual([1, 2, 3]);
      expect((await db.pool.query('SELECT count(*)::int AS n FROM exact_sync.a')).rows[0].n).toBe(2);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('rolls back a failing migration whole and stops before the next', async () => {
    const db = await freshDatabase();
    const dir = await migrationsDir({
      '0001_a.sql': THREE['0001_a.sql'],
      '0002_bad.sql': 'CREATE TABLE exact_sync.half (id int); INSERT INTO exact_sync.nope VALUES (1);',
      '0003_c.sql': 'CREATE TABLE exact_sync.c (id int);',
    });
    await expect(migrate(db.pool, { dir })).rejects.toMatchObject({
      code: 'migration_failed',
      message: expect.stringContaining(
        '0002_bad.sql failed and was rolled back: relation "exact_sync.nope" does not exist',
      ),
    });
    expect(await appliedVersions(db.pool)).toEqual([1]);
    const { rows } = await db.pool.query(
      "SELECT to_regclass('exact_sync.half') AS half, to_regclass('exact_sync.c') AS c",
    );
    expect(rows[0]).toEqual({ half: null, c: null });
  });

  it('refuses a migration that was edited after it was applied', async () => {
    const db = await freshDatabase();
    const dir = await migrationsDir({ '0001_a.sql': THREE['0001_a.sql'] });
    await migrate(db.pool, { dir });
    await writeFile(path.join(dir, '0001_a.sql'), 'CREATE TABLE exact_sync.a (id bigint PRIMARY KEY);');
    await expect(migrate(db.pool, { dir })).rejects.toMatchObject({ code: 'migration_changed' });
  });

  it.each([
    [{ '1_a.sql': 'SELECT 1' }, 'must be named like 0001_create_things.sql'],
    [{ '0001_a.sql': 'SELECT 1', '0001_b.sql': 'SELECT 1' }, 'Two migrations have version 0001'],
  ])('refuses badly named migration files %#', async (files, message) => {
    await expect(readMigrations(await migrationsDir(files))).rejects.toThrow(message);
  });

  it("applies the product's own migrations to an empty database", async () => {
    const db = await freshDatabase();
    const { applied } = await migrate(db.pool);
    expect(applied.length).toBeGreaterThan(0);
    expect(applied).toEqual((await readMigrations()).map((m) => m.name));
    expect((await migrate(db.pool)).applied).toEqual([]);
  });
});
