import type pg from 'pg';
import { ExactClient, type Pacer } from '../exact/client.ts';
import { DailyLimitError, ReauthRequiredError } from '../exact/errors.ts';
import type { TokenManager } from '../exact/tokens.ts';
import { COUNTRY_TIME_ZONES } from '../exact/values.ts';
import { AppError, isAppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { qualified, quoteIdent } from '../db/sql.ts';
import type { ExactRow } from '../exact/values.ts';
import { csvRows } from '../warehouse/csv.ts';
import { mergeRows } from '../warehouse/load.ts';
import { ensureTable } from '../warehouse/tables.ts';
import { ALL_TABLES, DIVISIONS_TABLE } from './catalog.ts';
import { runOrder, syncTable, type TableResult } from './engine.ts';
import { toWarehouse } from './encode.ts';
import { inTransaction } from '../db/tx.ts';
import { enabledDivisions, saveDivisions, type ListedDivision } from '../state/divisions.ts';
import { checkTableName, enabledTables } from '../state/tableSettings.ts';

/**
 * Sync runs: one division at a time per run (the scheduler's jobs, server/schedule/), or a whole
 * connection in the foreground with its divisions side by side (`exact-sync sync`; each division has its
 * own rate-limit budget). Tables go one after the other within a division, everything recorded in
 * exact_sync.runs and run_tables. A table that fails is recorded and the others go on; a spent daily budget or a lost
 * token chain stops the division (or the connection) with a status that says why.
 */

/** What every run needs: the database, the Exact app's token and pacing machinery, and a clock. */
export interface RunDeps {
  pool: pg.Pool;
  tokens: TokenManager;
  pacer: Pacer;
  clientId: string;
  log?: Logger | undefined;
  /** The scheduler's clock (tests move it); table attempts are stamped with it. */
  now?: (() => Date) | undefined;
  /** Shutdown: a run stops after the page it is writing and is recorded as interrupted. */
  signal?: AbortSignal | undefined;
}

export interface RunOptions extends RunDeps {
  connectionId: number;
  /** Divisions to sync; when absent, the connection's selection (exact_sync.divisions). */
  divisions?: readonly number[];
  /** Tables to sync; when absent, the connection's enabled tables. */
  tables?: readonly string[];
  /** Forget cursors first: read everything again. */
  full?: boolean;
  trigger?: string;
  parallelDivisions?: number;
  onProgress?: (division: number, table: string, rows: number) => void;
  onTableDone?: (division: number, result: TableResult | { table: string; error: string }) => void;
}

export interface DivisionOutcome {
  division: number;
  runId: number;
  status: 'succeeded' | 'failed' | 'daily_limit' | 'reauth_required' | 'interrupted';
  message?: string;
  tables: (TableResult & { error?: string })[];
  apiCalls: number;
}

/** A division another process (a worker, or `exact-sync sync`) is syncing right now: not started twice. */
export interface AlreadyRunning {
  division: number;
  status: 'already_running';
  runId: number | null;
}

export interface ConnectionRow {
  id: number;
  start_year: number | null;
  country: string;
  base_url: string;
  warehouse_schema: string;
  state: string;
  state_message: string | null;
  divisions_listed_at: Date | null;
}

export async function loadConnection(pool: pg.Pool, connectionId: number): Promise<ConnectionRow> {
  const { rows } = await pool.query<ConnectionRow>(
    'SELECT id, country, base_url, warehouse_schema, state, state_message, start_year, divisions_listed_at FROM exact_sync.connections WHERE id = $1',
    [connectionId],
  );
  if (!rows[0])
    throw new AppError(
      'connection_not_found',
      `There is no connection ${connectionId}. List them with: exact-sync connections`,
      { status: 404 },
    );
  return rows[0];
}

const timeZoneOf = (connection: ConnectionRow) => COUNTRY_TIME_ZONES[connection.country] ?? 'Europe/Amsterdam';

function clientFor(deps: RunDeps, connection: ConnectionRow): ExactClient {
  return new ExactClient({
    baseUrl: connection.base_url,
    clientId: deps.clientId,
    tokens: deps.tokens.source(connection.id),
    pacer: deps.pacer,
    ...(deps.log ? { log: deps.log } : {}),
  });
}

/** A sync in the foreground (`exact-sync sync`): the division list, then the divisions, a few side by side. */
export async function runConnection(o: RunOptions): Promise<(DivisionOutcome | AlreadyRunning)[]> {
  const connection = await loadConnection(o.pool, o.connectionId);
  if (connection.state !== 'active')
    throw new ReauthRequiredError(
      connection.id,
      connection.state_message ?? 'The connection must be made again. Reconnect it at /connect/exact.',
    );
  const tables = o.tables ?? (await enabledTables(o.pool, connection.id));
  for (const t of tables) checkTableName(t);
  await refreshDivisions(o, connection, 0);
  const divisions = o.divisions ?? (await enabledDivisions(o.pool, connection.id));

  const outcomes: (DivisionOutcome | AlreadyRunning)[] = [];
  const queue = [...divisions];
  const worker = async () => {
    for (let division = queue.shift(); division !== undefined; division = queue.shift()) {
      outcomes.push(await runDivision(o, connection, division, tables, o));
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallelDivisions ?? 4, Math.max(1, divisions.length)) }, worker));
  return outcomes.sort((a, b) => divisions.indexOf(a.division) - divisions.indexOf(b.division));
}

/** Namespace of the lock held while a connection's division list is read. */
const DIVISIONS_LIST_LOCK = 0x45_58_44_4c; // "EXDL"

/**
 * The session advisory lock a division's run holds: the single-bigint form, connection id in the high
 * half and division code in the low half, so no two divisions share one. (Postgres keeps single-key and
 * two-key advisory locks apart, so it cannot meet the token and division-list locks, which use two keys.)
 */
const divisionLockKey = (connectionId: number, division: number) => (BigInt(connectionId) << 32n) | BigInt(division);

/**
 * Reads the connection's division list (system/Divisions) when it is older than `maxAgeMs` (0: always),
 * one process at a time: a process that waited for another's read uses it.
 */
export async function refreshDivisions(deps: RunDeps, connection: ConnectionRow, maxAgeMs: number): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const fresh = (at: Date | null) => at !== null && maxAgeMs > 0 && now.getTime() - at.getTime() < maxAgeMs;
  if (fresh(connection.divisions_listed_at)) return;
  const lock = await deps.pool.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1, $2)', [DIVISIONS_LIST_LOCK, connection.id]);
    const { rows } = await lock.query<{ divisions_listed_at: Date | null }>(
      'SELECT divisions_listed_at FROM exact_sync.connections WHERE id = $1',
      [connection.id],
    );
    const listedAt = rows[0]?.divisions_listed_at ?? null;
    if (
      fresh(listedAt) ||
      (maxAgeMs === 0 &&
        listedAt !== null &&
        connection.divisions_listed_at !== null &&
        listedAt > connection.divisions_listed_at)
    )
      return;
    await syncDivisionsTable(deps, connection, clientFor(deps, connection), timeZoneOf(connection));
    await deps.pool.query('UPDATE exact_sync.connections SET divisions_listed_at = $2 WHERE id = $1', [
      connection.id,
      now,
    ]);
    connection.divisions_listed_at = now;
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1, $2)', [DIVISIONS_LIST_LOCK, connection.id]).catch(() => undefined);
    lock.release();
  }
}

/** A row of system/Divisions as exact_sync.divisions keeps it (Status 1 = active, Current = the user's current one). */
export function listedDivision(row: ExactRow): ListedDivision {
  const text = (v: unknown) => (typeof v === 'string' ? v.trim() : v === null || v === undefined ? null : String(v));
  return {
    division: Number(row.Code),
    name: text(row.Description) ?? '',
    hid: text(row.Hid),
    isCurrent: row.Current === true,
    active: Number(row.Status ?? 1) === 1,
  };
}

/**
 * Reads system/Divisions into the `divisions` table and exact_sync.divisions. A division whose
 * DivisionMoveDate changed since the last run had its Timestamps regenerated by Exact (exact-api.md 5.2):
 * its cursors are forgotten and its stored Timestamps cleared, so this run reads it whole again.
 */
async function syncDivisionsTable(
  o: RunDeps,
  connection: ConnectionRow,
  client: ExactClient,
  timeZone: string,
): Promise<void> {
  const me = await client.me();
  const current = Number(me.CurrentDivision);
  const table = DIVISIONS_TABLE;
  await ensureTable(o.pool, connection.warehouse_schema, table);
  const rows: ExactRow[] = [];
  for await (const page of client.pages(current, table.path, { $select: table.columns.map((c) => c.field).join(',') }))
    rows.push(...page.rows);
  const extractedAt = new Date().toISOString();
  const { rows: known } = await o.pool.query<{ division: number; divisionmovedate: Date | null }>(
    `SELECT division, divisionmovedate FROM ${qualified(connection.warehouse_schema, table.name)}`,
  );
  const before = new Map(known.map((k) => [k.division, k.divisionmovedate?.getTime() ?? null]));
  // Every table exists before a moved division's Timestamps are cleared in them.
  for (const t of ALL_TABLES) await ensureTable(o.pool, connection.warehouse_schema, t);
  await inTransaction(o.pool, async (client) => {
    for (const r of rows) {
      const code = Number(r.Code);
      const moved = toWarehouse(
        table.columns.find((c) => c.field === 'DivisionMoveDate')!,
        r.DivisionMoveDate,
        timeZone,
      );
      const movedMs = typeof moved === 'string' ? Date.parse(moved) : null;
      if (before.has(code) && movedMs !== null && movedMs !== before.get(code)) {
        o.log?.warn(
          { division: code },
          'Exact moved this division and regenerated its Timestamps: reading it whole again',
        );
        await client.query('DELETE FROM exact_sync.sync_state WHERE connection_id = $1 AND division = $2', [
          connection.id,
          code,
        ]);
        for (const t of ALL_TABLES) {
          if (t.timestamp)
            await client.query(
              `UPDATE ${qualified(connection.warehouse_schema, t.name)} SET ${quoteIdent(t.timestamp.name)} = NULL WHERE division = $1`,
              [code],
            );
        }
      }
    }
    const values = rows.map((r) => [
      Number(r.Code),
      ...table.columns.filter((c) => c.name !== 'division').map((c) => toWarehouse(c, r[c.field], timeZone)),
      extractedAt,
    ]);
    await mergeRows(client, connection.warehouse_schema, table, csvRows(values), new Date());
    await saveDivisions(client, connection.id, rows.map(listedDivision));
  });
}

export interface DivisionRunOptions {
  trigger?: string | undefined;
  full?: boolean | undefined;
  onProgress?: ((division: number, table: string, rows: number) => void) | undefined;
  onTableDone?: ((division: number, result: TableResult | { table: string; error: string }) => void) | undefined;
}

/**
 * Syncs `tables` of one division, recorded as one run. At most one run per (connection, division) at a
 * time across every process: the run holds a session advisory lock, and a division whose lock is taken
 * answers `already_running` with the other run's id. Runs left 'running' by a process that died are
 * marked 'interrupted' first (their lock died with them). Each table's end is written to
 * exact_sync.table_syncs for the scheduler; a spent daily budget pauses the division until Exact's reset.
 */
export async function runDivision(
  deps: RunDeps,
  connection: ConnectionRow,
  division: number,
  tables: readonly string[],
  o: DivisionRunOptions = {},
): Promise<DivisionOutcome | AlreadyRunning> {
  const lock = await deps.pool.connect();
  let locked = false;
  try {
    const { rows: got } = await lock.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [
      divisionLockKey(connection.id, division).toString(),
    ]);
    locked = got[0]!.locked;
    if (!locked)
      return { division, status: 'already_running', runId: await runningRunId(deps.pool, connection.id, division) };
    return await runDivisionLocked(deps, connection, division, tables, o);
  } finally {
    if (locked)
      await lock
        .query('SELECT pg_advisory_unlock($1::bigint)', [divisionLockKey(connection.id, division).toString()])
        .catch(() => undefined);
    lock.release();
  }
}

/** The id of the division's run marked 'running', if any. */
export async function runningRunId(pool: pg.Pool, connectionId: number, division: number): Promise<number | null> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM exact_sync.runs WHERE connection_id = $1 AND division = $2 AND status = 'running' ORDER BY id DESC LIMIT 1`,
    [connectionId, division],
  );
  return rows[0] ? Number(rows[0].id) : null;
}

async function runDivisionLocked(
  deps: RunDeps,
  connection: ConnectionRow,
  division: number,
  tables: readonly string[],
  o: DivisionRunOptions,
): Promise<DivisionOutcome> {
  const startedAt = deps.now?.() ?? new Date();
  await deps.pool.query(
    `UPDATE exact_sync.runs SET status = 'interrupted', finished_at = now(), error_code = 'interrupted',
       error_message = 'The process running this sync stopped before it finished; a later run went on from its last saved page.'
     WHERE connection_id = $1 AND division = $2 AND status = 'running'`,
    [connection.id, division],
  );
  const { rows } = await deps.pool.query<{ id: string }>(
    `INSERT INTO exact_sync.runs (connection_id, division, trigger) VALUES ($1, $2, $3) RETURNING id`,
    [connection.id, division, o.trigger ?? 'manual'],
  );
  const runId = Number(rows[0]!.id);
  // Only the cursors of the tables this run reads: `--full --tables x` must not send the others back to the start.
  if (o.full)
    await deps.pool.query(
      'DELETE FROM exact_sync.sync_state WHERE connection_id = $1 AND division = $2 AND table_name = ANY($3::text[])',
      [connection.id, division, [...tables]],
    );
  const client = clientFor(deps, connection);
  const outcome: DivisionOutcome = { division, runId, status: 'succeeded', tables: [], apiCalls: 0 };
  for (const table of runOrder(tables)) {
    if (deps.signal?.aborted) {
      outcome.status = 'interrupted';
      outcome.message = 'Stopped by a shutdown before every table was synced; the next run does the rest.';
      break;
    }
    try {
      const result = await syncTable(
        {
          pool: deps.pool,
          client,
          connectionId: connection.id,
          schema: connection.warehouse_schema,
          timeZone: timeZoneOf(connection),
          startYear: connection.start_year ?? undefined,
          ...(deps.log ? { log: deps.log } : {}),
          signal: deps.signal,
          ...(o.onProgress ? { onProgress: (t: string, d: number, n: number) => o.onProgress!(d, t, n) } : {}),
        },
        table,
        division,
      );
      outcome.tables.push(result);
      await recordTable(deps.pool, runId, 'succeeded', result);
      await recordAttempt(deps.pool, connection.id, division, table, startedAt, true);
      o.onTableDone?.(division, result);
    } catch (err) {
      if (deps.signal?.aborted) {
        // Shut down mid-table: not an attempt; the table stays due and the next run goes on from its last page.
        outcome.status = 'interrupted';
        outcome.message = 'Stopped by a shutdown; the next run goes on from the last saved page.';
        break;
      }
      const message = messageOf(err);
      const empty: TableResult = { table, division, rows: 0, inserted: 0, updated: 0, deleted: 0, pages: 0 };
      outcome.tables.push({ ...empty, error: message });
      await recordTable(deps.pool, runId, 'failed', empty, isAppError(err) ? err.code : 'internal_error', message);
      o.onTableDone?.(division, { table, error: message });
      if (err instanceof DailyLimitError || err instanceof ReauthRequiredError) {
        // Not an attempt of the table: it is tried again once the division can be synced again.
        outcome.status = err instanceof DailyLimitError ? 'daily_limit' : 'reauth_required';
        outcome.message = message;
        break;
      }
      await recordAttempt(deps.pool, connection.id, division, table, startedAt, false);
      outcome.status = 'failed';
      outcome.message ??= `${table}: ${message}`;
      deps.log?.error({ err, table, division }, 'table sync failed');
    }
  }
  outcome.apiCalls = client.stats.calls;
  const sum = (k: 'inserted' | 'updated' | 'deleted') => outcome.tables.reduce((s, t) => s + t[k], 0);
  const limits = deps.pacer.state(`${deps.clientId}:${division}`);
  const dailyReset = limits.dailyReset === undefined ? null : new Date(limits.dailyReset);
  await deps.pool.query(
    `UPDATE exact_sync.runs SET status = $2, finished_at = now(), api_calls = $3, rows_inserted = $4, rows_updated = $5, rows_deleted = $6,
       error_code = $7, error_message = $8, daily_remaining = $9, daily_reset_at = $10 WHERE id = $1`,
    [
      runId,
      outcome.status,
      outcome.apiCalls,
      sum('inserted'),
      sum('updated'),
      sum('deleted'),
      outcome.status === 'succeeded' ? null : outcome.status,
      outcome.message ?? null,
      limits.dailyRemaining ?? null,
      dailyReset,
    ],
  );
  // A spent daily budget holds the division back until Exact resets it (the next UTC midnight when Exact did not say).
  const pausedUntil = outcome.status === 'daily_limit' ? (dailyReset ?? nextUtcMidnight(startedAt)) : null;
  await deps.pool.query(
    'UPDATE exact_sync.divisions SET paused_until = $3 WHERE connection_id = $1 AND division = $2',
    [connection.id, division, pausedUntil],
  );
  return outcome;
}

function nextUtcMidnight(t: Date): Date {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1));
}

async function recordAttempt(
  pool: pg.Pool,
  connectionId: number,
  division: number,
  table: string,
  at: Date,
  ok: boolean,
): Promise<void> {
  await pool.query(
    `INSERT INTO exact_sync.table_syncs (connection_id, division, table_name, last_attempt_at, last_status, last_success_at, failures)
     VALUES ($1, $2, $3, $4, $5, CASE WHEN $6 THEN $4::timestamptz END, CASE WHEN $6 THEN 0 ELSE 1 END)
     ON CONFLICT (connection_id, division, table_name) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, last_status = excluded.last_status,
       last_success_at = coalesce(excluded.last_success_at, exact_sync.table_syncs.last_success_at),
       failures = CASE WHEN $6 THEN 0 ELSE exact_sync.table_syncs.failures + 1 END`,
    [connectionId, division, table, at, ok ? 'succeeded' : 'failed', ok],
  );
}

async function recordTable(
  pool: pg.Pool,
  runId: number,
  status: string,
  r: TableResult,
  code?: string,
  message?: string,
): Promise<void> {
  await pool.query(
    `INSERT INTO exact_sync.run_tables (run_id, table_name, status, rows, inserted, updated, deleted, pages, error_code, error_message)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [runId, r.table, status, r.rows, r.inserted, r.updated, r.deleted, r.pages, code ?? null, message ?? null],
  );
}
