import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../server/db/embedded.ts';
import { migrate } from '../server/db/migrate.ts';

/** A PostgreSQL server for a benchmark (DATABASE_URL's, or an embedded one in a temporary directory) that hands out fresh, migrated databases. */
export interface BenchPostgres {
  /** A fresh, migrated database; `max`: its pool's size. */
  database(options?: { max?: number }): Promise<BenchDatabase>;
  stop(): Promise<void>;
}

export interface BenchDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function benchPostgres(databaseUrl?: string): Promise<BenchPostgres> {
  const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-bench-'));
  await chmod(dir, 0o755);
  const embedded = databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: dir });
  const adminUrl = databaseUrl ?? embedded!.url;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  return {
    async database(options = {}) {
      const name = `bench_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const pool = new pg.Pool({ connectionString: url.toString(), max: options.max ?? 20 });
      // The database is dropped WITH (FORCE) at the end; a connection still closing then must not crash the run.
      pool.on('error', () => undefined);
      await migrate(pool);
      return {
        url: url.toString(),
        pool,
        async drop() {
          await pool.end();
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
        },
      };
    },
    async stop() {
      await admin.end();
      await embedded?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
