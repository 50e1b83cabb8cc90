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
  cpu: { sync: number; sandbox: number | undefined; postgres: number | undefined };
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

export async function runSyncFull(options: {
  rows: number;
  databaseUrl?: string;
  onProgress?: (rows: number) => void;
}): Promise<SyncFullResult> {
  const postgres = await benchPostgres(options.databaseUrl);
  const db = await postgres.database({ max: 4 });
  const { pool } = db;
  const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-bench-csv-'));
  let stopSandbox = () => {};
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  try {
    const sandbox = await startSandboxProcess(options.rows);
    stopSandbox = sandbox.stop;
    const sandboxUrl = sandbox.url;
    const { client, connectionId } = await sandboxClient(pool, sandboxUrl);
    const division = (await client.me()).CurrentDivision as number;

    const pgBefore = await backendsCpu(pool);
    const sandboxBefore = processCpuSeconds(sandbox.child.pid!);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await syncTable(
      {
        pool,
        client,
        connectionId,
        schema: 'exact_online',
        timeZone: 'Europe/Amsterdam',
        ...(options.onProgress ? { onProgress: (_t: string, _d: number, n: number) => options.onProgress!(n) } : {}),
      },
      'transactionlines',
      division,
    );
    const syncSeconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const cpuUsed = process.cpuUsage(cpuBefore);
    const sandboxAfter = processCpuSeconds(sandbox.child.pid!);
    const pgAfter = await backendsCpu(pool);
    const cpu = {
      sync: (cpuUsed.user + cpuUsed.system) / 1e6,
      sandbox: sandboxBefore !== undefined && sandboxAfter !== undefined ? sandboxAfter - sandboxBefore : undefined,
      postgres:
        pgAfter.size > 0 ? [...pgAfter].reduce((sum, [pid, s]) => sum + s - (pgBefore.get(pid) ?? 0), 0) : undefined,
    };

    const copySeconds = await copyFloorSeconds(pool, dir);
    return {
      rows: result.rows,
      syncSeconds,
      rowsPerSecond: Math.round(result.rows / syncSeconds),
      copySeconds,
      ratio: syncSeconds / copySeconds,
      peakRssMb: Math.round(peak / 2 ** 20),
      cpu,
    };
  } finally {
    clearInterval(sampler);
    stopSandbox();
    await db.drop();
    await postgres.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** A connection to the sandbox with fresh tokens, and an Exact client for it. */
async function sandboxClient(pool: pg.Pool, sandboxUrl: string) {
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
