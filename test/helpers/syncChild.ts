/**
 * A sync run in its own process, for tests that kill it: `node syncChild.ts` with DATABASE_URL,
 * SANDBOX_URL, CONNECTION_ID, SECRET_KEY_HEX and DIVISION in the environment. Exits 0 when the
 * division is synced.
 */
import pg from 'pg';
import { syncDivision } from '../../server/sync/engine.ts';
import { syncContextFor } from './syncContext.ts';

const env = process.env as Record<string, string>;
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 3 });
const { ctx } = syncContextFor(pool, env.SANDBOX_URL!, Number(env.CONNECTION_ID), env.SECRET_KEY_HEX!);
await syncDivision(ctx, Number(env.DIVISION));
await pool.end();
