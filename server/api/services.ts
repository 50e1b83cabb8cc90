import type pg from 'pg';
import type { SetupCode } from '../auth/setupCode.ts';
import type { Pacer } from '../exact/client.ts';
import type { ExactApp } from '../exact/hosts.ts';
import type { TokenManager } from '../exact/tokens.ts';
import type { Logger } from '../lib/logger.ts';
import type { Scheduler } from '../schedule/scheduler.ts';
import type { QueryLimits, QueryRunner } from '../query/runner.ts';
import type { ReaderLimits } from '../lib/settings.ts';
import type { PushDeps } from '../sheets/targets.ts';

/** What the HTTP layer works with, wired once in server/main.ts. */
export interface Services {
  pool: pg.Pool;
  log: Logger;
  /** Where browsers and Exact reach this server; the OAuth redirect is `${publicUrl}/connect/exact/callback`. */
  publicUrl: string;
  /** The Exact app (in demo mode: the built-in sandbox's). */
  app: ExactApp;
  tokens: TokenManager;
  pacer: Pacer;
  /** Sync now, queued jobs, the schedule (pg-boss). */
  sync: Scheduler;
  /** Runs users' SQL under the read-only role; an AppError when that role could not be set up. */
  query: QueryRunner | Error;
  /** Google Sheets pushes (undefined when the query role is unavailable). */
  pushes: PushDeps | undefined;
  queryLimits: QueryLimits;
  readerLimits: ReaderLimits;
  /** TRUST_PROXY: which proxies' X-Forwarded-For to believe. */
  trustProxy?: string | undefined;
  /** Browser origins allowed to call /api/v1 besides publicUrl's and Apps Script's (CORS_ORIGINS). */
  corsOrigins: readonly string[];
  /** How BI tools reach the database (shown with a new BI user's password). */
  databaseAddress: { host: string; port: number; database: string };
  /** The database is the embedded PostgreSQL (PG_LISTEN applies), not DATABASE_URL's. */
  databaseEmbedded: boolean;
  demo: boolean;
  /** Present until an admin password is set: the code printed at start that lets the console set it. */
  setup: SetupCode | undefined;
}

export const redirectUri = (s: Services): string => `${s.publicUrl}/connect/exact/callback`;
export const secureCookies = (s: Services): boolean => s.publicUrl.startsWith('https:');
