import type pg from 'pg';
import type { ConnectChoice } from '../state/types.ts';
import { ExactClient, type Pacer } from '../exact/client.ts';
import type { ExactApp } from '../exact/hosts.ts';
import { ConnectError, exchangeCode } from '../exact/oauth.ts';
import { saveConsentedConnection, setConnectionNote } from '../state/connections.ts';
import { clockMismatch, COUNTRY_TIME_ZONES } from '../exact/values.ts';
import type { TokenManager } from '../exact/tokens.ts';
import { inTransaction } from '../db/tx.ts';
import { messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { saveDivisions, selectDivisions } from '../state/divisions.ts';
import type { ListedDivision } from '../state/types.ts';
import { chooseTables } from '../state/tableSettings.ts';
import { listedDivision } from './divisionList.ts';

/**
 * The end of "Connect Exact Online" (the consent page's address is exact/oauth.ts authorizeUrl): what
 * happens when the admin comes back with a code — exchange it, ask Exact who consented (current/Me) and which
 * divisions they reach (system/Divisions), then store the connection, its sealed tokens and its
 * divisions in one transaction. Nothing is stored unless every step worked. Reconnecting the same Exact
 * user (same host) gives that connection the new tokens instead of making a second one: Exact keeps one
 * live token chain per user and app, so the old connection's tokens die with the new consent anyway.
 */

export interface ConnectResult {
  connectionId: number;
  reconnected: boolean;
  userName: string;
  divisions: number;
}

export interface ConnectDeps {
  pool: pg.Pool;
  app: ExactApp;
  tokens: TokenManager;
  pacer: Pacer;
  log: Logger;
  fetch?: typeof fetch;
}

export async function finishConnect(
  deps: ConnectDeps,
  choice: ConnectChoice,
  code: string,
  redirectUri: string,
): Promise<ConnectResult> {
  const tokens = await exchangeCode(deps.app, choice.baseUrl, code, redirectUri, deps.fetch);
  const client = new ExactClient({
    baseUrl: choice.baseUrl,
    clientId: deps.app.clientId,
    pacer: deps.pacer,
    log: deps.log,
    timeoutMs: 30_000,
    // The fresh access token is used as it is: nothing is stored until Exact answered both questions.
    tokens: {
      accessToken: async () => tokens.access_token,
      refreshedAt: () => Date.now(),
      invalidate: async () => 'too_young' as const,
    },
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  let me: Awaited<ReturnType<ExactClient['me']>>;
  const listed: ListedDivision[] = [];
  try {
    me = await client.me();
    const current = Number(me.CurrentDivision);
    for await (const page of client.pages(current, 'system/Divisions', {
      $select: 'Code,Description,Hid,Current,Status',
    }))
      listed.push(...page.rows.map(listedDivision));
  } catch (err) {
    throw new ConnectError(
      'exact_failed',
      `Exact Online accepted the sign-in but then failed to say who you are and which administrations you reach (${messageOf(err)}). Try again in a few minutes.`,
      err,
    );
  }
  const userId = typeof me.UserID === 'string' ? me.UserID : undefined;
  if (!userId)
    throw new ConnectError(
      'exact_failed',
      'Exact Online did not say which user signed in (current/Me has no UserID). Try again.',
    );
  const userName =
    typeof me.FullName === 'string' && me.FullName
      ? me.FullName
      : typeof me.UserName === 'string'
        ? me.UserName
        : 'Exact user';

  // Exact's times of day are its local wall clock: the zone exact-sync assumes must be Exact's (docs/exact-online.md 4.6).
  const clockNote = clockMismatch(
    COUNTRY_TIME_ZONES[choice.country] ?? 'Europe/Amsterdam',
    me.ServerUtcOffset,
    Date.now(),
  );
  const result = await inTransaction(deps.pool, async (db) => {
    const { id, inserted } = await saveConsentedConnection(db, {
      country: choice.country,
      baseUrl: choice.baseUrl,
      userId,
      userName,
      startYear: choice.startYear,
    });
    await deps.tokens.saveTokens(db, id, tokens);
    await saveDivisions(db, id, listed);
    if (inserted) await selectDivisions(db, id, { mode: 'selected', divisions: [] });
    if (choice.tables) await chooseTables(db, id, choice.tables);
    await setConnectionNote(db, id, clockNote ?? null);
    return { connectionId: id, reconnected: !inserted, userName, divisions: listed.filter((d) => d.active).length };
  });
  if (clockNote) deps.log.warn({ connection: result.connectionId }, clockNote);
  deps.log.info(
    { connection: result.connectionId, reconnected: result.reconnected, divisions: result.divisions },
    result.reconnected ? 'reconnected Exact Online' : 'connected Exact Online',
  );
  return result;
}
