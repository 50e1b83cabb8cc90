import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pacer } from '../../server/exact/client.ts';
import { openPool, poolSizeFor } from '../../server/db/pool.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { DEFAULT_JOB_OPTIONS, type JobOptions } from '../../server/schedule/jobs.ts';
import { Scheduler } from '../../server/schedule/scheduler.ts';
import { selectDivisions } from '../../server/state/divisions.ts';
import { chooseTables, updateTable } from '../../server/state/tableSettings.ts';
import { loadConnection } from '../../server/state/connections.ts';
import { refreshDivisions } from '../../server/sync/divisionList.ts';
import { runDivision } from '../../server/sync/runner.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { APP, assertWarehouseEqualsSandbox, setUpSync } from '../helpers/syncSetup.ts';
import { syncContextFor } from '../helpers/syncContext.ts';

/**
 * The scheduler against a real PostgreSQL, real pg-boss workers and the sandbox over HTTP. The schedule
 * runs on a clock the test moves; the workers, pg-boss and the sandbox run in real time.
 */

const log = createLogger({
  level: 'warn',
  format: 'json',
  destination: new Writable({
    write(_c, _e, cb) {
      cb();
    },
  }),
});
const FAST: JobOptions = {
  ...DEFAULT_JOB_OPTIONS,
  pollingSeconds: 0.5,
  heartbeatSeconds: 10,
  superviseSeconds: 2,
  retryDelaySeconds: 1,
};

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Worker {
  scheduler: Scheduler;
  pool: pg.Pool;
}

/** A worker as a second process would run it: its own pool, token manager and pacer on the same database. */
async function startWorker(
  db: TestDatabase,
  sb: RunningSandbox,
  connectionId: number,
  secretKeyHex: string,
  now: () => Date,
  options: Partial<JobOptions & { work: boolean }> = {},
): Promise<Worker> {
  const pool = new pg.Pool({ connectionString: db.url, max: 12 });
  pool.on('error', () => undefined);
  const { tokens } = syncContextFor(pool, sb.url, connectionId, secretKeyHex);
  const scheduler = await Scheduler.start(
    db.url,
    { pool, tokens, pacer: new Pacer(), clientId: APP.clientId, log, now },
    { ...FAST, work: true, tick: false, ...options },
  );
  return { scheduler, pool };
}

async function stopWorker(w: Worker): Promise<void> {
  await w.scheduler.stop(2000);
  await w.pool.end();
}

/** The runs of a division, oldest first, with the tables each synced. */
async function runsOf(
  pool: pg.Pool,
  division: number,
): Promise<{ id: number; status: string; trigger: string; tables: string[]; started: Date; finished: Date | null }[]> {
  const { rows } = await pool.query<{
    id: string;
    status: string;
    trigger: string;
    tables: string[] | null;
    started_at: Date;
    finished_at: Date | null;
  }>(
    `SELECT r.id, r.status, r.trigger, r.started_at, r.finished_at, array_agg(t.table_name ORDER BY t.table_name) FILTER (WHERE t.table_name IS NOT NULL) AS tables
     FROM exact_sync.runs r LEFT JOIN exact_sync.run_tables t ON t.run_id = r.id WHERE r.division = $1 GROUP BY r.id ORDER BY r.id`,
    [division],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    status: r.status,
    trigger: r.trigger,
    tables: r.tables ?? [],
    started: r.started_at,
    finished: r.finished_at,
  }));
}

describe('the schedule, on a clock the test moves', () => {
  let sb: RunningSandbox;
  let db: TestDatabase;
  let worker: Worker;
  let connectionId: number;
  let division: number;
  let other: number;
  let now = new Date('2026-03-02T08:00:00Z');
  const at = (minutes: number) => new Date(Date.parse('2026-03-02T08:00:00Z') + minutes * 60_000);

  beforeAll(async () => {
    sb = await startSandbox({ autoApprove: true, seed: 11, divisions: 3, scale: 400, limits: false });
    db = await createTestDatabase('schedule');
    const setup = await setUpSync(db, sb);
    connectionId = setup.connectionId;
    worker = await startWorker(db, sb, connectionId, setup.secretKeyHex, () => now);
    await refreshDivisions(
      {
        pool: db.pool,
        tokens: syncContextFor(db.pool, sb.url, connectionId, setup.secretKeyHex).tokens,
        pacer: new Pacer(),
        clientId: APP.clientId,
      },
      await loadConnection(db.pool, connectionId),
      0,
    );
    [division, other] = sb.sandbox.divisions.map((d) => d.code) as [number, number];
    await selectDivisions(db.pool, connectionId, { mode: 'selected', divisions: [division] });
    await chooseTables(db.pool, connectionId, ['transactionlines', 'glaccounts']);
    await updateTable(db.pool, connectionId, 'transactionlines', { frequencyMinutes: 15 });
  });
  afterAll(async () => {
    await stopWorker(worker);
    await db.drop();
    await sb.close();
  });

  /** Moves the clock, runs one tick, and waits for the jobs it sent to end. Answers the tables each new run synced. */
  async function tickAt(minutes: number): Promise<string[][]> {
    now = at(minutes);
    const before = (await runsOf(db.pool, division)).length;
    const sent = await worker.scheduler.tick();
    if (sent === 0) return [];
    const runs = await until('the scheduled run', async () => {
      const r = (await runsOf(db.pool, division)).slice(before);
      const pending = await worker.scheduler.pending(connectionId);
      return r.length >= sent && r.every((x) => x.status !== 'running') && pending.size === 0 && r;
    });
    return runs.map((r) => r.tables);
  }

  it('runs every table first, then a 15-minute table every 15 minutes and the 6-hour default every 6 hours; deletes every time', async () => {
    expect(await tickAt(0)).toEqual([['deleted', 'glaccounts', 'transactionlines']]);
    expect(await tickAt(5)).toEqual([]);
    expect(await tickAt(14)).toEqual([]);
    expect(await tickAt(15)).toEqual([['deleted', 'transactionlines']]);
    expect(await tickAt(16)).toEqual([]);
    expect(await tickAt(30)).toEqual([['deleted', 'transactionlines']]);
    // Skipping ahead: the 15-minute table is overdue, the 6-hour one not yet (5 h 55 min since its run).
    expect(await tickAt(355)).toEqual([['deleted', 'transactionlines']]);
    expect(await tickAt(359)).toEqual([]);
    expect(await tickAt(360)).toEqual([['deleted', 'glaccounts']]);
    expect(await tickAt(370)).toEqual([['deleted', 'transactionlines']]);
    const runs = await runsOf(db.pool, division);
    expect(runs.every((r) => r.status === 'succeeded' && r.trigger === 'schedule')).toBe(true);
    // The division that is not selected was never synced.
    expect(await runsOf(db.pool, other)).toEqual([]);
  });

  it('starts "sync now" at once — not at the next schedule tick — for every enabled table, and answers "already running" to a second request', async () => {
    const start = await worker.scheduler.requestSync({ connectionId, divisions: [other], trigger: 'manual' });
    expect(start.started).toEqual([other]);
    const again = await worker.scheduler.requestSync({ connectionId, divisions: [other], trigger: 'manual' });
    expect(again.started).toEqual([]);
    expect(again.alreadyRunning.map((a) => a.division)).toEqual([other]);
    await until('the run to start', async () => (await runsOf(db.pool, other)).length > 0, 60_000);
    // What started it, not a stopwatch: this division is on no schedule, so only the request can have
    // started its run, and the run says so.
    expect((await runsOf(db.pool, other)).map((r) => r.trigger)).toEqual(['manual']);
    const [run] = await worker.scheduler.settled(start, 60_000);
    expect(run!.status).toBe('succeeded');
    expect((await runsOf(db.pool, other))[0]!.tables).toEqual(['deleted', 'glaccounts', 'transactionlines']);
  });

  it('does not retry a daily-limit stop before Exact resets the budget', async () => {
    const reset = new Date(now.getTime() + 3 * 3600_000);
    await db.pool.query(
      'UPDATE exact_sync.divisions SET paused_until = $3 WHERE connection_id = $1 AND division = $2',
      [connectionId, division, reset],
    );
    expect(await tickAt(400)).toEqual([]);
    expect(await tickAt(370 + 180 - 1)).toEqual([]);
    expect(await tickAt(370 + 180)).toEqual([['deleted', 'transactionlines']]);
  });
});

describe('as many divisions at once as WORKER_CONCURRENCY, on the pool serve opens', () => {
  let sb: RunningSandbox;
  let db: TestDatabase;
  let worker: Worker | undefined;
  const concurrency = 12;

  beforeAll(async () => {
    sb = await startSandbox({ autoApprove: true, seed: 31, divisions: concurrency, scale: 60, limits: false });
    db = await createTestDatabase('schedule_many');
  });
  afterAll(async () => {
    if (worker) await stopWorker(worker);
    await db.drop();
    await sb.close();
  });

  // Each run holds a connection for its run lock while it works: with the pool of 10 that serve used to
  // open, ten runs held every connection and the rest of their work failed with "timeout exceeded when
  // trying to connect" (found by bench many-divisions).
  it('every run succeeds and the warehouse equals the sandbox', async () => {
    const setup = await setUpSync(db, sb);
    const pool = await openPool(db.url, { max: poolSizeFor(concurrency) });
    const { tokens } = syncContextFor(pool, sb.url, setup.connectionId, setup.secretKeyHex);
    const scheduler = await Scheduler.start(
      db.url,
      { pool, tokens, pacer: new Pacer(), clientId: APP.clientId, log, now: () => new Date() },
      { ...FAST, concurrency, work: true, tick: false },
    );
    worker = { scheduler, pool };
    const deps = { pool, tokens, pacer: new Pacer(), clientId: APP.clientId, log };
    await refreshDivisions(deps, await loadConnection(pool, setup.connectionId), 0);
    const codes = sb.sandbox.divisions.map((d) => d.code);
    await selectDivisions(pool, setup.connectionId, { mode: 'selected', divisions: codes });
    const start = await scheduler.requestSync({ connectionId: setup.connectionId, divisions: codes, trigger: 'test' });
    const runs = await scheduler.settled(start, 120_000);
    expect(runs.map((r) => [r.division, r.status, r.message])).toEqual(
      [...codes].sort((a, b) => a - b).map((d) => [d, 'succeeded', null]),
    );
    for (const code of codes) await assertWarehouseEqualsSandbox(pool, sb, code);
  }, 180_000);
});

describe('two workers on one database', () => {
  let sb: RunningSandbox;
  let db: TestDatabase;
  const workers: Worker[] = [];

  beforeAll(async () => {
    sb = await startSandbox({ autoApprove: true, seed: 12, divisions: 3, scale: 300, limits: false });
    db = await createTestDatabase('schedule_two');
  });
  afterAll(async () => {
    for (const w of workers) await stopWorker(w);
    await db.drop();
    await sb.close();
  });

  it('never run one division twice at once, over 50 triggers sent through both', async () => {
    const setup = await setUpSync(db, sb);
    const frozen = new Date('2026-03-02T08:00:00Z');
    workers.push(await startWorker(db, sb, setup.connectionId, setup.secretKeyHex, () => frozen));
    workers.push(await startWorker(db, sb, setup.connectionId, setup.secretKeyHex, () => frozen));
    await chooseTables(db.pool, setup.connectionId, ['glaccounts', 'journals']);
    // Slow answers, so runs last long enough for triggers to meet them.
    sb.sandbox.faults.add({ path: 'GLAccounts', delayMs: 120 });
    const codes = sb.sandbox.divisions.map((d) => d.code);
    let started = 0;
    let refused = 0;
    let ticked = 0;
    for (let i = 0; i < 50; i++) {
      const w = workers[i % 2]!.scheduler;
      if (i % 5 === 4) {
        ticked += await w.tick();
      } else {
        const r = await w.requestSync({
          connectionId: setup.connectionId,
          divisions: [codes[(i * 7) % codes.length]!],
          trigger: 'manual',
        });
        started += r.started.length;
        refused += r.alreadyRunning.length;
      }
      await new Promise((r) => setTimeout(r, (i * 37) % 90));
    }
    await until(
      'every job to end',
      async () => {
        const { rows } = await db.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM exact_sync.runs WHERE status = 'running'`,
        );
        const pending = await workers[0]!.scheduler.pending(setup.connectionId);
        return rows[0]!.n === 0 && pending.size === 0;
      },
      120_000,
    );

    expect(started).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    const all: Awaited<ReturnType<typeof runsOf>> = [];
    for (const code of codes) {
      const runs = await runsOf(db.pool, code);
      all.push(...runs);
      for (let k = 1; k < runs.length; k++) {
        // Each run of a division began after the one before it ended.
        expect(
          runs[k]!.started.getTime(),
          `division ${code}, runs ${runs[k - 1]!.id} and ${runs[k]!.id}`,
        ).toBeGreaterThanOrEqual(runs[k - 1]!.finished!.getTime());
      }
    }
    expect(all.every((r) => r.status === 'succeeded')).toBe(true);
    // Every manual job ran once; a scheduled one may have found nothing left to do.
    expect(all.length).toBeGreaterThanOrEqual(started);
    expect(all.length).toBeLessThanOrEqual(started + ticked);
    // Both workers took jobs.
    expect(workers[0]!.scheduler.stats.jobs).toBeGreaterThan(0);
    expect(workers[1]!.scheduler.stats.jobs).toBeGreaterThan(0);
  });
});

describe("Exact's daily limit", () => {
  let sb: RunningSandbox;
  let db: TestDatabase;
  let worker: Worker | undefined;

  beforeAll(async () => {
    sb = await startSandbox({
      autoApprove: true,
      seed: 15,
      divisions: 1,
      scale: 200,
      limits: { minutely: 60, daily: 12 },
    });
    db = await createTestDatabase('schedule_daily');
  });
  afterAll(async () => {
    if (worker) await stopWorker(worker);
    await db.drop();
    await sb.close();
  });

  it('stops the division for the day, records when it resumes, and the schedule leaves it alone until then', async () => {
    const setup = await setUpSync(db, sb);
    let now = new Date();
    worker = await startWorker(db, sb, setup.connectionId, setup.secretKeyHex, () => now);
    const division = sb.sandbox.divisions[0]!.code;
    const start = await worker.scheduler.requestSync({ connectionId: setup.connectionId, trigger: 'manual' });
    expect(start.started).toEqual([division]);
    const [run] = await worker.scheduler.settled(start, 60_000);
    expect(run).toMatchObject({ status: 'daily_limit' });
    expect(run!.message).toMatch(/daily/i);
    const { rows } = await db.pool.query<{ paused_until: Date }>(
      'SELECT paused_until FROM exact_sync.divisions WHERE division = $1',
      [division],
    );
    const midnight = new Date(now);
    midnight.setUTCHours(24, 0, 0, 0);
    expect(rows[0]!.paused_until.getTime()).toBe(midnight.getTime());
    // Every table is due (never synced to its end), yet nothing is sent before the reset…
    expect(await worker.scheduler.tick()).toBe(0);
    now = new Date(midnight.getTime() - 60_000);
    expect(await worker.scheduler.tick()).toBe(0);
    // …and at the reset it is.
    now = midnight;
    expect(await worker.scheduler.tick()).toBe(1);
  });
});

describe('a run in the foreground beside a worker', () => {
  let sb: RunningSandbox;
  let db: TestDatabase;

  beforeAll(async () => {
    sb = await startSandbox({ autoApprove: true, seed: 14, divisions: 1, scale: 200, limits: false });
    db = await createTestDatabase('schedule_lock');
  });
  afterAll(async () => {
    await db.drop();
    await sb.close();
  });

  it('answers "already running" with the other run\'s id, records no second run, and marks a dead process\'s run interrupted', async () => {
    const setup = await setUpSync(db, sb);
    const { tokens } = syncContextFor(db.pool, sb.url, setup.connectionId, setup.secretKeyHex);
    const deps = { pool: db.pool, tokens, pacer: new Pacer(), clientId: APP.clientId };
    const connection = await loadConnection(db.pool, setup.connectionId);
    const division = sb.sandbox.divisions[0]!.code;
    // A run left 'running' by a process that died (its lock died with it).
    await db.pool.query(`INSERT INTO exact_sync.runs (connection_id, division, trigger) VALUES ($1, $2, 'schedule')`, [
      setup.connectionId,
      division,
    ]);
    sb.sandbox.faults.add({ path: 'GLAccounts', delayMs: 800 });
    const first = runDivision(deps, connection, division, ['glaccounts']);
    await until(
      'the first run to start',
      async () => (await runsOf(db.pool, division)).some((r) => r.status === 'running' && r.trigger === 'manual'),
      10_000,
    );
    const second = await runDivision(deps, connection, division, ['glaccounts']);
    const done = await first;
    expect(second).toEqual({ division, status: 'already_running', runId: (done as { runId: number }).runId });
    const runs = await runsOf(db.pool, division);
    expect(runs.map((r) => r.status)).toEqual(['interrupted', 'succeeded']);
  });

  it('a full run of some tables sends only their cursors back to the start', async () => {
    const setup = await setUpSync(db, sb);
    const connectionId = setup.connectionId;
    const connection = await loadConnection(db.pool, connectionId);
    const division = sb.sandbox.divisions[0]!.code;
    const cursors = async () =>
      Object.fromEntries(
        (
          await db.pool.query<{ table_name: string; cursor: string | null }>(
            'SELECT table_name, cursor FROM exact_sync.sync_state WHERE connection_id = $1 AND division = $2',
            [connectionId, division],
          )
        ).rows.map((r) => [r.table_name, r.cursor]),
      );
    const deps = {
      pool: db.pool,
      tokens: syncContextFor(db.pool, sb.url, connectionId, setup.secretKeyHex).tokens,
      pacer: new Pacer(),
      clientId: APP.clientId,
    };
    await runDivision(deps, connection, division, ['accounts', 'glaccounts']);
    const before = await cursors();
    expect(Number(before.accounts)).toBeGreaterThan(0);
    await runDivision(deps, connection, division, ['glaccounts'], { full: true });
    const after = await cursors();
    expect(after.accounts).toBe(before.accounts);
    expect(after.glaccounts).toBe(before.glaccounts);
    // Read from the start again: all of its rows came again.
    const {
      rows: [last],
    } = await db.pool.query(
      `SELECT rows_total FROM exact_sync.sync_state WHERE connection_id = $1 AND division = $2 AND table_name = 'glaccounts'`,
      [connectionId, division],
    );
    expect(Number(last.rows_total)).toBe(sb.sandbox.table(division, 'GLAccounts').size);
  });
});

describe('a worker killed mid-run', () => {
  let sb: RunningSandbox;
  let db: TestDatabase;
  let dataDir: string;
  let survivor: Worker | undefined;
  let sender: Worker | undefined;

  beforeAll(async () => {
    sb = await startSandbox({ autoApprove: true, seed: 13, divisions: 2, scale: 12_000, limits: false });
    db = await createTestDatabase('schedule_kill');
    dataDir = await mkdtemp(path.join(tmpdir(), 'exact-sync-worker-'));
  });
  afterAll(async () => {
    if (survivor) await stopWorker(survivor);
    if (sender) await stopWorker(sender);
    await db.drop();
    await sb.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('has its job resumed by another worker, and the warehouse ends equal to the sandbox', async () => {
    const setup = await setUpSync(db, sb);
    const id = setup.connectionId;
    const clock = () => new Date();
    // The API side: sends jobs, runs none.
    sender = await startWorker(db, sb, id, setup.secretKeyHex, clock, { work: false });
    const largest = [...sb.sandbox.divisions].sort((a, b) => b.lines - a.lines)[0]!.code;
    // Slow transaction-line pages, so the kill lands in the middle of them.
    sb.sandbox.faults.add({ path: 'TransactionLines', delayMs: 300 });

    const child = runCli(['worker'], {
      cwd: dataDir,
      env: {
        DATABASE_URL: db.url,
        SECRET_KEY: setup.secretKeyHex,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        EXACT_CLIENT_ID: APP.clientId,
        EXACT_CLIENT_SECRET: APP.clientSecret,
        EXACT_BASE_URL: sb.url,
        JOB_HEARTBEAT_SECONDS: '10',
      },
    });
    await child.waitFor(/worker is running/, 30_000);
    const start = await sender.scheduler.requestSync({ connectionId: id, divisions: [largest], trigger: 'manual' });
    expect(start.started).toEqual([largest]);
    await until(
      'a first page of transaction lines',
      async () => {
        const { rows } = await db.pool.query<{ n: string }>(
          `SELECT rows_total AS n FROM exact_sync.sync_state WHERE connection_id = $1 AND division = $2 AND table_name = 'transactionlines'`,
          [id, largest],
        );
        return Number(rows[0]?.n ?? 0) > 0;
      },
      60_000,
    );
    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    const [cut] = await runsOf(db.pool, largest);
    expect(cut!.status).toBe('running');

    survivor = await startWorker(db, sb, id, setup.secretKeyHex, clock);
    const finished = await until(
      'the job to be resumed and finish',
      async () => {
        const runs = await runsOf(db.pool, largest);
        return runs.some((r) => r.status === 'succeeded') && runs;
      },
      120_000,
    );
    expect(finished[0]).toMatchObject({ id: cut!.id, status: 'interrupted' });
    expect(finished.filter((r) => r.status === 'succeeded')).toHaveLength(1);
    expect(survivor.scheduler.stats.jobs).toBeGreaterThan(0);
    await assertWarehouseEqualsSandbox(db.pool, sb, largest);
  }, 240_000);
});
