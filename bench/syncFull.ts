import { createConnection } from '../server/state/connections.ts';
import { connectionTokenStore } from '../server/state/tokens.ts';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { ExactClient, Pacer } from '../server/exact/client.ts';
import { TokenManager } from '../server/exact/tokens.ts';
import { createSecretBox } from '../server/lib/crypto.ts';
import { syncTable } from '../server/sync/engine.ts';
import { benchPostgres } from './database.ts';
import { processCpuSeconds } from './machine.ts';
import { startReplayProcess, type ReplayProcess } from './replayServer.ts';
import { consent, startSandboxProcess } from './sandboxProcess.ts';

/**
 * A full sync of N transaction lines from the sandbox (its own process, limits off) into a fresh
 * warehouse table, against the floor: a plain `COPY … FROM` of the same rows, as CSV, into an identical
 * empty table on the same PostgreSQL. Reports rows/s, the ratio to the floor, and the peak RSS of the
 * syncing process (sampled every 100 ms).
 */
export interface SyncFullResult {
  rows: number;
  syncSeconds: number;
  rowsPerSecond: number;
  copySeconds: number;
  ratio: number;
  peakRssMb: number;
  /** CPU seconds each process used during the sync (undefined where /proc cannot tell: not Linux, remote PostgreSQL). */
  cpu: { sync: number; sandbox: number | undefined; postgres: number | undefined; replay?: number | undefined };
  /** With replay: the pages answered from the recording, and the requests that went to the sandbox. */
  replay?: { replayed: number; forwarded: number; megabytes: number };
}

/** CPU seconds so far of the PostgreSQL backends serving this database (processes of this machine). */
async function backendsCpu(pool: pg.Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    const s = processCpuSeconds(pid);
    if (s !== undefined) out.set(pid, s);
  }
  return out;
}

/**
 * With `replay`, the engine is measured alone (issue 24): a first, untimed sync goes through a
 * recording proxy (bench/replayServer.ts) into one database; the timed sync, into a fresh database,
 * gets the same pages byte for byte from the proxy's files, so the sandbox renders nothing meanwhile.
 */
export async function runSyncFull(options: {
  rows: number;
  databaseUrl?: string;
  onProgress?: (rows: number) => void;
  replay?: boolean;
}): Promise<SyncFullResult> {
  const postgres = await benchPostgres(options.databaseUrl);
  const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-bench-csv-'));
  const stops: (() => unknown)[] = [];
  try {
    const sandbox = await startSandboxProcess(options.rows);
    stops.push(sandbox.stop);
    let url = sandbox.url;
    let proxy: ReplayProcess | undefined;
    if (options.replay) {
      proxy = await startReplayProcess(sandbox.url);
      stops.push(() => proxy!.stop());
      url = proxy.url;
      const first = await postgres.database({ max: 4 });
      stops.push(() => first.drop());
      await timedSync(first.pool, url, { sandboxPid: sandbox.child.pid! });
      await proxy.replay();
    }
    const db = await postgres.database({ max: 4 });
    stops.push(() => db.drop());
    const timed = await timedSync(db.pool, url, {
      sandboxPid: sandbox.child.pid!,
      ...(proxy ? { replayPid: proxy.child.pid! } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const copySeconds = await copyFloorSeconds(db.pool, dir);
    const stats = proxy ? await proxy.stats() : undefined;
    return {
      ...timed,
      rowsPerSecond: Math.round(timed.rows / timed.syncSeconds),
      copySeconds,
      ratio: timed.syncSeconds / copySeconds,
      ...(stats
        ? {
            replay: {
              replayed: stats.replayed,
              forwarded: stats.forwarded,
              megabytes: Math.round(stats.bytes / 2 ** 20),
            },
          }
        : {}),
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One full sync of transactionlines from `url` into `pool`'s warehouse: wall time, CPU per process, peak RSS. */
async function timedSync(
  pool: pg.Pool,
  url: string,
  o: { sandboxPid: number; replayPid?: number; onProgress?: (rows: number) => void },
) {
  const { client, connectionId } = await sandboxClient(pool, url);
  const division = (await client.me()).CurrentDivision as number;
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const pgBefore = await backendsCpu(pool);
  const sandboxBefore = processCpuSeconds(o.sandboxPid);
  const replayBefore = o.replayPid ? processCpuSeconds(o.replayPid) : undefined;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  try {
    const result = await syncTable(
      {
        pool,
        client,
        connectionId,
        schema: 'exact_online',
        timeZone: 'Europe/Amsterdam',
        ...(o.onProgress ? { onProgress: (_t: string, _d: number, n: number) => o.onProgress!(n) } : {}),
      },
      'transactionlines',
      division,
    );
    const syncSeconds = (performance.now() - started) / 1000;
    const cpuUsed = process.cpuUsage(cpuBefore);
    const pgAfter = await backendsCpu(pool);
    const delta = (pid: number | undefined, before: number | undefined) => {
      const after = pid ? processCpuSeconds(pid) : undefined;
      return before !== undefined && after !== undefined ? after - before : undefined;
    };
    return {
      rows: result.rows,
      syncSeconds,
      peakRssMb: Math.round(peak / 2 ** 20),
      cpu: {
        sync: (cpuUsed.user + cpuUsed.system) / 1e6,
        sandbox: delta(o.sandboxPid, sandboxBefore),
        replay: delta(o.replayPid, replayBefore),
        postgres:
          pgAfter.size > 0 ? [...pgAfter].reduce((sum, [pid, s]) => sum + s - (pgBefore.get(pid) ?? 0), 0) : undefined,
      },
    };
  } finally {
    clearInterval(sampler);
  }
}

/** A connection to the sandbox with fresh tokens, and an Exact client for it. */
export async function sandboxClient(pool: pg.Pool, sandboxUrl: string) {
  const token = await consent(sandboxUrl);
  const tokens = new TokenManager({
    store: connectionTokenStore,
    pool,
    box: createSecretBox(randomBytes(32)),
    app: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' },
  });
  const connectionId = await createConnection(pool, 'nl', sandboxUrl);
  await tokens.saveTokens(pool, connectionId, token);
  const client = new ExactClient({
    baseUrl: sandboxUrl,
    clientId: 'sandbox-client',
    tokens: tokens.source(connectionId),
    pacer: new Pacer(),
  });
  return { client, connectionId };
}

/** The floor: the synced rows as CSV, COPY'd into an identical empty table; the COPY's seconds. */
async function copyFloorSeconds(pool: pg.Pool, dir: string): Promise<number> {
  await pool.query('CREATE TABLE exact_online.copy_floor (LIKE exact_online.transactionlines INCLUDING ALL)');
  const c = await pool.connect();
  const csv = path.join(dir, 'floor.csv');
  try {
    await pipeline(
      c.query(copyTo('COPY exact_online.transactionlines TO STDOUT WITH (FORMAT csv)')),
      createWriteStream(csv),
    );
    const copyStart = performance.now();
    await pipeline(
      createReadStream(csv),
      c.query(copyFrom('COPY exact_online.copy_floor FROM STDIN WITH (FORMAT csv)')),
    );
    return (performance.now() - copyStart) / 1000;
  } finally {
    c.release();
  }
}
