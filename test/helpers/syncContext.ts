/** A sync context for an existing connection; no vitest imports, so a child process can use it too. */
import { connectionTokenStore } from '../../server/state/tokens.ts';
import type pg from 'pg';
import { ExactClient, Pacer } from '../../server/exact/client.ts';
import { TokenManager } from '../../server/exact/tokens.ts';
import { createSecretBox } from '../../server/lib/crypto.ts';
import type { SyncContext } from '../../server/sync/engine.ts';

export const SCHEMA = 'exact_online';
export const APP = { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' };

export function syncContextFor(
  pool: pg.Pool,
  sandboxUrl: string,
  connectionId: number,
  secretKeyHex: string,
  now?: () => number,
): { ctx: SyncContext; client: ExactClient; tokens: TokenManager } {
  const tokens = new TokenManager({
    store: connectionTokenStore,
    pool,
    box: createSecretBox(Buffer.from(secretKeyHex, 'hex')),
    app: APP,
    ...(now ? { now } : {}),
  });
  const client = new ExactClient({
    baseUrl: sandboxUrl,
    clientId: APP.clientId,
    tokens: tokens.source(connectionId),
    pacer: new Pacer(),
  });
  return { ctx: { pool, client, connectionId, schema: SCHEMA, timeZone: 'Europe/Amsterdam' }, client, tokens };
}
