import type pg from 'pg';
import type { TokenManager } from './exact/tokens.ts';
import { inTransaction } from './db/tx.ts';
import type { Logger } from './lib/logger.ts';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_USER, type RunningSandbox } from './sandbox/index.ts';
import { exchangeCode } from './exact/oauth.ts';
import { forgetAttempts } from './state/attempts.ts';
import { adoptDemoConnection } from './state/connections.ts';
import { forgetCursors } from './state/cursors.ts';

/**
 * Demo mode: the built-in sandbox stands in for Exact Online, and exact-sync connects to it as the demo
 * user (consent given in-process, since the sandbox lives in this process) and syncs its three
 * administrations, so a first `npm start` shows a filled warehouse. The sandbox's port changes with
 * every start, so the one demo connection is re-pointed and given fresh tokens each time.
 */
const DEMO_REDIRECT = 'http://localhost/demo';

export async function connectDemo(
  pool: pg.Pool,
  tokens: TokenManager,
  sandbox: RunningSandbox,
  log: Logger,
): Promise<number> {
  const user = sandbox.sandbox.oauth.userInfo(SANDBOX_USER)!;
  const code = sandbox.sandbox.oauth.issueCode(SANDBOX_USER, SANDBOX_CLIENT_ID, DEMO_REDIRECT);
  const answer = await exchangeCode(
    { clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET },
    sandbox.url,
    code,
    DEMO_REDIRECT,
  );
  // One demo connection, kept across starts with its division and table choices, re-pointed at this
  // start's sandbox (its port changes). The sandbox's data is made anew each start: its cursors are dropped.
  const connectionId = await inTransaction(pool, async (db) => {
    const { id, existing } = await adoptDemoConnection(db, user.userId, sandbox.url);
    if (existing) {
      await forgetCursors(db, id);
      await forgetAttempts(db, id);
    }
    return id;
  });
  await tokens.saveTokens(pool, connectionId, answer);
  log.info({ connection: connectionId }, 'demo mode: connected to the built-in Exact sandbox');
  return connectionId;
}
