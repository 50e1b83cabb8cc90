import type pg from 'pg';
import { ExactClient, type Pacer } from '../exact/client.ts';
import { DailyLimitError, ReauthRequiredError } from '../exact/errors.ts';
import type { TokenManager } from '../exact/tokens.ts';
import { COUNTRY_TIME_ZONES } from '../exact/values.ts';
import { AppError, isAppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { TABLE_BY_NAME } from './catalog.ts';
import { syncTable, type TableResult } from './engine.ts';

/**
 * A sync run of a connection: its divisions side by side (each has its own rate-limit budget, a few at a
 * time), tables one after the other within a division, everything recorded in exact_sync.runs and
 * run_tables. A table that fails is recorded and the others go on; a spent daily budget or a lost
 * token chain stops the division (or the connection) with a status that says why.
 */

export interface RunOptions {
  pool: pg.Pool;
  tokens: TokenManager;
  pacer: Pacer;
  clientId: string;
  connectionId: number;
  /** Divisions to sync; all the user can reach when absent. */
  divisions?: readonly number[];
  tables?: readonly string[];
  /** Forget cursors first: read everything again. */
  full?: boolean;
  trigger?: string;
  parallelDivisions?: number;
  log?: Logger;
  onProgress?: (division: number, table: string, rows: number) => void;
  onTableDone?: (division: number, result: TableResult | { table: string; error: string }) => void;
}

export interface DivisionOutcome {
  division: number;
  runId: number;
  status: 'succeeded' | 'failed' | 'daily_limit' | 'reauth_required';
  message?: string;
  tables: (TableResult & { error?: string })[];
  apiCalls: number;
}

interface ConnectionRow {
  id: number;
  country: string;
  base_url: string;
  warehouse_schema: string;
  state: string;
  state_message: string | null;
}

export async function runConnection(o: RunOptions): Promise<DivisionOutcome[]> {
  const { rows } = await o.pool.query<ConnectionRow>('SELECT id, country, base_url, warehouse_schema, state, state_message FROM exact_sync.connections WHERE id = $1', [o.connectionId]);
  const connection = rows[0];
  if (!connection) throw new AppError('connection_not_found', `There is no connection ${o.connectionId}. List them with: exact-sync connections`, { status: 404 });
  if (connection.state !== 'active') throw new ReauthRequiredError(connection.id, connection.state_message ?? 'The connection must be made again. Reconnect it at /connect/exact.');
  const tables = o.tables ?? [...TABLE_BY_NAME.keys()];
  for (const t of tables) {
    if (!TABLE_BY_NAME.has(t)) throw new AppError('unknown_table', `exact-sync has no table ${JSON.stringify(t)}. Known: ${[...TABLE_BY_NAME.keys()].join(', ')}.`, { status: 400 });
  }
  const client = () => new ExactClient({ baseUrl: connection.base_url, clientId: o.clientId, tokens: o.tokens.source(connection.id), pacer: o.pacer, ...(o.log ? { log: o.log } : {}) });
  const divisions = o.divisions ?? (await listDivisions(client()));
  const timeZone = COUNTRY_TIME_ZONES[connection.country] ?? 'Europe/Amsterdam';

  const outcomes: DivisionOutcome[] = [];
  const queue = [...divisions];
  const worker = async () => {
    for (let division = queue.shift(); division !== undefined; division = queue.shift()) {
      outcomes.push(await runDivision(o, connection, client(), division, tables, timeZone));
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallelDivisions ?? 4, Math.max(1, divisions.length)) }, worker));
  return outcomes.sort((a, b) => divisions.indexOf(a.division) - divisions.indexOf(b.division));
}

async function listDivisions(client: ExactClient): Promise<number[]> {
  const me = await client.me();
  const current = Number(me.CurrentDivision);
  const out: number[] = [];
  for await (const page of client.pages(current, 'system/Divisions', { $select: 'Code,Status' })) {
    for (const d of page.rows) if (Number(d.Status ?? 1) === 1) out.push(Number(d.Code));
  }
  return out;
}

async function runDivision(o: RunOptions, connection: ConnectionRow, client: ExactClient, division: number, tables: readonly string[], timeZone: string): Promise<DivisionOutcome> {
  const { rows } = await o.pool.query<{ id: string }>(
    `INSERT INTO exact_sync.runs (connection_id, division, trigger) VALUES ($1, $2, $3) RETURNING id`,
    [connection.id, division, o.trigger ?? 'manual'],
  );
  const runId = Number(rows[0]!.id);
  if (o.full) await o.pool.query('DELETE FROM exact_sync.sync_state WHERE connection_id = $1 AND division = $2', [connection.id, division]);
  const outcome: DivisionOutcome = { division, runId, status: 'succeeded', tables: [], apiCalls: 0 };
  // Deletes last, so they apply to rows that are already there.
  const ordered = [...tables.filter((t) => t !== 'deleted'), ...tables.filter((t) => t === 'deleted')];
  for (const table of ordered) {
    try {
      const result = await syncTable({
        pool: o.pool, client, connectionId: connection.id, schema: connection.warehouse_schema, timeZone,
        ...(o.log ? { log: o.log } : {}),
        ...(o.onProgress ? { onProgress: (t: string, d: number, n: number) => o.onProgress!(d, t, n) } : {}),
      }, table, division);
      outcome.tables.push(result);
      await recordTable(o.pool, runId, 'succeeded', result);
      o.onTableDone?.(division, result);
    } catch (err) {
      const message = messageOf(err);
      const empty: TableResult = { table, division, rows: 0, inserted: 0, updated: 0, deleted: 0, pages: 0 };
      outcome.tables.push({ ...empty, error: message });
      await recordTable(o.pool, runId, 'failed', empty, isAppError(err) ? err.code : 'internal_error', message);
      o.onTableDone?.(division, { table, error: message });
      if (err instanceof DailyLimitError || err instanceof ReauthRequiredError) {
        outcome.status = err instanceof DailyLimitError ? 'daily_limit' : 'reauth_required';
        outcome.message = message;
        break;
      }
      outcome.status = 'failed';
      outcome.message ??= `${table}: ${message}`;
      o.log?.error({ err, table, division }, 'table sync failed');
    }
  }
  outcome.apiCalls = client.stats.calls;
  const sum = (k: 'inserted' | 'updated' | 'deleted') => outcome.tables.reduce((s, t) => s + t[k], 0);
  await o.pool.query(
    `UPDATE exact_sync.runs SET status = $2, finished_at = now(), api_calls = $3, rows_inserted = $4, rows_updated = $5, rows_deleted = $6,
       error_code = $7, error_message = $8 WHERE id = $1`,
    [runId, outcome.status, outcome.apiCalls, sum('inserted'), sum('updated'), sum('deleted'), outcome.status === 'succeeded' ? null : outcome.status, outcome.message ?? null],
  );
  return outcome;
}

async function recordTable(pool: pg.Pool, runId: number, status: string, r: TableResult, code?: string, message?: string): Promise<void> {
  await pool.query(
    `INSERT INTO exact_sync.run_tables (run_id, table_name, status, rows, inserted, updated, deleted, pages, error_code, error_message)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [runId, r.table, status, r.rows, r.inserted, r.updated, r.deleted, r.pages, code ?? null, message ?? null],
  );
}
