import type { Pool } from 'pg';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey } from '../server/auth/apiKeys.ts';
import { grantWarehouseSchema } from '../server/db/roles.ts';
import { benchPostgres } from './database.ts';

/**
 * `rows` rows × 15 columns (integers, bigints, numerics, text, timestamps, dates, booleans, uuids)
 * streamed through POST /api/v1/query as CSV, JSON and NDJSON by `exact-sync serve` in its own process,
 * against the floor: `psql -c "\copy (query) to stdout csv"` of the same query on the same PostgreSQL.
 * Reports rows/s, the ratio to the floor, and the server's resident memory before and at its peak
 * (sampled every 20 ms from /proc).
 */

export interface StreamMeasurement {
  seconds: number;
  rowsPerSecond: number;
  megabytes: number;
  /** seconds ÷ the psql floor's seconds */
  ratio: number;
  serverRssBeforeMb: number;
  serverRssPeakMb: number;
}

export interface QueryStreamResult {
  rows: number;
  floorSeconds: number;
  csv: StreamMeasurement;
  json: StreamMeasurement;
  /** NDJSON goes the cursor path (exact-sync writes every value), as JSON and CSV with parameters do. */
  ndjson: StreamMeasurement;
}

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../server/cli.ts');
const SQL = 'SELECT * FROM exact_online.bench';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

export async function runQueryStream(options: {
  rows: number;
  databaseUrl?: string;
  log?: (line: string) => void;
}): Promise<QueryStreamResult> {
  const postgres = await benchPostgres(options.databaseUrl);
  const db = await postgres.database({ max: 2 });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'exact-sync-bench-query-'));
  let server: ReturnType<typeof spawn> | undefined;
  try {
    options.log?.(`filling a table with ${options.rows.toLocaleString('en-US')} rows × 15 columns`);
    await fillTable(db.pool, options.rows);

    const port = await freePort();
    server = await startServer(db.url, port, dataDir, { QUERY_MAX_ROWS: String(options.rows + 1) });
    const { key } = await createApiKey(db.pool, { name: 'bench', admin: false });
    const pid = server.pid!;

    const floor = () => psqlFloor(db.url);
    const through = (format: 'csv' | 'json' | 'ndjson', floorSeconds: number) =>
      streamThrough({ port, key, pid, rows: options.rows }, format, floorSeconds);
    // Warm the table into the cache once; then the floor, CSV and JSON, each once.
    await floor();
    const floorSeconds = await floor();
    options.log?.(`floor (psql \\copy csv): ${floorSeconds.toFixed(2)} s`);
    const csv = await through('csv', floorSeconds);
    options.log?.(`csv: ${csv.seconds.toFixed(2)} s`);
    const json = await through('json', floorSeconds);
    options.log?.(`json: ${json.seconds.toFixed(2)} s`);
    const ndjson = await through('ndjson', floorSeconds);
    options.log?.(`ndjson: ${ndjson.seconds.toFixed(2)} s`);
    return { rows: options.rows, floorSeconds, csv, json, ndjson };
  } finally {
    server?.kill('SIGTERM');
    if (server) await new Promise((r) => server!.once('exit', r));
    await db.drop();
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The benchmark table: `rows` rows of 15 columns of every common type. */
async function fillTable(pool: Pool, rows: number): Promise<void> {
  await pool.query('CREATE SCHEMA exact_online');
  await pool.query(
    `CREATE TABLE exact_online.bench AS SELECT
       n AS id, (n % 7)::integer AS division, n::bigint * 1000003 AS big, round((n * 1.37)::numeric, 2) AS amount,
       (n % 1000)::numeric / 8 AS ratio, 'Customer ' || n AS name, md5(n::text) AS code,
       CASE WHEN n % 10 = 0 THEN NULL ELSE 'Street ' || (n % 300) || ', Utrecht' END AS address,
       timestamptz '2024-01-01 00:00:00+00' + n * interval '37 seconds' AS modified,
       date '2020-01-01' + (n % 2000) AS day, n % 3 = 0 AS active,
       md5('u' || n)::uuid AS guid, (n % 53)::smallint AS period, n * 0.5::double precision AS score,
       CASE WHEN n % 4 = 0 THEN 'EUR' ELSE 'USD' END AS currency
     FROM generate_series(1, $1::int) n`,
    [rows],
  );
  await grantWarehouseSchema(pool, 'exact_online');
  await pool.query('VACUUM ANALYZE exact_online.bench');
}

/** exact-sync serve on `port` over the benchmark database, with `env` besides; resolves once it listens. */
export async function startServer(databaseUrl: string, port: number, dataDir: string, env: Record<string, string>) {
  const server = spawn(process.execPath, ['--max-semi-space-size=8', CLI, 'serve'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      SECRET_KEY: randomBytes(32).toString('hex'),
      EXACT_CLIENT_ID: 'bench',
      EXACT_CLIENT_SECRET: 'bench',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('is running at')) resolve();
    });
    server.once('exit', (code) => reject(new Error(`the server exited (${code}) before it listened:\n${out}`)));
  });
  return server;
}

/** The floor: psql's \\copy of the same query as CSV, in seconds. */
async function psqlFloor(databaseUrl: string): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const p = spawn('psql', [databaseUrl, '-X', '-q', '-c', `\\copy (${SQL}) to stdout csv header`], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}`))));
  });
  return (performance.now() - started) / 1000;
}

/** One format through POST /api/v1/query: time, throughput, bytes, and the server's RSS before and at peak. */
async function streamThrough(
  s: { port: number; key: string; pid: number; rows: number },
  format: 'csv' | 'json' | 'ndjson',
  floorSeconds: number,
): Promise<StreamMeasurement> {
  // Settle first, so the baseline is the idle server.
  await new Promise((r) => setTimeout(r, 500));
  const before = rssMb(s.pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(s.pid));
  }, 20);
  const started = performance.now();
  let bytes = 0;
  try {
    const res = await fetch(`http://127.0.0.1:${s.port}/api/v1/query`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${s.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ sql: SQL, format }),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
    for await (const chunk of res.body!) bytes += (chunk as Uint8Array).byteLength;
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    rowsPerSecond: Math.round(s.rows / seconds),
    megabytes: Math.round(bytes / 2 ** 20),
    ratio: seconds / floorSeconds,
    serverRssBeforeMb: Math.round(before),
    serverRssPeakMb: Math.round(peak),
  };
}
