import type pg from 'pg';
import type { ConnectChoice } from '../auth/oauthStates.ts';
import { ExactClient, type Pacer } from '../exact/client.ts';
import { AUTH_PATH, TOKEN_PATH, type ExactApp } from '../exact/hosts.ts';
import type { TokenManager, TokenResponse } from '../exact/tokens.ts';
import { inTransaction } from '../db/tx.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { saveDivisions, selectDivisions } from '../state/divisions.ts';
import type { ListedDivision } from '../state/types.ts';
import { chooseTables } from '../state/tableSettings.ts';
import { listedDivision } from './runner.ts';

/**
 * The two ends of "Connect Exact Online": the address of Exact's consent page, and what happens when
 * the admin comes back with a code — exchange it, ask Exact who consented (current/Me) and which
 * divisions they reach (system/Divisions), then store the connection, its sealed tokens and its
 * divisions in one transaction. Nothing is stored unless every step worked. Reconnecting the same Exact
 * user (same host) gives that connection the new tokens instead of making a second one: Exact keeps one
 * live token chain per user and app, so the old connection's tokens die with the new consent anyway.
 */

export function authorizeUrl(app: ExactApp, baseUrl: string, redirectUri: string, state: string): string {
  const q = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    state,
    force_login: '0',
  });
  return `${baseUrl}${AUTH_PATH}?${q}`;
}

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

/** Errors of the callback, each with a code the console and the tests can tell apart. */
export class ConnectError extends AppError {
  constructor(
    code: 'code_rejected' | 'exact_unreachable' | 'app_rejected' | 'exact_failed',
    message: string,
    cause?: unknown,
  ) {
    super(code, message, { status: code === 'code_rejected' ? 400 : 502, ...(cause === undefined ? {} : { cause }) });
  }
}

/** The authorization code for tokens (OAuth's code exchange), or a ConnectError saying what went wrong. */
export async function exchangeCode(
  app: Pick<ExactApp, 'clientId' | 'clientSecret'>,
  baseUrl: string,
  code: string,
  redirectUri: string,
  doFetch: typeof fetch = globalThis.fetch,
): Promise<TokenResponse> {
  let res: Response;
  try {
    res = await doFetch(`${baseUrl}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: app.clientId,
        client_secret: app.clientSecret,
      }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new ConnectError(
      'exact_unreachable',
      `Exact Online (${baseUrl}) did not answer: ${messageOf(err)}. Check that this server can reach it, then try again.`,
      err,
    );
  }
  const body = (await res.json().catch(() => undefined)) as
    (Partial<TokenResponse> & { error?: string; error_description?: string }) | undefined;
  if (res.ok && typeof body?.access_token === 'string' && typeof body.refresh_token === 'string')
    return body as TokenResponse;
  if (res.status >= 500 || res.status === 0 || body === undefined) {
    throw new ConnectError(
      'exact_unreachable',
      `Exact Online (${baseUrl}) is not answering properly (HTTP ${res.status}). It may be down or in maintenance; try again in a few minutes.`,
    );
  }
  if (body.error === 'invalid_client' || (body.error === 'invalid_request' && !body.error_description)) {
    throw new ConnectError(
      'app_rejected',
      "Exact Online refused this server's app credentials: check EXACT_CLIENT_ID and EXACT_CLIENT_SECRET against the App Center, and that the redirect URI there is " +
        redirectUri +
        '.',
    );
  }
  throw new ConnectError(
    'code_rejected',
    `Exact Online did not accept the sign-in (${body.error_description ?? body.error ?? `HTTP ${res.status}`}). Sign-ins expire after a few minutes and work once: start again.`,
  );
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
      invalidate: async () => undefined,
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

  const result = await inTransaction(deps.pool, async (db) => {
    const { rows } = await db.query<{ id: number; inserted: boolean }>(
      `INSERT INTO exact_sync.connections (country, base_url, exact_user_id, exact_user_name, start_year, divisions_mode)
       VALUES ($1, $2, $3, $4, $5, 'selected')
       ON CONFLICT (base_url, exact_user_id) DO UPDATE SET country = excluded.country, exact_user_name = excluded.exact_user_name,
         start_year = coalesce(excluded.start_year, exact_sync.connections.start_year), updated_at = now()
       RETURNING id, (xmax = 0) AS inserted`,
      [choice.country, choice.baseUrl, userId, userName, choice.startYear],
    );
    const { id, inserted } = rows[0]!;
    if (inserted) {
      // One warehouse schema per connection: the first gets exact_online, later ones exact_online_<id>.
      await db.query(
        `UPDATE exact_sync.connections SET warehouse_schema = CASE WHEN EXISTS (SELECT 1 FROM exact_sync.connections o WHERE o.id <> $1 AND o.warehouse_schema = 'exact_online')
           THEN 'exact_online_' || $1 ELSE 'exact_online' END WHERE id = $1`,
        [id],
      );
    }
    await deps.tokens.store(db, id, tokens);
    await saveDivisions(db, id, listed);
    if (inserted) await selectDivisions(db, id, { mode: 'selected', divisions: [] });
    if (choice.tables) await chooseTables(db, id, choice.tables);
    return { connectionId: id, reconnected: !inserted, userName, divisions: listed.filter((d) => d.active).length };
  });
  deps.log.info(
    { connection: result.connectionId, reconnected: result.reconnected, divisions: result.divisions },
    result.reconnected ? 'reconnected Exact Online' : 'connected Exact Online',
  );
  return result;
}
