import type pg from 'pg';
import type { SecretBox } from '../lib/crypto.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { LOCK_NAMESPACES, takeLock, twoKeyLock } from '../db/locks.ts';
import type { SealedTokens, StoredTokens } from '../state/tokens.ts';
import type { TokenSource } from './client.ts';
import { classifyTokenError, EARLIEST_REFRESH_MS, reauthMessage, tokenAction } from './decisions.ts';
import { ReauthRequiredError } from './errors.ts';
import { refreshTokens, type OAuthApp, type TokenAnswer, type TokenResponse } from './oauth.ts';

export type { OAuthApp, TokenResponse };

/**
 * Access tokens of stored connections, refreshed one at a time per connection across every process and
 * machine (docs/exact-online.md, OAuth): an in-process single flight, then a transaction-scoped advisory
 * lock; the row is re-read under the lock and a refresh another process already made is used as it is.
 * The new refresh token is committed before the new access token is handed out. A refused chain puts the
 * connection in `reauth_required` and is never retried. Tokens are read and written through a TokenStore
 * (server/state/tokens.ts in the product, whose row shapes it uses), sealed with the SecretBox here.
 */

type Db = pg.Pool | pg.ClientBase;

/** Where TokenManager keeps tokens and the connection state a refused refresh changes. */
export interface TokenStore {
  read(db: Db, connectionId: number, forUpdate?: boolean): Promise<StoredTokens>;
  save(db: Db, connectionId: number, tokens: SealedTokens): Promise<void>;
  expire(db: Db, connectionId: number, at: Date): Promise<void>;
  requireReauth(db: Db, connectionId: number, message: string): Promise<void>;
}

const REAUTH = 'The connection must be made again. Reconnect it at /connect/exact.';

type Refreshed = { kind: 'token'; token: string } | { kind: 'fail'; error: unknown; commit: boolean };

export class TokenManager {
  private readonly pool: pg.Pool;
  private readonly store: TokenStore;
  private readonly box: SecretBox;
  private readonly app: OAuthApp;
  private readonly log: Logger | undefined;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  private readonly inflight = new Map<number, Promise<string>>();
  private readonly refreshed = new Map<number, number>();
  /** Token calls this manager made, for tests and run statistics. */
  tokenCalls = 0;

  constructor(options: {
    pool: pg.Pool;
    store: TokenStore;
    box: SecretBox;
    app: OAuthApp;
    log?: Logger | undefined;
    now?: (() => number) | undefined;
    fetch?: typeof fetch | undefined;
  }) {
    this.pool = options.pool;
    this.store = options.store;
    this.box = options.box;
    this.app = options.app;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  source(connectionId: number): TokenSource {
    return {
      accessToken: () => this.accessToken(connectionId),
      refreshedAt: () => this.refreshed.get(connectionId),
      invalidate: () => this.invalidate(connectionId),
    };
  }

  /**
   * Exact keeps refusing the access token. One younger than Exact's refresh floor (570 s) is left as it
   * is — Exact would refuse to refresh it as "not expired" — and the answer says so: the caller backs off
   * and tries it again. An older one is marked expired, so the next accessToken() refreshes it (under the
   * lock, as always) or learns that the chain is gone.
   */
  async invalidate(connectionId: number): Promise<'too_young' | 'invalidated'> {
    const row = await this.store.read(this.pool, connectionId);
    const age = row.refreshedAt ? this.now() - row.refreshedAt.getTime() : Infinity;
    if (age < EARLIEST_REFRESH_MS) return 'too_young';
    await this.store.expire(this.pool, connectionId, new Date(this.now() - 1000));
    return 'invalidated';
  }

  /** Seals and stores the tokens of a fresh consent (or a reconnect) and marks the connection active. */
  async saveTokens(db: Db, connectionId: number, tokens: TokenResponse): Promise<void> {
    await this.store.save(db, connectionId, {
      accessToken: this.seal(connectionId, 'access_token', tokens.access_token),
      refreshToken: this.seal(connectionId, 'refresh_token', tokens.refresh_token),
      accessExpiresAt: new Date(this.now() + Number(tokens.expires_in) * 1000),
      refreshedAt: new Date(this.now()),
    });
  }

  async accessToken(connectionId: number): Promise<string> {
    const row = await this.store.read(this.pool, connectionId);
    if (row.state !== 'active') throw new ReauthRequiredError(connectionId, row.stateMessage ?? REAUTH);
    if (this.usable(row)) return this.open(row, 'access_token');
    let flight = this.inflight.get(connectionId);
    if (!flight) {
      flight = this.refreshUnderLock(connectionId).finally(() => this.inflight.delete(connectionId));
      this.inflight.set(connectionId, flight);
    }
    return flight;
  }

  private usable(row: StoredTokens): boolean {
    return row.accessToken !== null && tokenAction(row.accessExpiresAt?.getTime() ?? null, this.now()) === 'use';
  }

  /** Refreshes in a transaction holding the connection's token lock; commits what must stay, then answers. */
  private async refreshUnderLock(connectionId: number): Promise<string> {
    const client = await this.pool.connect();
    let open = false;
    try {
      await client.query('BEGIN');
      open = true;
      let outcome: Refreshed;
      try {
        await takeLock(
          client,
          twoKeyLock(LOCK_NAMESPACES.tokenRefresh, connectionId, `connection ${connectionId}'s tokens`),
          { scope: 'transaction' },
        );
        outcome = await this.refreshLocked(client, connectionId);
      } catch (err) {
        outcome = { kind: 'fail', error: err, commit: false };
      }
      await client.query(outcome.kind === 'token' || outcome.commit ? 'COMMIT' : 'ROLLBACK');
      open = false;
      if (outcome.kind === 'fail') throw outcome.error;
      return outcome.token;
    } finally {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  private async refreshLocked(client: pg.PoolClient, connectionId: number): Promise<Refreshed> {
    const row = await this.store.read(client, connectionId, true);
    if (row.state !== 'active')
      return { kind: 'fail', error: new ReauthRequiredError(connectionId, row.stateMessage ?? REAUTH), commit: true };
    // Another process may have refreshed while this one waited for the lock.
    if (this.usable(row)) return { kind: 'token', token: this.open(row, 'access_token') };
    if (!row.refreshToken)
      throw new AppError(
        'exact_no_token',
        `Connection ${connectionId} has no refresh token; connect it again at /connect/exact.`,
      );
    this.tokenCalls++;
    const answer = await refreshTokens(this.app, row.baseUrl, this.open(row, 'refresh_token'), this.fetch);
    if (answer.ok) {
      await this.saveTokens(client, connectionId, answer.body);
      this.refreshed.set(connectionId, this.now());
      this.log?.info({ connection: connectionId }, 'refreshed the Exact access token');
      return { kind: 'token', token: answer.body.access_token };
    }
    return this.refused(client, row, answer);
  }

  /** What a refused refresh means: keep the old token, lose the consent, or try again later. */
  private async refused(
    client: pg.PoolClient,
    row: StoredTokens,
    answer: Extract<TokenAnswer, { ok: false }>,
  ): Promise<Refreshed> {
    const connectionId = row.id;
    if (answer.networkError !== undefined) {
      // The request may still have reached Exact and rotated the token; if so the next try meets
      // "Old refresh token used." and asks for a new consent. Nothing can be done about that here.
      this.log?.warn({ err: messageOf(answer.networkError) }, 'no answer from the Exact token endpoint');
    }
    // Exact is said to send a new refresh token even with some refusals (docs/exact-online.md): keep it.
    if (typeof answer.body?.refresh_token === 'string' && typeof answer.body.access_token === 'string')
      await this.saveTokens(client, connectionId, answer.body as TokenResponse);
    const kind = classifyTokenError(answer.status, answer.body);
    const description = answer.body?.error_description;
    if (kind === 'too_early') {
      if (row.accessToken && (row.accessExpiresAt?.getTime() ?? 0) > this.now())
        return { kind: 'token', token: this.open(row, 'access_token') };
      const error = new AppError(
        'exact_token_unavailable',
        "Exact refused to refresh an access token it considers still valid; this machine's clock may be ahead. Retrying later.",
        { status: 503 },
      );
      return { kind: 'fail', error, commit: true };
    }
    if (kind === 'reauth') {
      const message = reauthMessage(description);
      await this.store.requireReauth(client, connectionId, message);
      this.log?.warn(
        { connection: connectionId, status: answer.status, error: answer.body?.error },
        'Exact refused the refresh token; the connection needs a new consent',
      );
      return { kind: 'fail', error: new ReauthRequiredError(connectionId, message), commit: true };
    }
    const error =
      kind === 'bad_client'
        ? new AppError(
            'exact_bad_client',
            "Exact refused this app's client id or secret: check EXACT_CLIENT_ID and EXACT_CLIENT_SECRET.",
            { status: 503 },
          )
        : new AppError(
            'exact_token_unavailable',
            `Exact's token endpoint did not answer usefully (${answer.status || 'no answer'}${description ? `: ${description}` : ''}); retrying later.`,
            { status: 503 },
          );
    return { kind: 'fail', error, commit: false };
  }

  private seal(connectionId: number, column: string, value: string): string {
    return this.box.seal(value, `connection:${connectionId}:${column}`);
  }

  private open(row: StoredTokens, column: 'access_token' | 'refresh_token'): string {
    const sealed = column === 'access_token' ? row.accessToken : row.refreshToken;
    return this.box.open(sealed!, `connection:${row.id}:${column}`);
  }
}
