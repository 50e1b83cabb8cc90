import type pg from 'pg';
import { PgBoss } from 'pg-boss';
import { qualified } from '../db/sql.ts';
import type { Logger } from '../lib/logger.ts';

/**
 * The job engine: pg-boss, its tables in schema `exact_sync_jobs` of the same PostgreSQL. Two queues:
 *
 * - `sync-division`: one job syncs one division of one connection. Policy `exclusive` with the
 *   singleton key `connection:division`: while one job of a division is queued or running, another send
 *   for it is refused (send answers null), so a division never has two runs, whichever process asks.
 *   Workers send heartbeats; a worker that dies stops them and pg-boss hands the job to another worker.
 * - `sync-tick`: one cron schedule, every minute. Its job looks for due tables and sends division jobs.
 *   A single schedule fanned out in code, never one schedule per table or division: pg-boss issue #613
 *   (keyed schedules of one queue firing together collapse into one job).
 */

export const JOBS_SCHEMA = 'exact_sync_jobs';
export const DIVISION_QUEUE = 'sync-division';
export const TICK_QUEUE = 'sync-tick';
/** One job pushes one Google Sheets target (exclusive per target). */
export const PUSH_QUEUE = 'sheets-push';

/** What a division job syncs: 'due' (scheduled: the tables whose time has come), 'all' enabled tables, or the ones named. */
export type JobTables = 'due' | 'all' | string[];

export interface DivisionJob {
  connectionId: number;
  division: number;
  tables: JobTables;
  full: boolean;
  /** 'schedule', 'manual' (console, API), 'demo'. */
  trigger: string;
}

export interface JobOptions {
  /** Division jobs one process runs side by side (each division has its own Exact budget). */
  concurrency: number;
  /** A running job's worker must be heard from this often (seconds, ≥ 10), or the job goes to another worker. */
  heartbeatSeconds: number;
  /** How often idle workers look for jobs, a floor under LISTEN/NOTIFY (seconds, ≥ 0.5). */
  pollingSeconds: number;
  /** How often pg-boss looks for jobs whose worker went quiet (seconds). */
  superviseSeconds: number;
  /** First wait before a job whose worker died or stopped is tried again (doubling, up to 10 minutes). */
  retryDelaySeconds: number;
  /** A division's webhook events start a run at most this often (WEBHOOK_MIN_INTERVAL_SECONDS). */
  webhookIntervalSeconds: number;
}

export const DEFAULT_JOB_OPTIONS: JobOptions = {
  concurrency: 10,
  heartbeatSeconds: 30,
  pollingSeconds: 2,
  superviseSeconds: 15,
  retryDelaySeconds: 15,
  webhookIntervalSeconds: 60,
};

/** Options of every division job, set by whoever sends it (queue defaults are fixed when the queue is first made). */
function divisionJobOptions(options: JobOptions) {
  return {
    heartbeatSeconds: options.heartbeatSeconds,
    // A first sync of a big division at 60 calls a minute can take hours; the heartbeat, not this, tells a dead worker.
    expireInSeconds: 24 * 3600 - 60,
    // Failures inside a run are recorded per table and retried by the scheduler's backoff; these retries
    // are for the job itself: a worker that died or shut down mid-run, or the database gone for a moment.
    retryLimit: 5,
    retryDelay: options.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: 600,
    deleteAfterSeconds: 7 * 24 * 3600,
  };
}

export const divisionKey = (connectionId: number, division: number): string => `${connectionId}:${division}`;

/** pg-boss started on `databaseUrl`, its queues and the tick's schedule in place. */
export async function startJobs(
  databaseUrl: string,
  log: Logger,
  options: JobOptions,
  applicationName = 'exact-sync jobs',
): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: JOBS_SCHEMA,
    application_name: applicationName,
    max: 4,
    useListenNotify: true,
    // Jobs whose worker stopped sending heartbeats are failed (and retried) by the monitor pass, which
    // runs at the longer of these two intervals.
    superviseIntervalSeconds: options.superviseSeconds,
    monitorIntervalSeconds: options.superviseSeconds,
    persistWarnings: false,
  });
  boss.on('error', (err) => log.error({ err }, 'job engine error'));
  boss.on('warning', (w) => log.warn({ warning: w }, 'job engine warning'));
  await boss.start();
  await ensureQueues(boss, options);
  return boss;
}

async function ensureQueues(boss: PgBoss, options: JobOptions): Promise<void> {
  const division = { policy: 'exclusive' as const, notify: true, ...divisionJobOptions(options) };
  const tick = { policy: 'exclusive' as const, retryLimit: 0, expireInSeconds: 300, deleteAfterSeconds: 3600 };
  const push = {
    policy: 'exclusive' as const,
    retryLimit: 2,
    retryDelay: 30,
    retryBackoff: true,
    expireInSeconds: 3600,
    deleteAfterSeconds: 7 * 24 * 3600,
  };
  for (const [name, queue] of [
    [DIVISION_QUEUE, division],
    [TICK_QUEUE, tick],
    [PUSH_QUEUE, push],
  ] as const) {
    const existing = await boss.getQueue(name);
    if (!existing) await boss.createQueue(name, queue);
  }
  await boss.schedule(TICK_QUEUE, '* * * * *', {}, { tz: 'UTC' });
}

/** Queues a division job; null when the division already has one queued or running. */
export async function sendDivisionJob(boss: PgBoss, options: JobOptions, job: DivisionJob): Promise<string | null> {
  return boss.send(DIVISION_QUEUE, job, {
    ...divisionJobOptions(options),
    singletonKey: divisionKey(job.connectionId, job.division),
  });
}

/**
 * The divisions of a connection with a job waiting ('queued': created, or waiting to be retried) or taken
 * by a worker ('active'; its run row follows a moment later). Read from pg-boss's job table (the one
 * getQueue names) with the states in pg-boss's own order (created < retry < active < completed …),
 * because findJobs cannot ask for active jobs alone.
 */
export async function pendingDivisions(
  boss: PgBoss,
  db: pg.Pool,
  connectionId: number,
): Promise<Map<number, 'queued' | 'active'>> {
  const queue = await boss.getQueue(DIVISION_QUEUE);
  if (!queue) return new Map();
  const { rows } = await db.query<{ division: number; state: string }>(
    `SELECT (data->>'division')::int AS division, state::text AS state FROM ${qualified(JOBS_SCHEMA, queue.table)}
     WHERE name = $1 AND state <= 'active' AND data @> $2::jsonb`,
    [DIVISION_QUEUE, JSON.stringify({ connectionId })],
  );
  return new Map(rows.map((r) => [r.division, r.state === 'active' ? 'active' : 'queued']));
}
