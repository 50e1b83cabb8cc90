import type pg from 'pg';
import type { SecretBox } from '../lib/crypto.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { TokenSource } from './client.ts';
import { classifyTokenError, reauthMessage, tokenAction } from './decisions.ts';
import { ReauthRequiredError } from './errors.ts';
import { TOKEN_PATH } from './hosts.ts';

/**
 * Access tokens of stored connections, refreshed one at a time per connection across every process and
 * machine (exact-api.md 1.4): an in-process single flight, then a transaction-scoped advisory lock; the
 * row is re-read under the lock and a refresh another process already made is used as it is. The new
 * refresh token is committed before the new access token is handed out. A refused chain puts the
 * connection in `reauth_required` and is never retried.
 */

export interface OAuthApp {
  clientId: string;
  clientSecret: string;
}

export interface TokenResponse {
  access_token: string;
  refresh_token: string;
  expires_in: string | number;
  token_type?: string;
}

interface Row {
  id: number;
  base_url: string;
  access_token: string | null;
  refresh_token: string | null;
  access_expires_at: Date | null;
  token_refreshed_at: Date | null;
  state: string;
  state_message: string | null;
}

/** Namespace of the advisory locks: pg_advisory_xact_lock(TOKEN_LOCK, connection id). */
const TOKEN_LOCK = 0x45_58_54_4b; // "EXTK"

const COLUMNS =
  'id, base_url, access_token, refresh_token, access_expires_at, token_refreshed_at, state, state_message';

export class TokenManager {
  private readonly pool: pg.Pool;
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
    box: SecretBox;
    app: OAuthApp;
    log?: Logger;
    now?: () => number;
    fetch?: typeof fetch;
  }) {
    this.pool = options.pool;
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

  /** Marks the stored access token as expired: the next accessToken() refreshes it (under the lock, as always). */
  async invalidate(connectionId: number): Promise<void> {
    await this.pool.query(
      `UPDATE exact_sync.connections SET access_expires_at = $2, updated_at = now() WHERE id = $1`,
      [connectionId, new Date(this.now() - 1000)],
    );
  }

  /** Seals and stores the tokens of a fresh consent (or a reconnect) and marks the connection active. */
  async store(db: pg.Pool | pg.PoolClient, connectionId: number, tokens: TokenResponse): Promise<void> {
    await db.query(
      `UPDATE exact_sync.connections SET access_token = $2, refresh_token = $3, access_expires_at = $4, token_refreshed_at = $5,
         state = 'active', state_message = NULL, updated_at = now() WHERE id = $1`,
      [
        connectionId,
        this.seal(connectionId, 'access_token', tokens.access_token),
        this.seal(connectionId, 'refresh_token', tokens.refresh_token),
        new Date(this.now() + Number(tokens.expires_in) * 1000),
        new Date(this.now()),
      ],
    );
  }

  async accessToken(connectionId: number): Promise<string> {
    const row = await this.read(this.pool, connectionId, false);
    if (row.state !== 'active')
      throw new ReauthRequiredError(
        connectionId,
        row.state_message ?? 'The connection must be made again. Reconnect it at /connect/exact.',
      );
    if (row.access_token && tokenAction(row.access_expires_at?.getTime() ?? null, this.now()) === 'use')
      return this.open(row, 'access_token');
    let flight = this.inflight.get(connectionId);
    if (!flight) {
      flight = this.refreshUnderLock(connectionId).finally(() => this.inflight.delete(connectionId));
      this.inflight.set(connectionId, flight);
    }
    return flight;
  }

  private async refreshUnderLock(connectionId: number): Promise<string> {
    const client = await this.pool.connect();
    let open = false;
    try {
      await client.query('BEGIN');
      open = true;
      await client.query('SELECT pg_advisory_xact_lock($1, $2)', [TOKEN_LOCK, connectionId]);
      const row = await this.read(client, connectionId, true);
      if (row.state !== 'active') {
        await client.query('COMMIT');
        open = false;
        throw new ReauthRequiredError(
          connectionId,
          row.state_message ?? 'The connection must be made again. Reconnect it at /connect/exact.',
        );
      }
      // Another process may have refreshed while this one waited for the lock.
      if (row.access_token && tokenAction(row.access_expires_at?.getTime() ?? null, this.now()) === 'use') {
        await client.query('COMMIT');
        open = false;
        return this.open(row, 'access_token');
      }
      if (!row.refresh_token)
        throw new AppError(
          'exact_no_token',
          `Connection ${connectionId} has no refresh token; connect it again at /connect/exact.`,
        );

      const answer = await this.callTokenEndpoint(row.base_url, this.open(row, 'refresh_token'));
      if (answer.ok) {
        await this.store(client, connectionId, answer.body);
        await client.query('COMMIT');
        open = false;
        this.refreshed.set(connectionId, this.now());
        this.log?.info({ connection: connectionId }, 'refreshed the Exact access token');
        return answer.body.access_token;
      }
      // Exact is said to send a new refresh token even with some refusals (exact-api.md 1.3): keep it.
      if (typeof answer.body?.refresh_token === 'string' && typeof answer.body.access_token === 'string') {
        await this.store(client, connectionId, answer.body as TokenResponse);
      }
      const kind = classifyTokenError(answer.status, answer.body);
      const description = answer.body?.error_description;
      if (kind === 'too_early') {
        await client.query('COMMIT');
        open = false;
        if (row.access_token && (row.access_expires_at?.getTime() ?? 0) > this.now())
          return this.open(row, 'access_token');
        throw new AppError(
          'exact_token_unavailable',
          "Exact refused to refresh an access token it considers still valid; this machine's clock may be ahead. Retrying later.",
          { status: 503 },
        );
      }
      if (kind === 'reauth') {
        const message = reauthMessage(description);
        await client.query(
          `UPDATE exact_sync.connections SET state = 'reauth_required', state_message = $2, updated_at = now() WHERE id = $1`,
          [connectionId, message],
        );
        await client.query('COMMIT');
        open = false;
        this.log?.warn(
          { connection: connectionId, status: answer.status, error: answer.body?.error },
          'Exact refused the refresh token; the connection needs a new consent',
        );
        throw new ReauthRequiredError(connectionId, message);
      }
      await client.query('ROLLBACK');
      open = false;
      if (kind === 'bad_client')
        throw new AppError(
          'exact_bad_client',
          "Exact refused this app's client id or secret: check EXACT_CLIENT_ID and EXACT_CLIENT_SECRET.",
          { status: 503 },
        );
      throw new AppError(
        'exact_token_unavailable',
        `Exact's token endpoint did not answer usefully (${answer.status || 'no answer'}${description ? `: ${description}` : ''}); retrying later.`,
        { status: 503 },
      );
    } finally {
      if (open) await client.query('ROLLBACK').catch(() => undefined);
      client.release();
    }
  }

  private async callTokenEndpoint(
    baseUrl: string,
    refreshToken: string,
  ): Promise<
    | { ok: true; body: TokenResponse }
    | {
        ok: false;
        status: number;
        body: (Partial<TokenResponse> & { error?: string; error_description?: string }) | undefined;
      }
  > {
    this.tokenCalls++;
    try {
      const res = await this.fetch(`${baseUrl}${TOKEN_PATH}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: this.app.clientId,
          client_secret: this.app.clientSecret,
        }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await res.json().catch(() => undefined)) as
        (Partial<TokenResponse> & { error?: string; error_description?: string }) | undefined;
      if (res.ok && typeof body?.access_token === 'string' && typeof body.refresh_token === 'string')
        return { ok: true, body: body as TokenResponse };
      return { ok: false, status: res.status, body };
    } catch (err) {
      // The request may still have reached Exact and rotated the token; if so the next try meets
      // "Old refresh token used." and asks for a new consent. Nothing can be done about that here.
      this.log?.warn({ err: messageOf(err) }, 'no answer from the Exact token endpoint');
      return { ok: false, status: 0, body: undefined };
    }
  }

  private async read(db: pg.Pool | pg.PoolClient, connectionId: number, forUpdate: boolean): Promise<Row> {
    const { rows } = await db.query<Row>(
      `SELECT ${COLUMNS} FROM exact_sync.connections WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [connectionId],
    );
    const row = rows[0];
    if (!row) throw new AppError('connection_not_found', `There is no connection ${connectionId}.`, { status: 404 });
    return row;
  }

  private seal(connectionId: number, column: string, value: string): string {
    return this.box.seal(value, `connection:${connectionId}:${column}`);
  }

  private open(row: Row, column: 'access_token' | 'refresh_token'): string {
    return this.box.open(row[column]!, `connection:${row.id}:${column}`);
  }
}
