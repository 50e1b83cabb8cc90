import type pg from 'pg';
import type { TokenManager } from './exact/tokens.ts';
import { inTransaction } from './db/tx.ts';
import type { Logger } from './lib/logger.ts';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_USER, type RunningSandbox } from './sandbox/index.ts';
import { exchangeCode } from './sync/connect.ts';

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
    const { rows: existing } = await db.query<{ id: number }>(
      'SELECT id FROM exact_sync.connections WHERE exact_user_id = $1 ORDER BY id',
      [user.userId],
    );
    const keep = existing[0]?.id;
    await db.query('DELETE FROM exact_sync.connections WHERE exact_user_id = $1 AND id <> $2', [
      user.userId,
      keep ?? 0,
    ]);
    if (keep !== undefined) {
      await db.query('UPDATE exact_sync.connections SET base_url = $2, updated_at = now() WHERE id = $1', [
        keep,
        sandbox.url,
      ]);
      await db.query('DELETE FROM exact_sync.sync_state WHERE connection_id = $1', [keep]);
      await db.query('DELETE FROM exact_sync.table_syncs WHERE connection_id = $1', [keep]);
      await db.query('UPDATE exact_sync.connections SET divisions_listed_at = NULL WHERE id = $1', [keep]);
      return keep;
    }
    const { rows } = await db.query<{ id: number }>(
      `INSERT INTO exact_sync.connections (country, base_url, exact_user_id, exact_user_name) VALUES ('nl', $1, $2, 'demo (built-in sandbox)') RETURNING id`,
      [sandbox.url, user.userId],
    );
    return rows[0]!.id;
  });
  await tokens.store(pool, connectionId, answer);
  log.info({ connection: connectionId }, 'demo mode: connected to the built-in Exact sandbox');
  return connectionId;
}
