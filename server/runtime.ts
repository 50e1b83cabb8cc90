import type pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { connectionsWarning, embeddedMaxConnections, openPool, poolSizeFor, redactUrl } from './db/pool.ts';
import { Pacer } from './exact/client.ts';
import { baseUrlFor, type ExactApp } from './exact/hosts.ts';
import { TokenManager } from './exact/tokens.ts';
import { createSecretBox, type SecretBox } from './lib/crypto.ts';
import { loadOrCreateSecretKey } from './lib/secretKey.ts';
import { lockDataDir } from './lib/dataDirLock.ts';
import type { Logger } from './lib/logger.ts';
import type { Settings } from './lib/settings.ts';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SANDBOX_WEBHOOK_SECRET } from './sandbox/index.ts';
import { connectionTokenStore } from './state/tokens.ts';

/**
 * What a process of exact-sync opens before it does anything: the database (embedded or DATABASE_URL,
 * migrated) and the secret box. And the parts every process that talks to Exact needs, made in one place: the app it acts as, the token
 * manager (tokens in exact_sync.connections, sealed with the secret key) and the rate-limit pacer. Used
 * by `serve`, `worker`, `sync` and `documents`, and by tests and benchmarks that talk to the sandbox.
 */

export interface ExactRuntime {
  app: ExactApp;
  tokens: TokenManager;
  pacer: Pacer;
}

export interface ExactRuntimeOptions {
  pool: pg.Pool;
  box: SecretBox;
  settings: Pick<Settings, 'exact' | 'exactBaseUrl'>;
  log?: Logger | undefined;
  /**
   * Without an Exact app configured (demo mode) the connections are to a sandbox and the app is the
   * sandbox's: its address, when this process runs one. Connections keep their own base URL either way.
   */
  sandboxUrl?: (() => string) | undefined;
  /** The clock tokens expire by (tests and benchmarks use the sandbox's). */
  now?: (() => number) | undefined;
}

export function exactRuntime(o: ExactRuntimeOptions): ExactRuntime {
  const { exact, exactBaseUrl } = o.settings;
  const app: ExactApp = exact
    ? { ...exact, baseUrlFor: (country) => baseUrlFor(country, exactBaseUrl) }
    : {
        clientId: SANDBOX_CLIENT_ID,
        clientSecret: SANDBOX_CLIENT_SECRET,
        webhookSecret: SANDBOX_WEBHOOK_SECRET,
        baseUrlFor: (country) => o.sandboxUrl?.() ?? baseUrlFor(country, exactBaseUrl),
      };
  const tokens = new TokenManager({
    pool: o.pool,
    store: connectionTokenStore,
    box: o.box,
    app,
    log: o.log,
    now: o.now,
  });
  return { app, tokens, pacer: new Pacer() };
}

export interface Database {
  url: string;
  pool: pg.Pool;
  /** Set when the embedded server runs (or was adopted) under the data directory. */
  embedded: EmbeddedPostgres | undefined;
  /** Where the data is, for people: a redacted URL or the embedded directory. */
  description: string;
  /** How BI tools reach this database (host as PG_LISTEN or DATABASE_URL has it). */
  address: { host: string; port: number; database: string };
  close(): Promise<void>;
}

/**
 * DATABASE_URL, or the embedded server under DATA_DIR; connected, migrated, or an AppError saying why not.
 * `owner`: this process runs the embedded server and stops it on close, even one left by an earlier run
 * (`serve`). One-shot commands are not owners: they stop only a server they started themselves, so
 * `exact-sync sync` beside a running `exact-sync serve` leaves its database alone.
 */
export async function openDatabase(
  settings: Settings,
  log: Logger,
  options: { owner: boolean } = { owner: true },
): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let url = settings.databaseUrl;
  // The process that owns the embedded server (the one that stops it) is the only one on its data directory.
  const lock = url === undefined && options.owner ? await lockDataDir(settings.dataDir) : undefined;
  if (url === undefined) {
    embedded = await startEmbeddedPostgres({
      dataDir: settings.dataDir,
      ...(settings.pgListen ? { listen: settings.pgListen } : {}),
      tls: settings.tls,
      maxConnections: embeddedMaxConnections(settings.workerConcurrency),
      log: { info: (m) => log.info(m), warn: (m) => (options.owner ? log.warn(m) : log.info(m)) },
    }).catch(async (err: unknown) => {
      await lock?.release();
      throw err;
    });
    url = embedded.url;
  }
  const stopEmbedded = async () => {
    if (embedded && (options.owner || !embedded.adopted)) await embedded.stop();
    await lock?.release();
  };
  try {
    const pool = await openPool(url, { max: poolSizeFor(settings.workerConcurrency) });
    await migrate(pool, { log: { info: (m) => log.info(m) } });
    // reserved_connections (PostgreSQL 16+) is kept for roles with pg_use_reserved_connections, as the superuser ones are.
    const { rows: limits } = await pool.query<{ max: string; reserved: string }>(
      "SELECT current_setting('max_connections') AS max, current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true), '0')::int AS reserved",
    );
    const tooFew = connectionsWarning(Number(limits[0]!.max), Number(limits[0]!.reserved), settings.workerConcurrency);
    if (tooFew) log.warn(tooFew);
    const description = embedded
      ? `embedded PostgreSQL in ${embedded.clusterDir} (127.0.0.1:${embedded.port})${embedded.relocatedBecause ? `; outside DATA_DIR, since the OS user postgres cannot enter ${embedded.relocatedBecause}` : ''}`
      : redactUrl(url);
    const parsed = new URL(url);
    const wildcard = (a: string | undefined) =>
      a === undefined || a.split(',').some((x) => x === '*' || x === '0.0.0.0' || x === '::');
    const host = embedded
      ? wildcard(settings.pgListen)
        ? settings.pgListen
          ? new URL(settings.publicUrl).hostname
          : '127.0.0.1'
        : settings.pgListen!.split(',')[0]!
      : parsed.hostname;
    return {
      url,
      pool,
      embedded,
      description,
      address: {
        host,
        port: Number(parsed.port || 5432),
        database: decodeURIComponent(parsed.pathname.slice(1)) || 'postgres',
      },
      async close() {
        await pool.end();
        await stopEmbedded();
      },
    };
  } catch (err) {
    await stopEmbedded().catch(() => undefined);
    throw err;
  }
}

/**
 * Asks the database every 5 s whether it is there; after 3 answers missing in a row (15 s: a restart of
 * PostgreSQL fits, the pool reconnects by itself), calls `onLost` once. A server whose embedded
 * PostgreSQL was stopped under it (another process on the same DATA_DIR, an admin) used to keep
 * answering 500 forever; with this it stops loudly for its supervisor to start it again.
 */
export function watchDatabase(pool: pg.Pool, onLost: (err: unknown) => void, everyMs = 5000): { stop(): void } {
  let misses = 0;
  let told = false;
  const timer = setInterval(() => {
    pool.query({ text: 'SELECT 1', query_timeout: 3000 } as pg.QueryConfig).then(
      () => {
        misses = 0;
      },
      (err: unknown) => {
        if (++misses >= 3 && !told) {
          told = true;
          onLost(err);
        }
      },
    );
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

export async function openSecretBox(settings: Settings, log: Logger): Promise<SecretBox> {
  const { key, source, created } = await loadOrCreateSecretKey(settings.dataDir, settings.secretKey);
  if (created) log.warn(`Generated a new secret key in ${source}: back it up, stored tokens cannot be read without it`);
  return createSecretBox(key);
}
