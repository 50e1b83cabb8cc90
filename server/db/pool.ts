import pg from 'pg';
import { AppError, messageOf } from '../lib/errors.ts';

/** The URL as it may be shown: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Why a connection failed, in words an admin can act on. A pure function of the error, tested on its own. */
export function describeConnectError(err: unknown, url: string): string {
  const where = redactUrl(url);
  const e = err as { code?: string; message?: string };
  switch (e.code) {
    case 'ECONNREFUSED':
      return `Cannot connect to PostgreSQL at ${where}: connection refused. Is the server running, and is the port right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot connect to PostgreSQL at ${where}: the host name does not resolve.`;
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      return `Cannot connect to PostgreSQL at ${where}: no answer within the time limit. Check the host, port and firewall.`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} refused the login: ${messageOf(err)}. Check the user and password in DATABASE_URL.`;
    case '3D000':
      return `PostgreSQL at ${where} has no such database: ${messageOf(err)}. Create it (createdb) or fix DATABASE_URL.`;
    default:
      return `Cannot connect to PostgreSQL at ${where}: ${messageOf(err)}`;
  }
}

/**
 * The pool a process needs to run `concurrency` division syncs side by side: each run holds one
 * connection for its run lock (a session advisory lock) for as long as it runs, and uses one more for
 * its work (a page and its cursor in one transaction; token refreshes and run records between pages);
 * ten more serve the API, the scheduler and everything else. With the old fixed 10, ten runs held every
 * connection with their locks and failed with "timeout exceeded when trying to connect"
 * (`bench many-divisions`, BENCHMARKS.md).
 */
export function poolSizeFor(concurrency: number): number {
  return 2 * concurrency + 10;
}

/**
 * What exact-sync may hold at once besides that pool: pg-boss's own pool (4), the query API's admin pool
 * and a few callers' (8), and room for BI tools and psql (10).
 */
const OTHER_CONNECTIONS = 22;

/** The most connections exact-sync may open with `concurrency` division syncs. */
export function connectionsFor(concurrency: number): number {
  return poolSizeFor(concurrency) + OTHER_CONNECTIONS;
}

/**
 * max_connections for the embedded server: PostgreSQL's default of 100, or more when WORKER_CONCURRENCY
 * needs it (and the 3 connections PostgreSQL keeps aside for superusers).
 */
export function embeddedMaxConnections(concurrency: number): number {
  return Math.max(100, connectionsFor(concurrency) + 3);
}

/**
 * A warning when PostgreSQL allows fewer connections than exact-sync may open with `concurrency`
 * division syncs (max_connections less those reserved), else undefined: a DATABASE_URL server, or an
 * embedded one an earlier process started with less.
 */
export function connectionsWarning(maxConnections: number, reserved: number, concurrency: number): string | undefined {
  const need = connectionsFor(concurrency);
  const allowed = maxConnections - reserved;
  if (need <= allowed) return undefined;
  return `PostgreSQL allows ${allowed} connections (max_connections ${maxConnections} less ${reserved} reserved), and exact-sync may open up to ${need} with WORKER_CONCURRENCY=${concurrency}: syncs may fail waiting for one. Raise max_connections to at least ${need + reserved}, or lower WORKER_CONCURRENCY to ${Math.max(1, Math.floor((allowed - OTHER_CONNECTIONS - 10) / 2))}.`;
}

export interface PoolOptions {
  applicationName?: string;
  max?: number;
  connectTimeoutMs?: number;
}

/** A pool whose first connection has been proven, or an AppError saying why there is none. */
export async function openPool(url: string, options: PoolOptions = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: url,
    application_name: options.applicationName ?? 'exact-sync',
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    const code = (err as { code?: string }).code;
    const timedOut = /timeout/i.test(messageOf(err)) ? 'CONNECT_TIMEOUT' : code;
    throw new AppError(
      'database_unreachable',
      describeConnectError({ ...(err as object), code: timedOut, message: messageOf(err) }, url),
      { cause: err },
    );
  }
  return pool;
}
