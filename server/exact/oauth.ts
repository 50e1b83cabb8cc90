import { AppError, messageOf } from '../lib/errors.ts';
import { AUTH_PATH, TOKEN_PATH, type ExactApp } from './hosts.ts';

/**
 * Exact's OAuth 2 endpoints (docs/exact-online.md, OAuth): the consent page's address, and the one token
 * endpoint that both exchanges an authorization code and refreshes a token pair. Both calls go through
 * `callTokenEndpoint`; what to make of a refusal is decided by the callers (connecting: ConnectError;
 * refreshing: exact/decisions.ts classifyTokenError).
 */

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
}

/** The token endpoint's answer. Exact sends `expires_in` as a string ("600"). */
export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: string | number;
  token_type?: string;
}

export type TokenErrorBody = Partial<TokenResponse> & { error?: string; error_description?: string };

/** A usable pair, or what Exact said instead (status 0: no answer at all, with the network error). */
export type TokenAnswer =
  | { ok: true; body: TokenResponse }
  | { ok: false; status: number; body: TokenErrorBody | undefined; networkError?: unknown };

/** The address of Exact's consent page for this app, coming back to `redirectUri` with `state`. */
export function authorizeUrl(app: Pick<ExactApp, 'clientId'>, baseUrl: string, redirectUri: string, state: string) {
  const q = new URLSearchParams({
    client_id: app.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    state,
    force_login: '0',
  });
  return `${baseUrl}${AUTH_PATH}?${q}`;
}

/** POSTs a form to the token endpoint of `baseUrl`. Never throws: a failure is an answer with status 0. */
export async function callTokenEndpoint(
  baseUrl: string,
  form: Record<string, string>,
  doFetch: typeof fetch = globalThis.fetch,
): Promise<TokenAnswer> {
  try {
    const res = await doFetch(`${baseUrl}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(form),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json().catch(() => undefined)) as TokenErrorBody | undefined;
    if (res.ok && typeof body?.access_token === 'string' && typeof body.refresh_token === 'string')
      return { ok: true, body: body as TokenResponse };
    return { ok: false, status: res.status, body };
  } catch (err) {
    return { ok: false, status: 0, body: undefined, networkError: err };
  }
}

/** Refreshes a token pair (the old refresh token dies with the answer: Exact rotates it on every use). */
export function refreshTokens(app: OAuthApp, baseUrl: string, refreshToken: string, doFetch?: typeof fetch) {
  return callTokenEndpoint(
    baseUrl,
    {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: app.clientId,
      client_secret: app.clientSecret,
    },
    doFetch,
  );
}

/** Errors of connecting, each with a code the console and the tests can tell apart. */
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
  app: OAuthApp,
  baseUrl: string,
  code: string,
  redirectUri: string,
  doFetch?: typeof fetch,
): Promise<TokenResponse> {
  const answer = await callTokenEndpoint(
    baseUrl,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: app.clientId,
      client_secret: app.clientSecret,
    },
    doFetch,
  );
  if (answer.ok) return answer.body;
  const { status, body } = answer;
  if (status === 0 && answer.networkError !== undefined)
    throw new ConnectError(
      'exact_unreachable',
      `Exact Online (${baseUrl}) did not answer: ${messageOf(answer.networkError)}. Check that this server can reach it, then try again.`,
      answer.networkError,
    );
  if (status >= 500 || status === 0 || body === undefined)
    throw new ConnectError(
      'exact_unreachable',
      `Exact Online (${baseUrl}) is not answering properly (HTTP ${status}). It may be down or in maintenance; try again in a few minutes.`,
    );
  if (body.error === 'invalid_client' || (body.error === 'invalid_request' && !body.error_description))
    throw new ConnectError(
      'app_rejected',
      `Exact Online refused this server's app credentials: check EXACT_CLIENT_ID and EXACT_CLIENT_SECRET against the App Center, and that the redirect URI there is ${redirectUri}.`,
    );
  throw new ConnectError(
    'code_rejected',
    `Exact Online did not accept the sign-in (${body.error_description ?? body.error ?? `HTTP ${status}`}). Sign-ins expire after a few minutes and work once: start again.`,
  );
}
