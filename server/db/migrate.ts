import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { AppError, messageOf } from '../lib/errors.ts';
import { MIGRATIONS_LOCK_KEY, oneKeyLock, takeLock } from './locks.ts';

const MIGRATIONS_LOCK = oneKeyLock(MIGRATIONS_LOCK_KEY, "exact-sync's migrations");

/**
 * Numbered SQL migrations (`0001_name.sql`, ...) applied in order, each in its own transaction, with a
 * row per migration in `exact_sync.schema_migrations`. The whole run holds a session advisory lock, so
 * any number of processes starting at once apply each migration exactly once; the ones that waited find
 * nothing left to do. A migration that was changed after it was applied is refused (its checksum differs).
 */

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
export const STATE_SCHEMA = 'exact_sync';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const FILE_NAME = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The migrations in a directory, in order. Names must be `NNNN_words.sql` and versions unique. */
export async function readMigrations(dir: string = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = FILE_NAME.exec(file);
    if (!match)
      throw new AppError('migration_name', `Migration file ${file} must be named like 0001_create_things.sql`);
    const sql = await readFile(path.join(dir, file), 'utf8');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version))
      throw new AppError('migration_name', `Two migrations have version ${match[1]}`);
    migrations.push({ version, name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

export interface MigrateResult {
  applied: string[];
}

export async function migrate(
  pool: pg.Pool,
  options: { dir?: string; log?: { info(msg: string): void }; lockWaitMs?: number } = {},
): Promise<MigrateResult> {
  const migrations = await readMigrations(options.dir);
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await takeLock(client, MIGRATIONS_LOCK, {
      scope: 'session',
      ...(options.lockWaitMs ? { waitMs: options.lockWaitMs } : {}),
    });
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.schema_migrations (
        version integer PRIMARY KEY,
        name text NOT NULL,
        checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
        `SELECT version, name, checksum FROM ${STATE_SCHEMA}.schema_migrations ORDER BY version`,
      );
      const done = new Map(rows.map((r) => [r.version, r]));
      for (const m of migrations) {
        const previous = done.get(m.version);
        if (previous) {
          if (previous.checksum !== m.checksum) {
            throw new AppError(
              'migration_changed',
              `Migration ${m.name} was changed after it was applied (as ${previous.name}). Add a new migration instead of editing an applied one.`,
            );
          }
          continue;
        }
        try {
          await client.query('BEGIN');
          await client.query(m.sql);
          await client.query(
            `INSERT INTO ${STATE_SCHEMA}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
            [m.version, m.name, m.checksum],
          );
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new AppError('migration_failed', `Migration ${m.name} failed and was rolled back: ${messageOf(err)}`, {
            cause: err,
          });
        }
        applied.push(m.name);
        options.log?.info(`Applied migration ${m.name}`);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATIONS_LOCK_KEY]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
  return { applied };
}
