/**
 * A sync run in its own process, for tests that kill it: `node syncChild.ts` with DATABASE_URL,
 * SANDBOX_URL, CONNECTION_ID, SECRET_KEY_HEX and DIVISION in the environment. Exits 0 when the
 * division is synced.
 */
import pg from 'pg';
import { ExactClient, Pacer } from '../../server/exact/client.ts';
import { TokenManager } from '../../server/exact/tokens.ts';
import { createSecretBox } from '../../server/lib/crypto.ts';
import { syncDivision } from '../../server/sync/engine.ts';

const env = process.env as Record<string, string>;
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 3 });
const connectionId = Number(env.CONNECTION_ID);
const tokens = new TokenManager({ pool, box: createSecretBox(Buffer.from(env.SECRET_KEY_HEX!, 'hex')), app: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' } });
const client = new ExactClient({ baseUrl: env.SANDBOX_URL!, clientId: 'sandbox-client', tokens: tokens.source(connectionId), pacer: new Pacer() });
await syncDivision({ pool, client, connectionId, schema: 'exact_online', timeZone: 'Europe/Amsterdam' }, Number(env.DIVISION));
await pool.end();
