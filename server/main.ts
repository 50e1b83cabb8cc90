import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import packageJson from '../package.json' with { type: 'json' };
import { createApp } from './api/app.ts';
import { needsSetup } from './auth/adminPassword.ts';
import { SetupCode } from './auth/setupCode.ts';
import type { Services } from './api/services.ts';
import { connectDemo } from './demo.ts';
import { webhooksEnabled } from './state/webhookSubscriptions.ts';
import { webhookCallbackUrl } from './sync/webhookSubscriptions.ts';
import { exactRuntime, openDatabase, openSecretBox, watchDatabase, type Database } from './runtime.ts';
import { Scheduler } from './schedule/scheduler.ts';
import { QueryRunner } from './query/runner.ts';
import { sheetsClient } from './sheets/client.ts';
import type { PushDeps } from './sheets/targets.ts';
import { DEFAULT_JOB_OPTIONS } from './schedule/jobs.ts';
import { startSandbox, type RunningSandbox } from './sandbox/index.ts';
import { AppError } from './lib/errors.ts';
import type { SecretBox } from './lib/crypto.ts';
import type { Logger } from './lib/logger.ts';
import type { Settings } from './lib/settings.ts';

/**
 * The composition root: the only module that turns Settings into running parts and wires them together.
 * Everything below it takes its dependencies as arguments.
 */

export const VERSION: string = packageJson.version;
export const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST_DIR = path.join(ROOT_DIR, 'dist');

function listen(server: http.Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(
          new AppError(
            'port_in_use',
            `Port ${port} is already in use. Stop the other program or set PORT to a free port.`,
          ),
        );
      else if (err.code === 'EACCES')
        reject(
          new AppError('port_denied', `Not allowed to listen on port ${port}. Use a port above 1024 or set PORT.`),
        );
      else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/** Stops accepting connections, lets requests in flight finish (up to `graceMs`), then cuts the rest. */
function closeHttp(server: http.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/** Demo mode: the demo connection (all divisions), then its first sync through the job queue. Never throws. */
async function startDemo(s: Services, sandbox: RunningSandbox): Promise<unknown> {
  try {
    const connectionId = await connectDemo(s.pool, s.tokens, sandbox, s.log);
    const start = await s.sync.requestSync({ connectionId, trigger: 'demo' });
    // The sandbox is new each start, without the subscriptions of the last: near-real-time, if on, subscribes again.
    if (await webhooksEnabled(s.pool, connectionId)) {
      const o = await s.sync.setWebhooks(connectionId, true, webhookCallbackUrl(s.publicUrl));
      s.log.info(
        { connection: connectionId, ...o },
        "demo mode: near-real-time subscribed again in this start's sandbox",
      );
    }
    const runs = await s.sync.settled(start, 10 * 60_000);
    for (const r of runs)
      s.log.info(
        { division: r.division, status: r.status, run: r.runId },
        `demo sync of division ${r.division}: ${r.status}`,
      );
    return runs;
  } catch (err) {
    s.log.error({ err }, 'demo mode could not connect to its sandbox and sync it');
    return undefined;
  }
}

export interface RunningServer {
  url: string;
  database: Database;
  /** In demo mode: the built-in Exact Online sandbox that stands in for Exact. */
  sandbox: RunningSandbox | undefined;
  /** In demo mode: the first sync of the demo administrations, running in the background. */
  demoSync: Promise<unknown> | undefined;
  services: Services;
  close(): Promise<void>;
}

/** API, console and add-in files over HTTP, on a migrated database. */
export async function serve(
  settings: Settings,
  log: Logger,
  options: { onDatabaseLost?: (err: unknown) => void } = {},
): Promise<RunningServer> {
  const box = await openSecretBox(settings, log);
  const database = await openDatabase(settings, log);
  const watch = options.onDatabaseLost ? watchDatabase(database.pool, options.onDatabaseLost) : undefined;
  // What is started is stopped again, last first, when a later step fails.
  const undo: (() => Promise<unknown>)[] = [() => database.close().catch(() => undefined), async () => watch?.stop()];
  try {
    // Demo mode: no Exact app is configured, so the sandbox stands in for Exact Online, on its own port
    // (the same wire protocol; the client reaches it only through its base URL). 5,000 lines in the largest
    // administration: a first sync fits in Exact's 60 calls a minute per division.
    // The demo's Exact runs beside the server on plain HTTP: its webhooks may call back over HTTP too.
    const sandbox = settings.demoMode
      ? await startSandbox({ seed: 1, divisions: 3, scale: 5_000, webhooks: { allowHttp: true } })
      : undefined;
    if (sandbox) undo.unshift(() => sandbox.close());
    const services = await startServices(settings, log, database, box, sandbox);
    undo.unshift(() => services.sync.stop(0));
    const handler = createApp({
      log,
      pool: database.pool,
      version: VERSION,
      addinDir: path.join(DIST_DIR, 'addin'),
      consoleDir: path.join(DIST_DIR, 'console'),
      services,
    });
    const server = httpServer(settings, handler);
    await listen(server, settings.port, settings.host);
    // Demo mode connects to the sandbox and syncs it in the background; the server answers meanwhile.
    const demoSync = sandbox ? startDemo(services, sandbox) : undefined;
    let closing: Promise<void> | undefined;
    return {
      url: settings.publicUrl,
      database,
      sandbox,
      demoSync,
      services,
      close() {
        closing ??= (async () => {
          watch?.stop();
          await closeHttp(server, 10_000);
          // Syncs in progress stop after the page they are writing (each page commits with its cursor, so
          // nothing half-written stays); their jobs go back to the queue for the next worker, or the next start.
          await services.sync.stop(3000);
          if (!(services.query instanceof Error)) await services.query.close();
          await sandbox?.close();
          await database.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    for (const step of undo) await step();
    throw err;
  }
}

/** The Exact runtime, the query runner, the job scheduler with its worker, and what the API needs of them. */
async function startServices(
  settings: Settings,
  log: Logger,
  database: Database,
  box: SecretBox,
  sandbox: RunningSandbox | undefined,
): Promise<Services> {
  // The Exact app: the one registered in Exact's App Center, or in demo mode the sandbox's, on every country.
  const { app, tokens, pacer } = exactRuntime({
    pool: database.pool,
    box,
    settings,
    log,
    sandboxUrl: () => sandbox!.url,
  });
  // Users' SQL runs under a read-only role; without one (a database user that may not create roles) the
  // rest of the server works and the query routes say why they cannot.
  const query = await QueryRunner.open(database.url, database.pool, box, log, settings.readerLimits).catch(
    (err: unknown) => {
      log.warn({ err }, 'the query API is unavailable');
      return err instanceof Error ? err : new Error(String(err));
    },
  );
  const pushes = pushDeps(settings, database.pool, query, log);
  const sync = await Scheduler.start(
    database.url,
    {
      pool: database.pool,
      tokens,
      pacer,
      clientId: app.clientId,
      log,
      pushes,
      callbackUrl: webhookCallbackUrl(settings.publicUrl),
    },
    {
      ...DEFAULT_JOB_OPTIONS,
      concurrency: settings.workerConcurrency,
      heartbeatSeconds: settings.jobHeartbeatSeconds,
      webhookIntervalSeconds: settings.webhookIntervalSeconds,
      work: true,
    },
  );
  return {
    pool: database.pool,
    log,
    publicUrl: settings.publicUrl,
    app,
    tokens,
    pacer,
    sync,
    query,
    pushes,
    queryLimits: settings.queryLimits,
    readerLimits: settings.readerLimits,
    trustProxy: settings.trustProxy,
    databaseAddress: database.address,
    databaseEmbedded: database.embedded !== undefined,
    corsOrigins: settings.corsOrigins,
    demo: settings.demoMode,
    setup: (await needsSetup(database.pool)) ? new SetupCode() : undefined,
  };
}

/** HTTPS with TLS_CERT_FILE / TLS_KEY_FILE (Office add-ins must be served over HTTPS), else HTTP. */
function httpServer(settings: Settings, handler: http.RequestListener): http.Server {
  if (!settings.tls) return http.createServer(handler);
  try {
    return https.createServer(
      { cert: readFileSync(settings.tls.certFile), key: readFileSync(settings.tls.keyFile) },
      handler,
    );
  } catch (err) {
    throw new AppError(
      'tls_invalid',
      `TLS_CERT_FILE and TLS_KEY_FILE could not be used for HTTPS: ${err instanceof Error ? err.message : String(err)}. Give PEM files of a certificate and its key (e.g. npx office-addin-dev-certs install).`,
    );
  }
}

/** What Google Sheets pushes need; undefined without the query role (pushes run SQL under it). */
function pushDeps(settings: Settings, pool: pg.Pool, query: QueryRunner | Error, log: Logger): PushDeps | undefined {
  if (query instanceof Error) return undefined;
  const sheets = sheetsClient({ credentialsFile: settings.googleCredentialsFile, rootUrl: settings.googleSheetsUrl });
  if (sheets instanceof Error) log.info('Google Sheets writeback is off: GOOGLE_APPLICATION_CREDENTIALS is not set');
  return { pool, query, limits: settings.queryLimits, sheets, writesPerMinute: settings.sheetsWritesPerMinute };
}

export interface RunningWorker {
  database: Database;
  scheduler: Scheduler;
  close(): Promise<void>;
}

/**
 * Only a worker: division jobs and the minute tick from the shared PostgreSQL, no HTTP. Several may run
 * on several machines with the same DATABASE_URL and SECRET_KEY (the tokens are sealed with it).
 */
export async function startWorker(settings: Settings, log: Logger): Promise<RunningWorker> {
  const box = await openSecretBox(settings, log);
  const database = await openDatabase(settings, log, { owner: false });
  // Without an Exact app configured, the connections are demo-mode connections to a sandbox: its app it is.
  const { app, tokens, pacer } = exactRuntime({ pool: database.pool, box, settings, log });
  let scheduler: Scheduler;
  // Sheets pushes run their SQL under the query role too.
  const query = await QueryRunner.open(database.url, database.pool, box, log, settings.readerLimits).catch(
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  try {
    scheduler = await Scheduler.start(
      database.url,
      {
        pool: database.pool,
        tokens,
        pacer,
        clientId: app.clientId,
        log,
        pushes: pushDeps(settings, database.pool, query, log),
        callbackUrl: webhookCallbackUrl(settings.publicUrl),
      },
      {
        ...DEFAULT_JOB_OPTIONS,
        concurrency: settings.workerConcurrency,
        heartbeatSeconds: settings.jobHeartbeatSeconds,
        webhookIntervalSeconds: settings.webhookIntervalSeconds,
        work: true,
      },
    );
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
  let closing: Promise<void> | undefined;
  return {
    database,
    scheduler,
    close() {
      closing ??= (async () => {
        await scheduler.stop(3000);
        if (!(query instanceof Error)) await query.close();
        await database.close();
      })();
      return closing;
    },
  };
}
