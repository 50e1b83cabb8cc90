/**
 * A sync run in its own process, for tests that kill it: `node syncChild.ts` with DATABASE_URL,
 * SANDBOX_URL, CONNECTION_ID, SECRET_KEY_HEX and DIVISION in the environment. Exits 0 when the
 * division is synced. Prints `committed <table> <rows>` after every batch it commits, so a test can
 * kill it after a given number of committed batches.
 */
import pg from 'pg';
import { syncDivision } from '../../server/sync/engine.ts';
import { syncContextFor } from './syncContext.ts';

const env = process.env as Record<string, string>;
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 3 });
const { ctx } = syncContextFor(pool, env.SANDBOX_URL!, Number(env.CONNECTION_ID), env.SECRET_KEY_HEX!);
await syncDivision(
  { ...ctx, onProgress: (table, _division, rows) => process.stdout.write(`committed ${table} ${rows}\n`) },
  Number(env.DIVISION),
);
await pool.end();
