import { DailyLimitError, ReauthRequiredError } from '../exact/errors.ts';
import type { ExactClient } from '../exact/client.ts';
import { divisionRunLockKey, withTrySessionLock } from '../db/locks.ts';
import { isAppError, messageOf } from '../lib/errors.ts';
import { recordAttempt } from '../state/attempts.ts';
import { loadConnection, type ConnectionRow } from '../state/connections.ts';
import { forgetCursors } from '../state/cursors.ts';
import { enabledDivisions, setPausedUntil } from '../state/divisions.ts';
import { finishRun, interruptStaleRuns, recordRunTable, runningRunId, startRun } from '../state/runs.ts';
import { checkTableName, enabledTables } from '../state/tableSettings.ts';
import { clientFor, timeZoneOf, type RunDeps } from './deps.ts';
import { refreshDivisions } from './divisionList.ts';
import { runOrder, syncTable, type TableResult } from './engine.ts';
import { refreshAfterSync } from '../query/views.ts';

export type { RunDeps };

/**
 * Sync runs: one division at a time per run (the scheduler's jobs, server/schedule/), or a whole
 * connection in the foreground with its divisions side by side (`exact-sync sync`; each division has its
 * own rate-limit budget). Tables go one after the other within a division, everything recorded in the
 * run history (server/state/runs.ts). A table that fails is recorded and the others go on; a spent daily
 * budget or a lost token chain stops the division (or the connection) with a status that says why.
 */

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

export interface DivisionRunOptions {
  trigger?: string | undefined;
  full?: boolean | undefined;
  /** Read Exact's deletes too (sync/Deleted); false only for webhook runs, whose deletes come as events. */
  deletes?: boolean | undefined;
  onProgress?: ((division: number, table: string, rows: number) => void) | undefined;
  onTableDone?: ((division: number, result: TableResult | { table: string; error: string }) => void) | undefined;
}

/**
 * Syncs `tables` of one division, recorded as one run. At most one run per (connection, division) at a
 * time across every process: the run holds a session advisory lock (server/db/locks.ts), and a division
 * whose lock is taken answers `already_running` with the other run's id. Runs left 'running' by a
 * process that died are marked 'interrupted' first (their lock died with them). Each table's end is
 * recorded for the scheduler; a spent daily budget pauses the division until Exact's reset.
 */
export async function runDivision(
  deps: RunDeps,
  connection: ConnectionRow,
  division: number,
  tables: readonly string[],
  o: DivisionRunOptions = {},
): Promise<DivisionOutcome | AlreadyRunning> {
  const run = await withTrySessionLock(deps.pool, divisionRunLockKey(connection.id, division), () =>
    runDivisionLocked(deps, connection, division, tables, o),
  );
  if (run.locked) return run.value;
  return { division, status: 'already_running', runId: await runningRunId(deps.pool, connection.id, division) };
}

async function runDivisionLocked(
  deps: RunDeps,
  connection: ConnectionRow,
  division: number,
  tables: readonly string[],
  o: DivisionRunOptions,
): Promise<DivisionOutcome> {
  const startedAt = deps.now?.() ?? new Date();
  await interruptStaleRuns(deps.pool, connection.id, division);
  const runId = await startRun(deps.pool, connection.id, division, o.trigger ?? 'manual');
  // Only the cursors of the tables this run reads: `--full --tables x` must not send the others back to the start.
  if (o.full) await forgetCursors(deps.pool, connection.id, { division, tables });
  const client = clientFor(deps, connection);
  const outcome: DivisionOutcome = { division, runId, status: 'succeeded', tables: [], apiCalls: 0 };
  // Every run reads Exact's deletes, also one of a few tables (`sync --tables x`, sync now): a row deleted
  // in Exact leaves the warehouse with the next run that touches the division (docs/warehouse.md). Webhook
  // runs are the exception: their deletes arrive as Delete events.
  for (const table of runOrder(o.deletes === false ? [...tables] : withDeletes(tables))) {
    if (deps.signal?.aborted) {
      outcome.status = 'interrupted';
      outcome.message = 'Stopped by a shutdown before every table was synced; the next run does the rest.';
      break;
    }
    const stop = await runTable({ deps, connection, division, client, runId, startedAt, o }, table, outcome);
    if (stop) break;
  }
  await endRun(deps, connection, outcome, startedAt, client);
  return outcome;
}

interface TableRun {
  deps: RunDeps;
  connection: ConnectionRow;
  division: number;
  client: ExactClient;
  runId: number;
  startedAt: Date;
  o: DivisionRunOptions;
}

/** Syncs one table of the run and records how it ended; true when the run must stop after it. */
async function runTable(r: TableRun, table: string, outcome: DivisionOutcome): Promise<boolean> {
  const { deps, connection, division, o } = r;
  try {
    const result = await syncTable(
      {
        pool: deps.pool,
        client: r.client,
        connectionId: connection.id,
        schema: connection.warehouse_schema,
        timeZone: timeZoneOf(connection),
        startYear: connection.start_year ?? undefined,
        ...(deps.log ? { log: deps.log } : {}),
        signal: deps.signal,
        now: deps.now,
        ...(o.onProgress ? { onProgress: (t: string, d: number, n: number) => o.onProgress!(d, t, n) } : {}),
      },
      table,
      division,
    );
    outcome.tables.push(result);
    await recordRunTable(deps.pool, r.runId, { ...result, status: 'succeeded' });
    await recordAttempt(deps.pool, connection.id, division, table, r.startedAt, true);
    o.onTableDone?.(division, result);
    return false;
  } catch (err) {
    if (deps.signal?.aborted) {
      // Shut down mid-table: not an attempt; the table stays due and the next run goes on from its last page.
      outcome.status = 'interrupted';
      outcome.message = 'Stopped by a shutdown; the next run goes on from the last saved page.';
      return true;
    }
    const message = messageOf(err);
    const empty: TableResult = { table, division, rows: 0, inserted: 0, updated: 0, deleted: 0, pages: 0 };
    outcome.tables.push({ ...empty, error: message });
    const errorCode = isAppError(err) ? err.code : 'internal_error';
    await recordRunTable(deps.pool, r.runId, { ...empty, status: 'failed', errorCode, errorMessage: message });
    o.onTableDone?.(division, { table, error: message });
    if (err instanceof DailyLimitError || err instanceof ReauthRequiredError) {
      // Not an attempt of the table: it is tried again once the division can be synced again.
      outcome.status = err instanceof DailyLimitError ? 'daily_limit' : 'reauth_required';
      outcome.message = message;
      return true;
    }
    await recordAttempt(deps.pool, connection.id, division, table, r.startedAt, false);
    outcome.status = 'failed';
    outcome.message ??= `${table}: ${message}`;
    deps.log?.error({ err, table, division }, 'table sync failed');
    return false;
  }
}

/** Records the run's end, and holds a division whose daily budget is spent back until Exact resets it. */
async function endRun(
  deps: RunDeps,
  connection: ConnectionRow,
  outcome: DivisionOutcome,
  startedAt: Date,
  client: ExactClient,
): Promise<void> {
  outcome.apiCalls = client.stats.calls;
  const sum = (k: 'inserted' | 'updated' | 'deleted') => outcome.tables.reduce((s, t) => s + t[k], 0);
  const limits = deps.pacer.state(`${deps.clientId}:${outcome.division}`);
  const dailyReset = limits.dailyReset === undefined ? null : new Date(limits.dailyReset);
  await finishRun(deps.pool, outcome.runId, {
    status: outcome.status,
    apiCalls: outcome.apiCalls,
    inserted: sum('inserted'),
    updated: sum('updated'),
    deleted: sum('deleted'),
    errorCode: outcome.status === 'succeeded' ? null : outcome.status,
    errorMessage: outcome.message ?? null,
    dailyRemaining: limits.dailyRemaining ?? null,
    dailyResetAt: dailyReset,
  });
  // The next UTC midnight when Exact did not say when the budget resets.
  const pausedUntil = outcome.status === 'daily_limit' ? (dailyReset ?? nextUtcMidnight(startedAt)) : null;
  await setPausedUntil(deps.pool, connection.id, outcome.division, pausedUntil);
  await refreshAfterSync(deps.pool, connection.warehouse_schema, changedTables(outcome.tables), deps.log);
}

/**
 * The tables whose rows a run changed, for the published views that read them. Exact's deletes name
 * no table here, so a run that deleted anything counts every table it synced.
 */
export function changedTables(results: DivisionOutcome['tables']): string[] {
  const ok = results.filter((t) => !t.error);
  const changed = ok.filter((t) => t.inserted + t.updated + t.deleted > 0).map((t) => t.table);
  const names = changed.includes('deleted') ? ok.map((t) => t.table) : changed;
  return [...new Set(names.filter((t) => t !== 'deleted'))];
}

/** The tables of a run, `deleted` among them. */
export function withDeletes(tables: readonly string[]): string[] {
  return tables.includes('deleted') ? [...tables] : [...tables, 'deleted'];
}

function nextUtcMidnight(t: Date): Date {
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate() + 1));
}
