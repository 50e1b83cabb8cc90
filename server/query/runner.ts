import { createHmac, randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { REPORTS_SCHEMA, type ColumnKind, type ResultColumn } from './types.ts';
import { warehouseSchemas } from '../state/connections.ts';
import { settingOrDefault } from '../state/instanceSettings.ts';
import { to as copyTo } from 'pg-copy-streams';
import {
  callerRoleName,
  createRoleIfMissing,
  currentReaderRoles,
  dropCallerRole,
  DEFAULT_READER_LIMITS,
  ensureLoginRole,
  grantWarehouseSchema,
  hardenDatabase,
  type ReaderLimits,
  type ReaderRoles,
} from '../db/roles.ts';
import { guardedCursor, tooLarge } from './guard.ts';
import { copyTextTo } from './copyText.ts';
import { csvHeader } from './copyTextCsv.ts';
import { quoteIdent } from '../db/sql.ts';
import type { SecretBox } from '../lib/crypto.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

/**
 * SQL from users (the query API, saved queries, the add-ins) runs here, and only here:
 *
 * - on a pool that logs in as the query role, a member of the warehouse readers' group: it can read
 *   the warehouse schemas and nothing of exact_sync (tokens, keys); being its own session user, it
 *   cannot SET ROLE to anything else, not even through set_config();
 * - inside `BEGIN READ ONLY`, as `DECLARE … NO SCROLL CURSOR FOR <sql>` sent with the extended protocol:
 *   PostgreSQL's grammar takes only a query there (SELECT, WITH … SELECT, VALUES, TABLE), the extended
 *   protocol takes only one statement, DECLARE refuses data-modifying WITH, the transaction refuses
 *   writes, the role refuses what it may not read. Nothing is refused by reading the SQL here;
 * - with a time limit (statement_timeout for each fetch, and a deadline for the whole result after which
 *   the query is cancelled from outside, so no SET inside a query can lift it) and a row cap;
 * - fetched in batches from the cursor and handed to a sink as PostgreSQL's own text, so memory stays
 *   flat however large the result.
 */

export interface QueryLimits {
  timeoutMs: number;
  maxRows: number;
  /** Set when the caller asked for fewer rows than QUERY_MAX_ROWS (the request's maxRows). */
  maxRowsAsked?: boolean;
  /** The most one row of a result may hold (PostgreSQL's size of it); QUERY_MAX_ROW_BYTES. */
  maxRowBytes: number;
}

export type { ColumnKind, ResultColumn };

/** Where rows go: a response being written. Batches are PostgreSQL's text of each value (null for NULL). */
export interface ResultSink {
  columns(columns: readonly ResultColumn[]): Promise<void> | void;
  rows(batch: readonly (readonly (string | null)[])[]): Promise<void> | void;
}

export interface QueryOptions {
  sql: string;
  params?: readonly (string | number | boolean | null)[];
  /** The warehouse schema the query reads first (search_path). */
  schema: string;
  limits: QueryLimits;
  signal?: AbortSignal;
  /**
   * Who asks ({@link callerOf}): each caller's queries run as a login role of its own, so that one
   * caller can neither see another's running SQL in pg_stat_activity nor cancel it. Unset: the shared
   * query role (exact-sync's own work: Sheets pushes, the CLI).
   */
  caller?: string;
}

export interface QueryOutcome {
  rows: number;
}

/** Type OIDs (pg_type) the API knows, by how clients use the values. */
const TYPES: Record<number, [string, ColumnKind]> = {
  16: ['boolean', 'boolean'],
  20: ['bigint', 'integer'],
  21: ['smallint', 'integer'],
  23: ['integer', 'integer'],
  26: ['oid', 'integer'],
  700: ['real', 'number'],
  701: ['double precision', 'number'],
  1700: ['numeric', 'number'],
  790: ['money', 'text'],
  25: ['text', 'text'],
  1043: ['varchar', 'text'],
  1042: ['char', 'text'],
  19: ['name', 'text'],
  2950: ['uuid', 'text'],
  1082: ['date', 'date'],
  1114: ['timestamp', 'datetime'],
  1184: ['timestamptz', 'datetime'],
  1083: ['time', 'text'],
  1186: ['interval', 'text'],
  114: ['json', 'json'],
  3802: ['jsonb', 'json'],
  17: ['bytea', 'text'],
};

export function columnOf(field: { name: string; dataTypeID: number }): ResultColumn {
  const [type, kind] = TYPES[field.dataTypeID] ?? [`oid ${field.dataTypeID}`, 'text'];
  return { name: field.name, type, kind };
}

/** The caller name of an API key or of the console's session (letters and digits: part of a role name). */
export function callerOf(who: { keyId?: number; via: 'api_key' | 'session' }): string {
  return who.via === 'api_key' && who.keyId !== undefined ? `k${who.keyId}` : 'console';
}

/** Every value as PostgreSQL's text, untouched (the formats decide what to do with it). */
const RAW = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;
const BATCH_ROWS = 500;
const CURSOR = 'exact_sync_result';
const PASSWORD_KEY = 'query.role_password';
/** After a deadline's cancel, how long the query may take to stop before its connection is cut. */
const CANCEL_GRACE_MS = 2000;
/** Connections one caller's queries may hold at once (a pool per caller; its role's CONNECTION LIMIT). */
export const CALLER_CONNECTIONS = 4;

/** The socket under a pg client: cut to end a session at once, whatever the protocol is in the middle of. */
function socketOf(client: pg.PoolClient): { destroy(): void } {
  return (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream;
}

export class QueryRunner {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly admin: pg.Pool;
  private readonly url: string;
  private readonly roles: ReaderRoles;
  private readonly password: string;
  private readonly roleLimits: ReaderLimits;
  private readonly log: Logger | undefined;

  private constructor(o: {
    admin: pg.Pool;
    url: string;
    roles: ReaderRoles;
    password: string;
    roleLimits: ReaderLimits;
    log?: Logger;
  }) {
    this.admin = o.admin;
    this.url = o.url;
    this.roles = o.roles;
    this.password = o.password;
    this.roleLimits = o.roleLimits;
    this.log = o.log;
  }

  /**
   * Makes sure the roles exist, can read every warehouse schema and carry the readers' limits, then
   * opens pools logged in as the query roles when first needed (the shared role's password sealed in
   * instance_settings, shared by every API process; each caller's derived from it).
   * `databaseUrl` is exact-sync's own; only its user and password are replaced.
   */
  static async open(
    databaseUrl: string,
    admin: pg.Pool,
    box: SecretBox,
    log?: Logger,
    roleLimits: ReaderLimits = DEFAULT_READER_LIMITS,
  ): Promise<QueryRunner> {
    const roles = await currentReaderRoles(admin);
    let password: string;
    try {
      await createRoleIfMissing(admin, roles.group, 'NOLOGIN');
      password = await storedPassword(admin, box);
      await ensureLoginRole(admin, roles.query, password, roleLimits.query);
      for (const schema of await warehouseSchemas(admin)) await grantWarehouseSchema(admin, schema);
      const hardened = await hardenDatabase(admin);
      if (!hardened.ok) log?.warn(hardened.why);
    } catch (err) {
      if ((err as { code?: string }).code === '42501') {
        throw new AppError(
          'query_roles_unavailable',
          `exact-sync's database user may not create roles, so SQL from users cannot run under a read-only role: ${messageOf(err)}. Give it CREATEROLE (ALTER ROLE … CREATEROLE), or use the embedded PostgreSQL.`,
          { status: 503 },
        );
      }
      throw err;
    }
    return new QueryRunner({ admin, url: databaseUrl, roles, password, roleLimits, ...(log ? { log } : {}) });
  }

  /** The pool logged in as `caller`'s role (made, with its role, the first time). */
  private async poolOf(caller: string | undefined): Promise<pg.Pool> {
    const key = caller ?? '';
    const known = this.pools.get(key);
    if (known) return known;
    let role = this.roles.query;
    let password = this.password;
    if (caller !== undefined) {
      if (!/^[a-z0-9]{1,12}$/.test(caller)) throw new Error(`not a caller name: ${caller}`);
      role = callerRoleName(this.roles.query, caller);
      password = createHmac('sha256', this.password).update(role).digest('base64url');
      await ensureLoginRole(this.admin, role, password, this.roleLimits.query);
    }
    if (this.pools.has(key)) return this.pools.get(key)!;
    const url = new URL(this.url);
    url.username = role;
    url.password = password;
    const pool = new pg.Pool({
      connectionString: url.toString(),
      max: caller === undefined ? 8 : CALLER_CONNECTIONS,
      idleTimeoutMillis: 30_000,
      application_name: 'exact-sync query',
      connectionTimeoutMillis: 10_000,
    });
    pool.on('error', (err) => this.log?.warn({ err }, 'query connection failed'));
    this.pools.set(key, pool);
    return pool;
  }

  private async connect(caller: string | undefined): Promise<pg.PoolClient> {
    const pool = await this.poolOf(caller);
    try {
      return await pool.connect();
    } catch (err) {
      if (/timeout exceeded when trying to connect/.test(messageOf(err)))
        throw new AppError(
          'too_many_queries',
          `This caller already runs ${pool.options.max} queries at once and none finished within 10 s; wait for one to finish.`,
          { status: 503 },
        );
      throw err;
    }
  }

  /** The columns `o.sql` would answer with, without running it further than PostgreSQL's planning. */
  async describe(o: QueryOptions): Promise<ResultColumn[]> {
    return this.session(o, async (_client, columns) => [...columns]);
  }

  /** Runs `o.sql` into `sink`. Errors are AppErrors that say what PostgreSQL refused, or which limit was hit. */
  async run(o: QueryOptions, sink: ResultSink): Promise<QueryOutcome> {
    return this.session(o, async (client, columns) => {
      const batch = { rows: BATCH_ROWS, bytes: 4 * o.limits.maxRowBytes };
      await client.query({
        text: `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${guardedCursor(o.sql, columns.length, { maxRowBytes: o.limits.maxRowBytes, batch })}`,
        values: [...(o.params ?? [])],
        queryMode: 'extended',
      } as pg.QueryConfig);
      let total = 0;
      let described = false;
      for (;;) {
        if (o.signal?.aborted) break;
        const fetched = await client.query({
          text: `FETCH ${BATCH_ROWS} FROM ${CURSOR}`,
          rowMode: 'array',
          types: RAW,
        });
        if (!described) {
          await sink.columns(columns);
          described = true;
        }
        if (fetched.rows.length === 0) break;
        if (total + fetched.rows.length > o.limits.maxRows) throw rowLimit(o.limits);
        total += fetched.rows.length;
        await sink.rows(fetched.rows as (string | null)[][]);
      }
      return { rows: total };
    });
  }

  /**
   * The result as PostgreSQL's COPY writes it: after the query was accepted as a cursor (one statement,
   * a query, readable by the role), the same text runs as `COPY (…) TO STDOUT`, which streams as fast
   * as `psql \\copy`. Only for queries without parameters (COPY takes none).
   *
   * PostgreSQL sends its text format, its fastest output, for every format; CSV (copyTextCsv.ts, the
   * bytes PostgreSQL's own CSV would be), JSON rows (`[…]` elements after the prefix `start` answers)
   * and NDJSON lines are written from it here (copyText.ts), on another core. They count each row's bytes against
   * QUERY_MAX_ROW_BYTES on the way, and hold the first row back until it is whole, so an error before
   * it is still an ordinary error response.
   *
   * The row cap is applied with LIMIT cap + 1: PostgreSQL's own count says whether it was passed,
   * after the rows were sent, so the caller cuts the response off then.
   */
  async copy(
    o: QueryOptions,
    format: 'csv' | 'json' | 'ndjson',
    start: (columns: readonly ResultColumn[]) => string,
    out: Writable,
  ): Promise<QueryOutcome> {
    if (o.params?.length) throw new Error('COPY takes no parameters');
    const max = o.limits.maxRowBytes;
    return this.session(o, async (client, columns) => {
      // The user's SQL on lines of its own: PostgreSQL accepted it as one whole query, so it cannot close
      // the parentheses early, and a trailing -- comment ends at its newline.
      // Text for every format: PostgreSQL's cheapest output; CSV and JSON are written from it here.
      const copy = client.query(
        copyTo(`COPY (SELECT * FROM (\n${o.sql}\n) AS q LIMIT ${o.limits.maxRows + 1}) TO STDOUT`),
      );
      const prefix = start(columns);
      const head = format === 'json' ? prefix : format === 'csv' ? csvHeader(columns) : '';
      const rows = copyTextTo(format, columns, head, out, max);
      await pipeline(copy, rows);
      if (copy.rowCount > o.limits.maxRows) throw rowLimit(o.limits);
      return { rows: copy.rowCount };
    });
  }

  /**
   * A read-only transaction on a query-role connection with the limits set, in which PostgreSQL
   * accepted `o.sql` as a cursor (which is where it refuses what is not one readable query) and said
   * its columns; `body` takes it from there.
   *
   * The deadline cancels the query, and cuts its connection if it has not stopped soon after (a
   * client that reads slowly holds a COPY that a cancel cannot reach). A client that goes away, or an
   * error while rows are being sent, cuts the connection at once: PostgreSQL then ends the transaction
   * itself, where a ROLLBACK on a connection still busy sending would wait forever.
   */
  private async session<T>(
    o: QueryOptions,
    body: (client: pg.PoolClient, columns: readonly ResultColumn[]) => Promise<T>,
  ): Promise<T> {
    const client = await this.connect(o.caller);
    const pid = (client as unknown as { processID: number }).processID;
    let cancelledBy: 'timeout' | 'client' | undefined;
    let cut = false;
    const cutConnection = () => {
      if (cut) return;
      cut = true;
      socketOf(client).destroy();
    };
    // A cut connection says so as an 'error' event too (when no query is waiting to hear it): expected here.
    const expected = () => undefined;
    client.on('error', expected);
    const cancel = (why: 'timeout' | 'client') => {
      cancelledBy ??= why;
      void this.admin.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    };
    let grace: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      cancel('timeout');
      grace = setTimeout(cutConnection, CANCEL_GRACE_MS);
    }, o.limits.timeoutMs);
    const onAbort = () => {
      cancel('client');
      cutConnection();
    };
    o.signal?.addEventListener('abort', onAbort);
    let streaming = false;
    try {
      await client.query(sessionSettings(o));
      const prefix = `DECLARE ${CURSOR} NO SCROLL CURSOR FOR `;
      try {
        // queryMode 'extended' (pg ≥ 8.11, not in @types/pg): the extended protocol even without parameters,
        // so PostgreSQL takes exactly one statement.
        await client.query({
          text: prefix + o.sql,
          values: [...(o.params ?? [])],
          queryMode: 'extended',
        } as pg.QueryConfig);
      } catch (err) {
        // Planning can take the whole time too (constants are computed then): that is the deadline, not a refusal.
        if ((err as { code?: string }).code === '57014') throw err;
        throw refusal(err, prefix.length + (o.sql.length - o.sql.trimStart().length));
      }
      const described = await client.query({ text: `FETCH 0 FROM ${CURSOR}`, rowMode: 'array' });
      await client.query(`CLOSE ${CURSOR}`);
      if (o.signal?.aborted) onAbort();
      streaming = true;
      const result = await body(client, described.fields.map(columnOf));
      streaming = false;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if (streaming) cutConnection();
      throw failure(err, cancelledBy, o.limits);
    } finally {
      clearTimeout(deadline);
      clearTimeout(grace);
      o.signal?.removeEventListener('abort', onAbort);
      await this.release(client, cut);
      client.off('error', expected);
    }
  }

  /**
   * Back to the pool clean: the transaction ended and the session reset (DISCARD ALL also lets go of
   * any advisory lock a query took), or the connection closed when it was cut or cannot be reset.
   */
  private async release(client: pg.PoolClient, cut: boolean): Promise<void> {
    let broken = cut;
    if (!broken) {
      try {
        await client.query('ROLLBACK');
        await client.query('DISCARD ALL');
      } catch {
        broken = true;
      }
    }
    client.release(broken ? true : undefined);
  }

  /** A revoked key: its pool closed, its role (and any session of it) gone. */
  async forgetCaller(caller: string): Promise<void> {
    const pool = this.pools.get(caller);
    this.pools.delete(caller);
    await pool?.end();
    await dropCallerRole(this.admin, caller);
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.end()));
  }
}

/** The transaction and its limits, in one round trip (a simple query of several statements). */
function sessionSettings(o: QueryOptions): string {
  return [
    'BEGIN READ ONLY',
    `SET LOCAL statement_timeout = ${Math.max(1, Math.round(o.limits.timeoutMs))}`,
    `SET LOCAL search_path = ${quoteIdent(o.schema)}, ${REPORTS_SCHEMA}, public`,
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
  ].join('; ');
}

/** What a failed session answers: the limit it hit, or what PostgreSQL refused. */
function failure(err: unknown, cancelledBy: 'timeout' | 'client' | undefined, limits: QueryLimits): AppError {
  if (err instanceof AppError) return err;
  const big = tooLarge(err, limits);
  if (big) return big;
  if (cancelledBy === 'client')
    return new AppError('query_cancelled', 'The query was cancelled: the client went away.', { status: 499 });
  if (cancelledBy === 'timeout' || (err as { code?: string }).code === '57014')
    return new AppError(
      'query_timeout',
      `The query ran longer than ${Math.round(limits.timeoutMs / 1000)} s, the time one query may take (QUERY_TIMEOUT_SECONDS), and was cancelled.`,
      { status: 408 },
    );
  return refusal(err, -1);
}

function rowLimit(limits: QueryLimits): AppError {
  const most = limits.maxRowsAsked
    ? 'the most this request asked for (maxRows)'
    : 'the most one query may return (QUERY_MAX_ROWS)';
  return new AppError(
    'row_limit',
    `The result has more than ${limits.maxRows.toLocaleString('en-US')} rows, ${most}. Narrow it with WHERE or LIMIT, or page through it.`,
    { status: 413 },
  );
}

/** The query role's password: made once, sealed in instance_settings. */
async function storedPassword(db: pg.Pool, box: SecretBox): Promise<string> {
  const fresh = randomBytes(24).toString('base64url');
  const sealed = await settingOrDefault(db, PASSWORD_KEY, box.seal(fresh, PASSWORD_KEY));
  return box.open(sealed, PASSWORD_KEY);
}

/**
 * What PostgreSQL said, as an error for the user. `start`: where the user's SQL begins in the DECLARE
 * statement; a syntax error right there means the statement is not a query at all.
 */
function refusal(err: unknown, start: number): AppError {
  const e = err as { code?: string; position?: string; message?: string };
  const said = messageOf(err);
  // Where in the user's SQL PostgreSQL stopped, when it said so (1-based, from the first non-blank character).
  const at = e.position && start >= 0 ? Number(e.position) - start : undefined;
  const refused = (code: string, message: string, status: number) =>
    new AppError(code, message, { status, position: at !== undefined && at > 0 ? at : undefined });
  switch (e.code) {
    case '42601':
      if (Number(e.position) === start + 1) {
        return refused(
          'not_a_query',
          `Only a query can run here (SELECT, WITH … SELECT, VALUES or TABLE); PostgreSQL refused this statement: ${said}.`,
          400,
        );
      }
      if (/multiple commands/.test(said))
        return refused(
          'multiple_statements',
          'One statement at a time: PostgreSQL refused several statements in one query.',
          400,
        );
      return refused(
        'query_syntax',
        `PostgreSQL could not read the query: ${said}${at !== undefined ? ` (at character ${at})` : ''}.`,
        400,
      );
    case '0A000':
      return refused('not_a_query', `Only a query that reads can run here; PostgreSQL refused it: ${said}.`, 400);
    case '53400':
    case '53200':
      return refused(
        'resource_limit',
        `The query needed more than a reader may use (temporary files: READER_TEMP_FILE_LIMIT_MB; memory per sort or hash: READER_WORK_MEM_MB) and was stopped: ${said}. Narrow it with WHERE, or aggregate before sorting.`,
        400,
      );
    case '25006':
      return refused('read_only', `Queries only read; PostgreSQL refused it: ${said}.`, 403);
    case '42501':
      return refused(
        'permission_denied',
        `Queries read only the warehouse schemas; PostgreSQL refused it: ${said}.`,
        403,
      );
    default:
      return refused('query_failed', `PostgreSQL refused the query: ${said}.`, 400);
  }
}
