import type pg from 'pg';
import type { Pacer } from '../exact/client.ts';
import type { TokenManager } from '../exact/tokens.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { getConnection } from '../state/connections.ts';
import { enabledDivisions } from '../state/divisions.ts';
import { runConnection, type DivisionOutcome } from './runner.ts';

/**
 * Starts syncs in this process, in the background, one at a time per (connection, division): a second
 * request for a division that is syncing answers "already running" with that run's id instead of
 * starting another. The console's "sync now", the API's POST …/sync and demo mode go through here.
 */

export interface SyncRequest {
  connectionId: number;
  /** Divisions to sync; the connection's selection when absent. */
  divisions?: readonly number[];
  tables?: readonly string[];
  full?: boolean;
  trigger: string;
}

export interface SyncStart {
  connectionId: number;
  started: number[];
  alreadyRunning: { division: number; runId: number | null }[];
  /** Settles when the started divisions are done (never rejects: failures are in the outcomes and the runs table). */
  done: Promise<DivisionOutcome[]>;
}

export interface SyncServiceDeps {
  pool: pg.Pool;
  tokens: TokenManager;
  pacer: Pacer;
  clientId: string;
  log: Logger;
}

export class SyncService {
  private readonly deps: SyncServiceDeps;
  private readonly busy = new Set<string>();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(deps: SyncServiceDeps) {
    this.deps = deps;
  }

  async start(request: SyncRequest): Promise<SyncStart> {
    const connection = await getConnection(this.deps.pool, request.connectionId);
    if (connection.state === 'reauth_required') {
      throw new AppError('reauth_required', `${connection.stateMessage ?? 'Exact no longer accepts this connection\'s consent.'} Reconnect it, then sync.`, { status: 409 });
    }
    if (connection.state === 'disabled') throw new AppError('connection_paused', `Connection ${connection.id} is paused; resume it first.`, { status: 409 });
    const wanted = request.divisions ?? (await enabledDivisions(this.deps.pool, connection.id));
    if (request.divisions === undefined && wanted.length === 0 && connection.divisions > 0) {
      throw new AppError('no_divisions_selected', 'No division of this connection is selected for syncing; choose some on its divisions page.', { status: 409 });
    }
    const key = (d: number) => `${connection.id}:${d}`;
    const alreadyRunning: SyncStart['alreadyRunning'] = [];
    const started: number[] = [];
    for (const d of wanted) {
      if (this.busy.has(key(d))) alreadyRunning.push({ division: d, runId: await this.runningRun(connection.id, d) });
      else started.push(d);
    }
    // A connection whose divisions were never listed (made by an older version) lists them in its first run.
    const syncAll = wanted.length === 0 && connection.divisions === 0;
    if (started.length === 0 && !syncAll) return { connectionId: connection.id, started, alreadyRunning, done: Promise.resolve([]) };
    for (const d of started) this.busy.add(key(d));
    const run = runConnection({
      pool: this.deps.pool, tokens: this.deps.tokens, pacer: this.deps.pacer, clientId: this.deps.clientId, connectionId: connection.id, log: this.deps.log,
      trigger: request.trigger,
      ...(syncAll ? {} : { divisions: started }),
      ...(request.tables ? { tables: request.tables } : {}),
      ...(request.full ? { full: true } : {}),
    })
      .catch((err: unknown) => {
        if (!/after calling end|pool.*ended/i.test(messageOf(err))) this.deps.log.error({ err, connection: connection.id }, 'sync failed before its divisions started');
        return [] as DivisionOutcome[];
      })
      .finally(() => {
        for (const d of started) this.busy.delete(key(d));
        this.pending.delete(run);
      });
    this.pending.add(run);
    return { connectionId: connection.id, started, alreadyRunning, done: run };
  }

  isRunning(connectionId: number, division: number): boolean {
    return this.busy.has(`${connectionId}:${division}`);
  }

  /** Waits for every sync started here, at most `ms`. */
  async idle(ms: number): Promise<void> {
    await Promise.race([Promise.all([...this.pending]), new Promise((r) => setTimeout(r, ms).unref())]);
  }

  private async runningRun(connectionId: number, division: number): Promise<number | null> {
    const { rows } = await this.deps.pool.query<{ id: string }>(
      `SELECT id FROM exact_sync.runs WHERE connection_id = $1 AND division = $2 AND status = 'running' ORDER BY id DESC LIMIT 1`,
      [connectionId, division],
    );
    return rows[0] ? Number(rows[0].id) : null;
  }
}
