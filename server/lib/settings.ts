import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { SettingsError } from './errors.ts';

/**
 * Every setting of exact-sync, read from the environment (and `.env`). One schema: a bad value stops
 * start-up with every problem listed at once. Names and defaults are documented in the README (Settings);
 * change them together.
 */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** An unset variable and one set to the empty string both mean "use the default". */
const optionalText = z.preprocess((v) => (v === '' ? undefined : v), z.string().trim().optional());

const port = (name: string, fallback: number) =>
  z.preprocess(
    (v) => (v === '' || v === undefined ? String(fallback) : v),
    z
      .string()
      .refine((v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535, {
        error: (issue) => `${name} must be a port number from 1 to 65535 (got ${JSON.stringify(issue.input)})`,
      })
      .transform(Number),
  );

const wholeNumber = (name: string, fallback: number, min: number, max: number) =>
  z.preprocess(
    (v) => (v === '' || v === undefined ? String(fallback) : v),
    z
      .string()
      .trim()
      .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, {
        error: (issue) => `${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(issue.input)})`,
      })
      .transform(Number),
  );

const httpUrl = (name: string) =>
  optionalText.refine((v) => v === undefined || isUrl(v, ['http:', 'https:']), {
    error: (issue) => `${name} must be an http(s) URL such as https://example.com (got ${JSON.stringify(issue.input)})`,
  });

function isUrl(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

/** SECRET_KEY is 32 bytes, written as 64 hex digits or as base64 (44 characters). */
export function parseSecretKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const buf = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (buf.length === 32) return buf;
  }
  return undefined;
}

const schema = z.object({
  DATABASE_URL: optionalText.refine((v) => v === undefined || isUrl(v, ['postgres:', 'postgresql:']), {
    error: 'DATABASE_URL must be a PostgreSQL URL such as postgres://user:password@host:5432/dbname',
  }),
  PORT: port('PORT', 3000),
  HOST: optionalText,
  PUBLIC_URL: httpUrl('PUBLIC_URL'),
  EXACT_CLIENT_ID: optionalText,
  EXACT_CLIENT_SECRET: optionalText,
  EXACT_WEBHOOK_SECRET: optionalText,
  EXACT_BASE_URL: httpUrl('EXACT_BASE_URL'),
  SECRET_KEY: optionalText.refine((v) => v === undefined || parseSecretKey(v) !== undefined, {
    error: 'SECRET_KEY must be 32 random bytes as 64 hex digits or base64 (try: openssl rand -hex 32)',
  }),
  GOOGLE_APPLICATION_CREDENTIALS: optionalText,
  GOOGLE_SHEETS_URL: httpUrl('GOOGLE_SHEETS_URL'),
  LOG_LEVEL: z.preprocess(
    (v) => (v === '' || v === undefined ? 'info' : String(v).toLowerCase()),
    z.enum(LOG_LEVELS, {
      error: (issue) => `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(issue.input)})`,
    }),
  ),
  LOG_FORMAT: optionalText.refine((v) => v === undefined || v === 'json' || v === 'pretty', {
    error: 'LOG_FORMAT must be "json" or "pretty"',
  }),
  DATA_DIR: optionalText,
  WORKER_CONCURRENCY: wholeNumber('WORKER_CONCURRENCY', 10, 1, 100),
  JOB_HEARTBEAT_SECONDS: wholeNumber('JOB_HEARTBEAT_SECONDS', 30, 10, 3600),
  WEBHOOK_MIN_INTERVAL_SECONDS: wholeNumber('WEBHOOK_MIN_INTERVAL_SECONDS', 60, 0, 3600),
  TLS_CERT_FILE: optionalText,
  TLS_KEY_FILE: optionalText,
  CORS_ORIGINS: optionalText.refine(
    (v) => v === undefined || v.split(',').every((o) => /^https?:\/\/[^/\s]+$/.test(o.trim())),
    {
      error:
        'CORS_ORIGINS must be origins such as https://excel.example.com, comma-separated (scheme and host, no path)',
    },
  ),
  PG_LISTEN: optionalText.refine((v) => v === undefined || /^(\*|[A-Za-z0-9.:-]+)(\s*,\s*[A-Za-z0-9.:-]+)*$/.test(v), {
    error:
      'PG_LISTEN must be addresses the embedded PostgreSQL listens on, such as 0.0.0.0 or 192.168.1.20 or *, comma-separated',
  }),
  QUERY_TIMEOUT_SECONDS: wholeNumber('QUERY_TIMEOUT_SECONDS', 300, 1, 86_400),
  QUERY_MAX_ROWS: wholeNumber('QUERY_MAX_ROWS', 5_000_000, 1, 1_000_000_000),
  QUERY_MAX_ROW_BYTES: wholeNumber('QUERY_MAX_ROW_BYTES', 8 * 1024 * 1024, 64 * 1024, 256 * 1024 * 1024),
  READER_WORK_MEM_MB: wholeNumber('READER_WORK_MEM_MB', 16, 1, 65_536),
  READER_TEMP_FILE_LIMIT_MB: wholeNumber('READER_TEMP_FILE_LIMIT_MB', 1024, 1, 10_485_760),
  BI_STATEMENT_TIMEOUT_SECONDS: wholeNumber('BI_STATEMENT_TIMEOUT_SECONDS', 1800, 1, 86_400),
  TRUST_PROXY: optionalText,
  SHEETS_WRITES_PER_MINUTE: wholeNumber('SHEETS_WRITES_PER_MINUTE', 50, 1, 100_000),
});

/** What one login role that reads may use: PostgreSQL settings it starts with, and its connections. */
export interface RoleLimits {
  connections: number;
  statementTimeoutSeconds: number;
  idleInTransactionSeconds: number;
  workMemMb: number;
  /** temp_file_limit: a superuser's setting, so the one limit a session cannot lift. */
  tempFileLimitMb: number;
}

/** The query API's roles (the shared one and one per caller) and the BI users. */
export interface ReaderLimits {
  query: RoleLimits;
  bi: RoleLimits;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = {
  query: {
    connections: 20,
    statementTimeoutSeconds: 300,
    idleInTransactionSeconds: 60,
    workMemMb: 16,
    tempFileLimitMb: 1024,
  },
  bi: {
    connections: 20,
    statementTimeoutSeconds: 1800,
    idleInTransactionSeconds: 300,
    workMemMb: 16,
    tempFileLimitMb: 1024,
  },
};

export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Settings {
  /** Unset: the embedded PostgreSQL server under `dataDir/postgres`. */
  databaseUrl: string | undefined;
  port: number;
  host: string | undefined;
  publicUrl: string;
  /** The Exact app; `webhookSecret` (App Center, under Authorization) verifies webhook deliveries. */
  exact: { clientId: string; clientSecret: string; webhookSecret: string | undefined } | undefined;
  exactBaseUrl: string | undefined;
  /** The 32-byte key when given in the environment; otherwise read from or created in `dataDir`. */
  secretKey: Buffer | undefined;
  googleCredentialsFile: string | undefined;
  /** Where the Sheets API is (unset: Google's); a stand-in in tests. */
  googleSheetsUrl: string | undefined;
  /** Write requests a minute the service account's pushes take, all processes together (Google allows 60). */
  sheetsWritesPerMinute: number;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty';
  dataDir: string;
  /** No Exact app configured: start the built-in sandbox and connect to it. */
  demoMode: boolean;
  /** Division syncs one worker process runs side by side. */
  workerConcurrency: number;
  /** A worker that is not heard from for this long loses its jobs to another worker. */
  jobHeartbeatSeconds: number;
  /** A division's webhook events start a run at most this often (server/schedule/decide.ts webhookActDelay). */
  webhookIntervalSeconds: number;
  /** HTTPS: certificate and key files (PEM), e.g. from office-addin-dev-certs; unset: plain HTTP. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Browser origins besides PUBLIC_URL's (and Apps Script's) that may call /api/v1. */
  corsOrigins: string[];
  /** Where the embedded PostgreSQL listens (BI tools); unset: 127.0.0.1 only. */
  pgListen: string | undefined;
  /** The longest one query through the API may run, the most rows it may return, the most one row may hold. */
  queryLimits: { timeoutMs: number; maxRows: number; maxRowBytes: number };
  /** What the roles that read (the query API's, the BI users) may use in PostgreSQL. */
  readerLimits: ReaderLimits;
  /** Express's `trust proxy`: which proxies' X-Forwarded-For names the client (unset: none). */
  trustProxy: string | undefined;
}

export interface SettingsInput {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether stdout is a terminal: picks the default log format. */
  isTTY?: boolean;
}

/** Parses the environment into Settings, or throws a SettingsError listing every problem. */
export function loadSettings({ env, cwd, isTTY = false }: SettingsInput): Settings {
  const parsed = schema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.');
      problems.push(issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`);
    }
  }
  // Checked outside the schema so that it is reported together with the problems of single fields.
  const given = (name: string) => (env[name] ?? '').trim() !== '';
  if (given('EXACT_CLIENT_ID') !== given('EXACT_CLIENT_SECRET')) {
    problems.push(
      'EXACT_CLIENT_ID, EXACT_CLIENT_SECRET: set both (from the Exact App Center), or neither for demo mode',
    );
  }
  if (given('EXACT_WEBHOOK_SECRET') && !given('EXACT_CLIENT_ID'))
    problems.push(
      'EXACT_WEBHOOK_SECRET: belongs to an Exact app; set EXACT_CLIENT_ID and EXACT_CLIENT_SECRET too (demo mode has its own)',
    );
  const dataDir = path.resolve(cwd, (parsed.success ? parsed.data.DATA_DIR : undefined) ?? 'data');
  const google = parsed.success ? parsed.data.GOOGLE_APPLICATION_CREDENTIALS : undefined;
  if (google !== undefined && !existsSync(path.resolve(cwd, google))) {
    problems.push(`GOOGLE_APPLICATION_CREDENTIALS: file not found: ${path.resolve(cwd, google)}`);
  }
  const tlsCert = parsed.success ? parsed.data.TLS_CERT_FILE : undefined;
  const tlsKey = parsed.success ? parsed.data.TLS_KEY_FILE : undefined;
  if ((tlsCert === undefined) !== (tlsKey === undefined))
    problems.push('TLS_CERT_FILE, TLS_KEY_FILE: set both (PEM files) for HTTPS, or neither');
  for (const [name, file] of [
    ['TLS_CERT_FILE', tlsCert],
    ['TLS_KEY_FILE', tlsKey],
  ] as const) {
    if (file !== undefined && !existsSync(path.resolve(cwd, file)))
      problems.push(`${name}: file not found: ${path.resolve(cwd, file)}`);
  }
  if (!parsed.success || problems.length > 0) throw new SettingsError(problems);

  const e = parsed.data;
  const exact =
    e.EXACT_CLIENT_ID !== undefined && e.EXACT_CLIENT_SECRET !== undefined
      ? { clientId: e.EXACT_CLIENT_ID, clientSecret: e.EXACT_CLIENT_SECRET, webhookSecret: e.EXACT_WEBHOOK_SECRET }
      : undefined;
  return {
    databaseUrl: e.DATABASE_URL,
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `${e.TLS_CERT_FILE ? 'https' : 'http'}://localhost:${e.PORT}`).replace(/\/+$/, ''),
    exact,
    exactBaseUrl: e.EXACT_BASE_URL?.replace(/\/+$/, ''),
    secretKey: e.SECRET_KEY === undefined ? undefined : parseSecretKey(e.SECRET_KEY),
    googleCredentialsFile: google === undefined ? undefined : path.resolve(cwd, google),
    googleSheetsUrl: e.GOOGLE_SHEETS_URL,
    sheetsWritesPerMinute: e.SHEETS_WRITES_PER_MINUTE,
    logLevel: e.LOG_LEVEL,
    logFormat: (e.LOG_FORMAT as 'json' | 'pretty' | undefined) ?? (isTTY ? 'pretty' : 'json'),
    dataDir,
    demoMode: exact === undefined,
    workerConcurrency: e.WORKER_CONCURRENCY,
    jobHeartbeatSeconds: e.JOB_HEARTBEAT_SECONDS,
    webhookIntervalSeconds: e.WEBHOOK_MIN_INTERVAL_SECONDS,
    tls: tlsCert && tlsKey ? { certFile: path.resolve(cwd, tlsCert), keyFile: path.resolve(cwd, tlsKey) } : undefined,
    corsOrigins: e.CORS_ORIGINS ? e.CORS_ORIGINS.split(',').map((o) => o.trim()) : [],
    pgListen: e.PG_LISTEN?.replace(/\s+/g, ''),
    queryLimits: {
      timeoutMs: e.QUERY_TIMEOUT_SECONDS * 1000,
      maxRows: e.QUERY_MAX_ROWS,
      maxRowBytes: e.QUERY_MAX_ROW_BYTES,
    },
    readerLimits: readerLimits(e),
    trustProxy: e.TRUST_PROXY,
  };
}

/**
 * The environment as the process sees it, with `.env` in `cwd` underneath: a variable set in the real
 * environment wins over the file. A `.env` that cannot be parsed is a settings problem, not a crash.
 */
export function readEnvironment(cwd: string, env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const file = path.join(cwd, '.env');
  if (!existsSync(file)) return { ...env };
  let fromFile: Record<string, string>;
  try {
    fromFile = parseEnv(readFileSync(file, 'utf8')) as Record<string, string>;
  } catch (err) {
    throw new SettingsError([`.env: cannot be read (${(err as Error).message})`]);
  }
  return { ...fromFile, ...env };
}

/** The readers' limits: the query API's roles follow QUERY_TIMEOUT_SECONDS, BI users their own timeout. */
function readerLimits(e: z.infer<typeof schema>): ReaderLimits {
  const shared = { workMemMb: e.READER_WORK_MEM_MB, tempFileLimitMb: e.READER_TEMP_FILE_LIMIT_MB };
  return {
    query: { ...DEFAULT_READER_LIMITS.query, ...shared, statementTimeoutSeconds: e.QUERY_TIMEOUT_SECONDS },
    bi: { ...DEFAULT_READER_LIMITS.bi, ...shared, statementTimeoutSeconds: e.BI_STATEMENT_TIMEOUT_SECONDS },
  };
}
