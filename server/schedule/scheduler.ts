import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import { AppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { getConnection, loadConnection } from '../state/connections.ts';
import { divisionCodes, enabledDivisions } from '../state/divisions.ts';
import { checkTableName, enabledTables, REQUIRED_TABLES } from '../state/tableSettings.ts';
import { runDivision, type DivisionOutcome, type RunDeps } from '../sync/runner.ts';
import { refreshDivisions } from '../sync/divisionList.ts';
import { newestRunsSince, runningRunId } from '../state/runs.ts';
import { divisionRunLockKey, lockHolders, oneKeyLock } from '../db/locks.ts';
import { dueTables } from './decide.ts';
import {
  DIVISION_QUEUE,
  PUSH_QUEUE,
  pendingDivisions,
  sendDivisionJob,
  startJobs,
  TICK_QUEUE,
  type DivisionJob,
  type JobOptions,
} from './jobs.ts';
import { divisionSchedules } from './schedules.ts';
import { webhookActDelay } from './decide.ts';
import { actOnWebhookEvents, type ActOutcome } from './webhookEvents.ts';
import {
  subscribeWebhooks,
  subscriptionsDrifted,
  unsubscribeWebhooks,
  type SubscribeOutcome,
} from '../sync/webhookSubscriptions.ts';
import { divisionsWithPendingEvents, pendingWebhookEvents } from '../state/webhookEvents.ts';
import { connectionsWithWebhooks, listSubscriptions, webhooksEnabled } from '../state/webhookSubscriptions.ts';
import { dueTargets, pushTarget, type PushDeps } from '../sheets/targets.ts';

/**
 * Syncs on schedules and on request, through pg-boss: every process that runs a worker (`serve`,
 * `worker`) takes division jobs, a few side by side, and one of them runs each minute's tick. "Sync now"
 * (console, API, demo mode) sends division jobs directly; a division that already has one answers
 * "already running". The run itself takes a per-division advisory lock too (server/sync/runner.ts), so
 * even `exact-sync sync` in a terminal cannot run a division twice at once.
 */

/** A scheduled job re-reads the division list (system/Divisions: new divisions, moves) when it is older than this. */
export const DIVISION_LIST_MAX_AGE_MS = 60 * 60_000;
/** "Sync now" re-reads it unless it was read this recently. */
const DIVISION_LIST_MANUAL_AGE_MS = 60_000;

export interface SchedulerDeps extends Omit<RunDeps, 'now' | 'signal'> {
  log: Logger;
  /** The clock the schedule runs on (tests move it). */
  now?: () => Date;
  /** Google Sheets pushes: what they need; absent, this process takes no push jobs. */
  pushes?: PushDeps | undefined;
  /** Where Exact delivers webhook events (PUBLIC_URL/webhooks/exact); absent, the tick leaves subscriptions alone. */
  callbackUrl?: string | undefined;
}

/** After Exact refused to bring a connection's subscriptions in step, the tick tries again this much later. */
const RESUBSCRIBE_AFTER_FAILURE_MS = 60 * 60_000;

export interface SyncRequest {
  connectionId: number;
  /** Divisions to sync; the connection's selection when absent. */
  divisions?: readonly number[];
  /** Tables to sync; every enabled table when absent. */
  tables?: readonly string[];
  full?: boolean;
  trigger: string;
}

export interface SyncStart {
  connectionId: number;
  /** Database time of the request: the runs it started begin after it. */
  requestedAt: Date;
  started: number[];
  /** Divisions that already had a sync queued or running (runId: the running one, null while queued). */
  alreadyRunning: { division: number; runId: number | null }[];
}

/** What a division job did, kept as the job's output. */
export type JobResult =
  | { ran: false; reason: string }
  | { ran: true; runId: number; status: DivisionOutcome['status'] | 'already_running'; tables: string[] };

export class Scheduler {
  readonly boss: PgBoss;
  /** Division jobs this process has taken, for its log lines and the tests that share work between workers. */
  readonly stats = { jobs: 0 };
  private readonly deps: SchedulerDeps;
  private readonly stopping = new AbortController();
  /** Divisions whose webhook events are about to be acted on (webhookArrived). */
  private readonly webhookTimers = new Map<number, NodeJS.Timeout>();
  /** When each division's webhook events last started a run (the next waits WEBHOOK_MIN_INTERVAL_SECONDS after). */
  private readonly webhookActed = new Map<number, number>();
  /** Connections whose subscriptions could not be brought in step, and when that last failed. */
  private readonly subscribeFailed = new Map<number, number>();
  private readonly now: () => Date;
  private readonly options: JobOptions;

  private constructor(boss: PgBoss, deps: SchedulerDeps, options: JobOptions) {
    this.boss = boss;
    this.deps = deps;
    this.options = options;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * pg-boss on `databaseUrl` with its queues; with `work`, this process also takes division jobs
   * (`concurrency` at a time) and runs the minute tick.
   */
  static async start(
    databaseUrl: string,
    deps: SchedulerDeps,
    options: JobOptions & { work: boolean; tick?: boolean },
  ): Promise<Scheduler> {
    const boss = await startJobs(databaseUrl, deps.log, options);
    const scheduler = new Scheduler(boss, deps, options);
    try {
      if (options.work) {
        await boss.work<DivisionJob, JobResult>(
          DIVISION_QUEUE,
          // NOTIFY wakes a worker when a job is sent, but a worker that finishes a job waits for its next
          // poll before it takes the next one (pg-boss relaxes that poll to 30 s while NOTIFY is on): with
          // a backlog of divisions, every job would wait half a minute. So the poll stays short either way.
          {
            localConcurrency: options.concurrency,
            pollingIntervalSeconds: options.pollingSeconds,
            notifyPollingIntervalSeconds: options.pollingSeconds,
          },
          async ([job]) => scheduler.runJob(job!.data, job!.signal),
        );
      }
      if (options.work && deps.pushes) {
        const pushes = deps.pushes;
        await boss.work<{ targetId: number; trigger: string }>(
          PUSH_QUEUE,
          { pollingIntervalSeconds: options.pollingSeconds, notifyPollingIntervalSeconds: options.pollingSeconds },
          async ([job]) => pushTarget(pushes, job!.data.targetId, job!.data.trigger),
        );
      }
      if (options.work && options.tick !== false) {
        await boss.work(TICK_QUEUE, { pollingIntervalSeconds: 5 }, async () => ({ sent: await scheduler.tick() }));
      }
    } catch (err) {
      await boss.stop({ graceful: false }).catch(() => undefined);
      throw err;
    }
    return scheduler;
  }

  /** Sends a job for every division with a table due now. Returns how many were sent (a division that has one already is not sent again). */
  async tick(): Promise<number> {
    const now = this.now();
    let sent = 0;
    for (const d of await divisionSchedules(this.deps.pool)) {
      if (d.pausedUntil && d.pausedUntil > now) continue;
      if (dueTables(now, d.tables).length === 0) continue;
      const id = await sendDivisionJob(this.boss, this.options, {
        connectionId: d.connectionId,
        division: d.division,
        tables: 'due',
        full: false,
        trigger: 'schedule',
      });
      if (id) sent++;
    }
    if (sent) this.deps.log.info({ jobs: sent }, 'scheduled divisions queued');
    // Webhook events left waiting (their division was busy, or no process acted on them yet): acted on as
    // any arrival is, so the tick never starts a run sooner than the division's spacing allows.
    for (const division of await divisionsWithPendingEvents(this.deps.pool)) this.webhookArrived(division);
    await this.keepSubscriptionsInStep();
    for (const targetId of await dueTargets(this.deps.pool, now)) {
      if (await this.boss.send(PUSH_QUEUE, { targetId, trigger: 'schedule' }, { singletonKey: String(targetId) }))
        sent++;
    }
    return sent;
  }

  /**
   * A webhook event of `division` was stored: act on the division's pending events in a moment, so that
   * a burst (a journal entry and its lines, a bulk change) is one pass and one job (server/schedule/webhookEvents.ts),
   * and no sooner than the minimum interval after the last pass that started a run, so that a steady
   * stream of changes costs one run a minute rather than one per change (bench/webhookDay.ts measures it).
   */
  webhookArrived(division: number): void {
    if (this.webhookTimers.has(division) || this.stopping.signal.aborted) return;
    const now = Date.now();
    const delay = webhookActDelay(
      now,
      this.webhookActed.get(division) ?? null,
      this.options.webhookIntervalSeconds * 1000,
    );
    const timer = setTimeout(() => {
      this.webhookTimers.delete(division);
      void this.actOnEvents(division);
    }, delay);
    timer.unref();
    this.webhookTimers.set(division, timer);
  }

  /** Acts on a division's pending webhook events; a failure is logged and the tick tries again. */
  async actOnEvents(division: number): Promise<ActOutcome | undefined> {
    try {
      const outcome = await actOnWebhookEvents(
        { pool: this.deps.pool, log: this.deps.log, send: (job) => sendDivisionJob(this.boss, this.options, job) },
        division,
      );
      if (outcome.synced.size) this.webhookActed.set(division, Date.now());
      return outcome;
    } catch (err) {
      this.deps.log.error({ err, division }, 'acting on webhook events failed; the next tick tries again');
      return undefined;
    }
  }

  /** Near-real-time on (subscribe at Exact, callback `callbackUrl`) or off (remove the subscriptions). */
  async setWebhooks(
    connectionId: number,
    enabled: boolean,
    callbackUrl: string,
  ): Promise<SubscribeOutcome | { removed: number }> {
    if (enabled) return subscribeWebhooks(this.deps, connectionId, callbackUrl);
    return { removed: await unsubscribeWebhooks(this.deps, connectionId) };
  }

  /**
   * A connection paused or removed: its subscriptions at Exact go (a paused one keeps wanting them, and
   * resuming makes them again). Best effort: Exact unreachable is logged, and the answer goes on.
   */
  async connectionPaused(connectionId: number, how: 'paused' | 'removed'): Promise<void> {
    if ((await listSubscriptions(this.deps.pool, connectionId)).length === 0) return;
    await unsubscribeWebhooks(this.deps, connectionId, { keepWanted: how === 'paused' }).catch((err: unknown) =>
      this.deps.log.warn({ err, connectionId }, 'webhook subscriptions could not be removed at Exact'),
    );
  }

  /**
   * Near-real-time follows the selection: a division or table chosen since the subscriptions were made
   * gets its own, one dropped loses them at Exact, whichever way it changed (console, API, CLI). The
   * check is in the database alone; Exact is asked only when they differ, and after a refusal not again
   * for an hour.
   */
  async keepSubscriptionsInStep(): Promise<void> {
    const callbackUrl = this.deps.callbackUrl;
    if (!callbackUrl) return;
    for (const id of await connectionsWithWebhooks(this.deps.pool)) {
      if (Date.now() - (this.subscribeFailed.get(id) ?? -Infinity) < RESUBSCRIBE_AFTER_FAILURE_MS) continue;
      if (!(await subscriptionsDrifted(this.deps.pool, id))) continue;
      try {
        await subscribeWebhooks(this.deps, id, callbackUrl);
        this.subscribeFailed.delete(id);
      } catch (err) {
        this.subscribeFailed.set(id, Date.now());
        this.deps.log.warn(
          { err, connectionId: id },
          'webhook subscriptions could not follow the selection; trying again in an hour',
        );
      }
    }
  }

  async connectionResumed(connectionId: number, callbackUrl: string): Promise<void> {
    if (!(await webhooksEnabled(this.deps.pool, connectionId))) return;
    await subscribeWebhooks(this.deps, connectionId, callbackUrl).catch((err: unknown) =>
      this.deps.log.warn({ err, connectionId }, 'webhook subscriptions could not be made again at Exact'),
    );
  }

  /** Sync now: a job per division, or "already running" for a division that has one. */
  async requestSync(request: SyncRequest): Promise<SyncStart> {
    const info = await getConnection(this.deps.pool, request.connectionId);
    if (info.state === 'reauth_required') {
      throw new AppError(
        'reauth_required',
        `${info.stateMessage ?? "Exact no longer accepts this connection's consent."} Reconnect it, then sync.`,
        { status: 409 },
      );
    }
    if (info.state === 'disabled')
      throw new AppError('connection_paused', `Connection ${info.id} is paused; resume it first.`, { status: 409 });
    for (const t of request.tables ?? []) checkTableName(t);
    const connection = await loadConnection(this.deps.pool, info.id);
    // A connection whose divisions were never listed (the demo's, or one made by an older version) lists them first.
    if (connection.divisions_listed_at === null) await refreshDivisions(this.runDeps(), connection, 0);
    const selected = await enabledDivisions(this.deps.pool, connection.id);
    let wanted = selected;
    if (request.divisions) {
      const known = await divisionCodes(this.deps.pool, connection.id);
      const unknown = request.divisions.filter((d) => !known.has(d));
      if (unknown.length)
        throw new AppError(
          'unknown_division',
          `Connection ${connection.id} has no division ${unknown.join(', ')}; its divisions are listed at GET /api/v1/connections/${connection.id}/divisions.`,
          { status: 400 },
        );
      wanted = [...new Set(request.divisions)];
    }
    if (wanted.length === 0)
      throw new AppError(
        'no_divisions_selected',
        'No division of this connection is selected for syncing; choose some on its divisions page.',
        { status: 409 },
      );
    const { rows: clock } = await this.deps.pool.query<{ now: Date }>('SELECT now()');
    const requestedAt = clock[0]!.now;
    const started: number[] = [];
    const alreadyRunning: SyncStart['alreadyRunning'] = [];
    await refuseForeignRunLocks(this.deps.pool, connection.id, wanted);
    for (const division of wanted) {
      const id = await sendDivisionJob(this.boss, this.options, {
        connectionId: connection.id,
        division,
        tables: request.tables ? [...request.tables] : 'all',
        full: request.full ?? false,
        trigger: request.trigger,
      });
      if (id) started.push(division);
      else alreadyRunning.push({ division, runId: await runningRunId(this.deps.pool, connection.id, division) });
    }
    return { connectionId: connection.id, requestedAt, started, alreadyRunning };
  }

  /**
   * Waits (at most `timeoutMs`) until every division `start` started has a run that began after the
   * request and has ended; answers those runs. For demo mode's first sync, the CLI and tests.
   */
  async settled(
    start: SyncStart,
    timeoutMs: number,
  ): Promise<{ division: number; runId: number; status: string; message: string | null }[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const runs = await newestRunsSince(this.deps.pool, start.connectionId, start.started, start.requestedAt);
      const done = runs.filter((r) => r.status !== 'running' && r.status !== 'interrupted');
      if (done.length === start.started.length) return done;
      if (Date.now() > deadline)
        throw new AppError(
          'sync_timeout',
          `The sync of connection ${start.connectionId} did not finish within ${Math.round(timeoutMs / 1000)} s.`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Queues a push of a Sheets target now; false when one is already queued or running. */
  async requestPush(targetId: number): Promise<boolean> {
    return (
      (await this.boss.send(PUSH_QUEUE, { targetId, trigger: 'manual' }, { singletonKey: String(targetId) })) !== null
    );
  }

  /** Divisions of the connection with a job waiting for a worker ('queued') or taken by one ('active'). */
  async pending(connectionId: number): Promise<Map<number, 'queued' | 'active'>> {
    return pendingDivisions(this.boss, this.deps.pool, connectionId);
  }

  /**
   * One division job: the connection still active, its division list fresh enough, the division still
   * selected (scheduled jobs) and not held back by the daily limit, then the tables it names (plus
   * `deleted`, so deletes reach the warehouse with every run). A run stopped by a shutdown throws, so
   * pg-boss hands the job to a worker again; everything else ends the job (failures are in the run).
   */
  async runJob(job: DivisionJob, jobSignal?: AbortSignal): Promise<JobResult> {
    this.stats.jobs++;
    const signal = jobSignal ? AbortSignal.any([jobSignal, this.stopping.signal]) : this.stopping.signal;
    const deps = this.runDeps(signal);
    const now = this.now();
    const scheduled = job.trigger === 'schedule';
    let connection;
    try {
      connection = await loadConnection(this.deps.pool, job.connectionId);
    } catch {
      return { ran: false, reason: 'the connection was removed' };
    }
    if (connection.state !== 'active') return { ran: false, reason: `the connection is ${connection.state}` };
    try {
      await refreshDivisions(deps, connection, scheduled ? DIVISION_LIST_MAX_AGE_MS : DIVISION_LIST_MANUAL_AGE_MS);
    } catch (err) {
      // The division list is read with the current division's budget; the known list serves until it can be read again.
      this.deps.log.warn(
        { err, connection: connection.id },
        'could not read the division list; going on with the one known',
      );
      if ((await loadConnection(this.deps.pool, job.connectionId)).state !== 'active')
        return { ran: false, reason: messageOf(err) };
    }
    const [schedule] = await divisionSchedules(this.deps.pool, { connectionId: connection.id, division: job.division });
    let tables: string[];
    if (job.tables === 'due') {
      if (!schedule) return { ran: false, reason: 'the division is no longer selected' };
      if (schedule.pausedUntil && schedule.pausedUntil > now)
        return { ran: false, reason: `Exact's daily limit is spent until ${schedule.pausedUntil.toISOString()}` };
      tables = dueTables(now, schedule.tables);
      if (tables.length === 0) return { ran: false, reason: 'nothing is due' };
    } else {
      tables = job.tables === 'all' ? await enabledTables(this.deps.pool, connection.id) : job.tables;
    }
    // A webhook run reads no deletes: Delete events are applied as they come, and the safety-net run reads
    // sync/Deleted for any event Exact never delivered. Every other run reads them (docs/warehouse.md).
    const deletes = job.trigger !== 'webhook';
    if (deletes) for (const required of REQUIRED_TABLES) if (!tables.includes(required)) tables.push(required);
    const outcome = await runDivision(deps, connection, job.division, tables, {
      trigger: job.trigger,
      full: job.full,
      deletes,
    });
    // Webhook events that came while this run held the division: acted on as soon as it is free, not at the next tick.
    if ((await pendingWebhookEvents(this.deps.pool, job.division)).length) this.webhookArrived(job.division);
    if (outcome.status === 'interrupted')
      throw new AppError(
        'interrupted',
        `The sync of division ${job.division} was stopped by a shutdown; another worker goes on from its last saved page.`,
      );
    return { ran: true, runId: outcome.runId ?? 0, status: outcome.status, tables };
  }

  /** Stops taking jobs; runs in progress stop after the page they are writing (their jobs go to another worker). */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping.abort();
    for (const timer of this.webhookTimers.values()) clearTimeout(timer);
    this.webhookTimers.clear();
    await this.boss
      .stop({ graceful: true, timeout: graceMs })
      .catch((err: unknown) => this.deps.log.warn({ err }, 'job engine did not stop cleanly'));
  }

  private runDeps(signal?: AbortSignal): RunDeps {
    const { pool, tokens, pacer, clientId, log } = this.deps;
    return { pool, tokens, pacer, clientId, log, now: this.now, ...(signal ? { signal } : {}) };
  }
}

/**
 * A division whose run lock is held by a session not logged in as exact-sync's own user is held by
 * something other than a sync (with a DATABASE_URL anything that may call pg_advisory_lock can take it): a job would find the
 * lock taken and do nothing, so "sync now" says so instead of answering that it started.
 */
async function refuseForeignRunLocks(pool: pg.Pool, connectionId: number, divisions: readonly number[]): Promise<void> {
  for (const division of divisions) {
    const lock = oneKeyLock(divisionRunLockKey(connectionId, division), `division ${division}'s sync run`);
    const holders = (await lockHolders(pool, lock)).filter((h) => !h.ours);
    if (holders.length === 0) continue;
    throw new AppError(
      'division_locked',
      `Division ${division} cannot sync now: its run lock is held by ${holders.map((h) => h.description).join(', ')}, which is not an exact-sync run. End that session (SELECT pg_terminate_backend(<pid>)), then sync.`,
      { status: 409 },
    );
  }
}
