import type pg from 'pg';
import { TOKEN_PATH } from './exact/hosts.ts';
import { TokenManager, type TokenResponse } from './exact/tokens.ts';
import { AppError } from './lib/errors.ts';
import type { SecretBox } from './lib/crypto.ts';
import type { Logger } from './lib/logger.ts';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_USER, type RunningSandbox } from './sandbox/index.ts';

/**
 * Demo mode: the built-in sandbox stands in for Exact Online, and exact-sync connects to it as the demo
 * user (consent given in-process, since the sandbox lives in this process) and syncs its three
 * administrations, so a first `npm start` shows a filled warehouse. The sandbox's port changes with
 * every start, so the one demo connection is re-pointed and given fresh tokens each time.
 */
const DEMO_REDIRECT = 'http://localhost/demo';

export async function connectDemo(pool: pg.Pool, box: SecretBox, sandbox: RunningSandbox, log: Logger): Promise<{ connectionId: number; tokens: TokenManager }> {
  const user = sandbox.sandbox.oauth.userInfo(SANDBOX_USER)!;
  const code = sandbox.sandbox.oauth.issueCode(SANDBOX_USER, SANDBOX_CLIENT_ID, DEMO_REDIRECT);
  const res = await fetch(`${sandbox.url}${TOKEN_PATH}`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: DEMO_REDIRECT, client_id: SANDBOX_CLIENT_ID, client_secret: SANDBOX_CLIENT_SECRET }),
  });
  if (!res.ok) throw new AppError('demo_connect_failed', `The demo sandbox refused the demo consent (${res.status})`);
  const tokens = new TokenManager({ pool, box, app: { clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET }, log });
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO exact_sync.connections (country, base_url, exact_user_id, exact_user_name)
     VALUES ('nl', $1, $2, 'demo (built-in sandbox)')
     ON CONFLICT (base_url, exact_user_id) DO UPDATE SET updated_at = now()
     RETURNING id`,
    [sandbox.url, user.userId],
  );
  const connectionId = rows[0]!.id;
  // Earlier demo connections pointed at earlier sandbox ports: there is one demo connection, re-pointed.
  await pool.query(`DELETE FROM exact_sync.connections WHERE exact_user_id = $1 AND exact_user_name = 'demo (built-in sandbox)' AND id <> $2`, [user.userId, connectionId]);
  await tokens.store(pool, connectionId, (await res.json()) as TokenResponse);
  log.info({ connection: connectionId }, 'demo mode: connected to the built-in Exact sandbox');
  return { connectionId, tokens };
}
