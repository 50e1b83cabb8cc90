import { randomBytes } from 'node:crypto';
import type { SandboxClock } from './clock.ts';

/**
 * Exact's OAuth2 server as clients meet it (docs/exact-online.md 1): authorization codes valid 3 minutes and
 * single-use; access tokens valid 600 s; every refresh rotates the refresh token and the old one answers
 * "Old refresh token used."; no refresh before 570 s; a refresh token unused for 30 days expires; one live
 * token chain per user and app (a new consent kills the old chain); 200 token calls per user per day.
 *
 * Guesses, where Exact's behaviour is not confirmed (docs/exact-online.md 12): the too-early refresh answers 400
 * with `invalid_request` (configurable) and leaves the refresh token usable; a refresh token of a killed
 * chain answers 400 `invalid_grant` "…invalid or empty chainId"; the 201st token call of a day answers 400.
 */

export interface OAuthConfig {
  clientId: string;
  clientSecret: string;
  users: Readonly<Record<string, { password: string; userId: string; fullName: string }>>;
  /** Status of the too-early refresh answer: Exact's docs say 401, the taps read a JSON body first. */
  tooEarlyStatus: number;
  /** Status of "Old refresh token used.": 401 in most reports, 400 in one (docs/exact-online.md 1.3). */
  oldRefreshTokenStatus: number;
}

export const ACCESS_TOKEN_SECONDS = 600;
const REFRESH_NOT_BEFORE_MS = 570_000;
const CODE_LIFETIME_MS = 180_000;
const REFRESH_IDLE_MS = 30 * 86_400_000;
const TOKEN_CALLS_PER_DAY = 200;

export interface TokenResponse {
  access_token: string;
  token_type: 'bearer';
  expires_in: string;
  refresh_token: string;
}

export type TokenResult =
  | { ok: true; body: TokenResponse }
  | { ok: false; status: number; body: { error: string; error_description?: string } };

interface Chain {
  user: string;
  clientId: string;
  alive: boolean;
  accessIssuedAt: number;
}
interface RefreshToken {
  chain: string;
  issuedAt: number;
  used: boolean;
}
export interface AccessToken {
  chain: string;
  user: string;
  clientId: string;
  expiresAt: number;
}

export class OAuthServer {
  private readonly config: OAuthConfig;
  private readonly clock: SandboxClock;
  private readonly codes = new Map<
    string,
    { user: string; clientId: string; redirectUri: string; expiresAt: number; used: boolean }
  >();
  private readonly chains = new Map<string, Chain>();
  private readonly refreshTokens = new Map<string, RefreshToken>();
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly liveChain = new Map<string, string>();
  private readonly tokenCalls = new Map<string, number>();

  constructor(config: OAuthConfig, clock: SandboxClock) {
    this.config = config;
    this.clock = clock;
  }

  get clientId(): string {
    return this.config.clientId;
  }

  checkUser(user: string, password: string): boolean {
    return this.config.users[user]?.password === password;
  }

  userInfo(user: string): { userId: string; fullName: string } | undefined {
    return this.config.users[user];
  }

  /** Any redirect URI on localhost is registered, as in the sandbox's app registration. */
  validRedirect(uri: string): boolean {
    try {
      const u = new URL(uri);
      return (
        (u.protocol === 'http:' || u.protocol === 'https:') && ['localhost', '127.0.0.1', '[::1]'].includes(u.hostname)
      );
    } catch {
      return false;
    }
  }

  /** A consent: a new token chain for (user, app) that replaces the previous one, and a code for it. */
  issueCode(user: string, clientId: string, redirectUri: string): string {
    const code = token('code');
    this.codes.set(code, { user, clientId, redirectUri, expiresAt: this.clock.now() + CODE_LIFETIME_MS, used: false });
    return code;
  }

  token(form: Record<string, string | undefined>): TokenResult {
    if (form.client_id !== this.config.clientId || form.client_secret !== this.config.clientSecret) {
      return { ok: false, status: 400, body: { error: 'invalid_request' } };
    }
    if (form.grant_type === 'authorization_code') return this.exchange(form);
    if (form.grant_type === 'refresh_token') return this.refresh(form);
    return { ok: false, status: 400, body: { error: 'unsupported_grant_type' } };
  }

  private countCall(user: string): boolean {
    const key = `${user}:${this.config.clientId}:${Math.floor(this.clock.now() / 86_400_000)}`;
    const n = (this.tokenCalls.get(key) ?? 0) + 1;
    this.tokenCalls.set(key, n);
    return n <= TOKEN_CALLS_PER_DAY;
  }

  private exchange(form: Record<string, string | undefined>): TokenResult {
    const entry = form.code === undefined ? undefined : this.codes.get(form.code);
    if (!entry || entry.used || entry.expiresAt < this.clock.now() || entry.redirectUri !== form.redirect_uri) {
      if (entry) entry.used = true;
      return {
        ok: false,
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'The authorization code is invalid, expired or already used.',
        },
      };
    }
    entry.used = true;
    if (!this.countCall(entry.user)) return tooManyCalls();
    const chainKey = `${entry.user}:${entry.clientId}`;
    const previous = this.liveChain.get(chainKey);
    if (previous) this.chains.get(previous)!.alive = false;
    const chain = token('chain');
    this.chains.set(chain, { user: entry.user, clientId: entry.clientId, alive: true, accessIssuedAt: 0 });
    this.liveChain.set(chainKey, chain);
    return { ok: true, body: this.issue(chain) };
  }

  private refresh(form: Record<string, string | undefined>): TokenResult {
    const rt = form.refresh_token === undefined ? undefined : this.refreshTokens.get(form.refresh_token);
    if (!rt)
      return {
        ok: false,
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'Token is not allowed, because of invalid or empty chainId',
        },
      };
    const chain = this.chains.get(rt.chain)!;
    if (!this.countCall(chain.user)) return tooManyCalls();
    if (!chain.alive)
      return {
        ok: false,
        status: 400,
        body: {
          error: 'invalid_grant',
          error_description: 'Token is not allowed, because of invalid or empty chainId',
        },
      };
    if (rt.used)
      return {
        ok: false,
        status: this.config.oldRefreshTokenStatus,
        body: { error: 'unauthorized_client', error_description: 'Old refresh token used.' },
      };
    const now = this.clock.now();
    if (now - rt.issuedAt > REFRESH_IDLE_MS) {
      return {
        ok: false,
        status: 400,
        body: {
          error: 'invalid_request',
          error_description: `The refresh token expired at ${exactDate(rt.issuedAt + REFRESH_IDLE_MS)} and it is now ${exactDate(now)}.`,
        },
      };
    }
    if (now - chain.accessIssuedAt < REFRESH_NOT_BEFORE_MS) {
      return {
        ok: false,
        status: this.config.tooEarlyStatus,
        body: { error: 'invalid_request', error_description: 'Rate limit exceeded: access_token not expired' },
      };
    }
    rt.used = true;
    return { ok: true, body: this.issue(rt.chain) };
  }

  private issue(chainId: string): TokenResponse {
    const chain = this.chains.get(chainId)!;
    const now = this.clock.now();
    chain.accessIssuedAt = now;
    const access = token('AAEA');
    const refresh = token('__1P!I');
    this.accessTokens.set(access, {
      chain: chainId,
      user: chain.user,
      clientId: chain.clientId,
      expiresAt: now + ACCESS_TOKEN_SECONDS * 1000,
    });
    this.refreshTokens.set(refresh, { chain: chainId, issuedAt: now, used: false });
    return {
      access_token: access,
      token_type: 'bearer',
      expires_in: String(ACCESS_TOKEN_SECONDS),
      refresh_token: refresh,
    };
  }

  /** The token behind `Authorization: Bearer …`, when it is known and not expired. */
  authenticate(header: string | undefined): AccessToken | undefined {
    const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    const t = m ? this.accessTokens.get(m[1]!) : undefined;
    return t && t.expiresAt > this.clock.now() ? t : undefined;
  }

  /** Kills every token chain of a user, as when the user revokes the app in Exact. */
  revoke(user: string): void {
    for (const chain of this.chains.values()) if (chain.user === user) chain.alive = false;
    for (const [key, t] of this.accessTokens) if (t.user === user) this.accessTokens.delete(key);
  }
}

function tooManyCalls(): TokenResult {
  return {
    ok: false,
    status: 400,
    body: {
      error: 'invalid_request',
      error_description: `Rate limit exceeded: maximum of ${TOKEN_CALLS_PER_DAY} token requests per day`,
    },
  };
}

function token(prefix: string): string {
  return `${prefix}${randomBytes(24).toString('base64url')}`;
}

/** `10/11/2022 9:18:20 PM`, the format of Exact's refresh-token expiry message. */
function exactDate(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${h % 12 || 12}:${String(d.getUTCMinutes()).padStart(2, '0')}:${String(d.getUTCSeconds()).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
}
