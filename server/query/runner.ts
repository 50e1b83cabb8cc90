import { randomBytes } from 'node:crypto';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import type { ColumnKind, ResultColumn } from './types.ts';
import { warehouseSchemas } from '../state/connections.ts';
import { settingOrDefault } from '../state/instanceSettings.ts';
import { to as copyTo } from 'pg-copy-streams';
import { createRoleIfMissing, currentReaderRoles, grantWarehouseSchema, literal } from '../db/roles.ts';
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

/** Every value as PostgreSQL's text, untouched (the formats decide what to do with it). */
const RAW = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;
const BATCH_ROWS = 500;
const CURSOR = 'exact_sync_result';
const PASSWORD_KEY = 'query.role_password';

export class QueryRunner {
  private readonly pool: pg.Pool;
  private readonly admin: pg.Pool;

  private constructor(pool: pg.Pool, admin: pg.Pool) {
    this.pool = pool;
    this.admin = admin;
  }

  /**
   * Makes sure the roles exist and can read every warehouse schema, then opens a small pool logged in
   * as the query role (its password sealed in instance_settings, shared by every API process).
   * `databaseUrl` is exact-sync's own; only its user and password are replaced.
   */
  static async open(databaseUrl: string, admin: pg.Pool, box: SecretBox, log?: Logger): Promise<QueryRunner> {
    const roles = await currentReaderRoles(admin);
    let password: string;
    try {
      await createRoleIfMissing(admin, roles.group, 'NOLOGIN');
      await createRoleIfMissing(admin, roles.query, 'LOGIN');
      password = await storedPassword(admin, box);
      await admin.query(
        `ALTER ROLE ${quoteIdent(roles.query)} WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${literal(password)}`,
      );
      await admin.query(`GRANT ${quoteIdent(roles.group)} TO ${quoteIdent(roles.query)}`);
      for (const schema of await warehouseSchemas(admin)) await grantWarehouseSchema(admin, schema);
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
    const url = new URL(databaseUrl);
    url.username = roles.query;
    url.password = password;
    const pool = new pg.Pool({
      connectionString: url.toString(),
      max: 8,
      application_name: 'exact-sync query',
      connectionTimeoutMillis: 10_000,
    });
    pool.on('error', (err) => log?.warn({ err }, 'query connection failed'));
    return new QueryRunner(pool, admin);
  }

  /** Runs `o.sql` into `sink`. Errors are AppErrors that say what PostgreSQL refused, or which limit was hit. */
  async run(o: QueryOptions, sink: ResultSink): Promise<QueryOutcome> {
    return this.session(o, async (client) => {
      let total = 0;
      let described = false;
      for (;;) {
        if (o.signal?.aborted) break;
        const batch = await client.query({ text: `FETCH ${BATCH_ROWS} FROM ${CURSOR}`, rowMode: 'array', types: RAW });
        if (!described) {
          await sink.columns(batch.fields.map(columnOf));
          described = true;
        }
        if (batch.rows.length === 0) break;
        if (total + batch.rows.length > o.limits.maxRows) throw rowLimit(o.limits.maxRows);
        total += batch.rows.length;
        await sink.rows(batch.rows as (string | null)[][]);
      }
      return { rows: total };
    });
  }

  /**
   * CSV written by PostgreSQL itself: after the query was accepted as a cursor (one statement, a query,
   * readable by the role), the same text runs as `COPY (…) TO STDOUT`, which streams as fast as
   * `psql \\copy`. Only for queries without parameters (COPY takes none). The row cap is applied with
   * LIMIT cap + 1: PostgreSQL's own count says whether it was passed, after the rows were sent, so the
   * caller cuts the response off then.
   */
  async copyCsv(
    o: QueryOptions,
    start: (columns: readonly ResultColumn[]) => void,
    out: Writable,
  ): Promise<QueryOutcome> {
    return this.copyOut(
      o,
      (inner) => `SELECT * FROM (${inner}) AS q`,
      'WITH (FORMAT csv, HEADER)',
      start,
      () => [out],
    );
  }

  /**
   * The rows of the JSON format written by PostgreSQL (json_build_array per row, in a COPY), as
   * `[…]` elements each preceded by a comma and followed by a newline (JSON whitespace), after the
   * prefix `start` answers (written with the first row, so an early error is still a plain error). The COPY is CSV with a delimiter and quote JSON text never holds raw (0x01,
   * 0x02), so PostgreSQL never quotes a line. At most 100 columns (json_build_array's limit; the caller
   * uses the cursor path beyond).
   */
  async copyJsonRows(
    o: QueryOptions,
    start: (columns: readonly ResultColumn[]) => string,
    out: Writable,
  ): Promise<QueryOutcome> {
    let prefix = '';
    return this.copyOut(
      o,
      (inner, count) => {
        if (count > 100)
          throw new AppError('too_many_columns', 'json_build_array takes at most 100 columns', { status: 500 });
        const names = Array.from({ length: count }, (_, i) => `c${i + 1}`);
        return `SELECT ',' || json_build_array(${names.map((n) => `q.${n}`).join(', ')})::text FROM (${inner}) AS q(${names.join(', ')})`;
      },
      "WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')",
      (columns) => {
        prefix = start(columns);
      },
      () => [jsonRows(prefix), out],
    );
  }

  private async copyOut(
    o: QueryOptions,
    select: (inner: string, columns: number) => string,
    format: string,
    start: (columns: readonly ResultColumn[]) => void,
    out: () => [Writable] | [Transform, Writable],
  ): Promise<QueryOutcome> {
    if (o.params?.length) throw new Error('COPY takes no parameters');
    return this.session(o, async (client) => {
      const described = await client.query({ text: `FETCH 0 FROM ${CURSOR}`, rowMode: 'array' });
      const columns = described.fields.map(columnOf);
      await client.query(`CLOSE ${CURSOR}`);
      // The query text goes inside parentheses on lines of its own: PostgreSQL accepted it above as one
      // whole query, so it cannot close them early (and a trailing -- comment ends at its newline).
      const copy = client.query(
        copyTo(`COPY (${select(`\n${o.sql}\n`, columns.length)} LIMIT ${o.limits.maxRows + 1}) TO STDOUT ${format}`),
      );
      start(columns);
      const to = out();
      await (to.length === 1 ? pipeline(copy, to[0], { end: false }) : pipeline(copy, to[0], to[1], { end: false }));
      const rows = copy.rowCount;
      if (rows > o.limits.maxRows) throw rowLimit(o.limits.maxRows);
      return { rows };
    });
  }

  /**
   * A read-only transaction on a query-role connection with the limits set and the query declared as a
   * cursor (which is where PostgreSQL refuses what is not one readable query); `body` takes it from there.
   */
  private async session<T>(o: QueryOptions, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const { rows: pidRows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = pidRows[0]!.pid;
    let cancelledBy: 'timeout' | 'client' | undefined;
    const cancel = (why: 'timeout' | 'client') => {
      cancelledBy ??= why;
      void this.admin.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
    };
    const deadline = setTimeout(() => cancel('timeout'), o.limits.timeoutMs);
    const onAbort = () => cancel('client');
    o.signal?.addEventListener('abort', onAbort);
    let broken = false;
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(o.limits.timeoutMs))}`);
      await client.query(`SET LOCAL search_path = ${quoteIdent(o.schema)}, public`);
      await client.query("SET LOCAL TimeZone = 'UTC'");
      await client.query("SET LOCAL DateStyle = 'ISO, YMD'");
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
        throw refusal(err, prefix.length + (o.sql.length - o.sql.trimStart().length));
      }
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      if ((err as { code?: string }).code === '57014') {
        throw cancelledBy === 'client'
          ? new AppError('query_cancelled', 'The query was cancelled: the client went away.', { status: 499 })
          : new AppError(
              'query_timeout',
              `The query ran longer than ${Math.round(o.limits.timeoutMs / 1000)} s, the time one query may take (QUERY_TIMEOUT_SECONDS), and was cancelled.`,
              { status: 408 },
            );
      }
      if (!(err instanceof AppError) && (err as { code?: string }).code === undefined) broken = true;
      throw err instanceof AppError ? err : refusal(err, -1);
    } finally {
      clearTimeout(deadline);
      o.signal?.removeEventListener('abort', onAbort);
      if (!broken)
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      client.release(broken ? true : undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Writes `prefix` before the first byte (or at the end, for no rows), and drops that first byte (the
 * comma before the first JSON row). Nothing is written before PostgreSQL sent something, so an error
 * before the first row is still an ordinary error response.
 */
function jsonRows(prefix: string): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (first && chunk.length > 0) {
        first = false;
        this.push(prefix);
        done(null, chunk.subarray(1));
      } else done(null, chunk);
    },
    flush(done) {
      if (first) this.push(prefix);
      done();
    },
  });
}

function rowLimit(maxRows: number): AppError {
  return new AppError(
    'row_limit',
    `The result has more than ${maxRows.toLocaleString('en-US')} rows, the most one query may return (QUERY_MAX_ROWS). Narrow it with WHERE or LIMIT, or page through it.`,
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
  switch (e.code) {
    case '42601':
      if (Number(e.position) === start + 1) {
        return new AppError(
          'not_a_query',
          `Only a query can run here (SELECT, WITH … SELECT, VALUES or TABLE); PostgreSQL refused this statement: ${said}.`,
          { status: 400 },
        );
      }
      if (/multiple commands/.test(said))
        return new AppError(
          'multiple_statements',
          'One statement at a time: PostgreSQL refused several statements in one query.',
          { status: 400 },
        );
      return new AppError(
        'query_syntax',
        `PostgreSQL could not read the query: ${said}${e.position && start >= 0 ? ` (at character ${Number(e.position) - start})` : ''}.`,
        { status: 400 },
      );
    case '0A000':
      return new AppError('not_a_query', `Only a query that reads can run here; PostgreSQL refused it: ${said}.`, {
        status: 400,
      });
    case '25006':
      return new AppError('read_only', `Queries only read; PostgreSQL refused it: ${said}.`, { status: 403 });
    case '42501':
      return new AppError(
        'permission_denied',
        `Queries read only the warehouse schemas; PostgreSQL refused it: ${said}.`,
        { status: 403 },
      );
    default:
      return new AppError('query_failed', `PostgreSQL refused the query: ${said}.`, { status: 400 });
  }
}
