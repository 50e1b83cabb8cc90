import type { Pool } from 'pg';
import { spawn, type ChildProcess } from 'node:child_process';
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
import { cpuTracker, postgresPids } from './machine.ts';

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
  /** CPU seconds used meanwhile by exact-sync's server, by PostgreSQL (all its processes) and by the client (curl). */
  cpu: { server: number; postgres: number; client: number };
}

/** A floor run: psql's time, and the CPU seconds PostgreSQL and psql used. */
export interface FloorMeasurement {
  seconds: number;
  cpu: { postgres: number; client: number };
}

export interface QueryStreamResult {
  rows: number;
  rounds: number;
  /** Every floor measured (psql \\copy), in the order taken. */
  floors: FloorMeasurement[];
  floorSeconds: number;
  csv: StreamMeasurement;
  json: StreamMeasurement;
  ndjson: StreamMeasurement;
  /** Each format's measurements, all rounds. */
  runs: Record<Format, StreamMeasurement[]>;
}

type Format = 'csv' | 'json' | 'ndjson';
const FORMATS: Format[] = ['csv', 'json', 'ndjson'];

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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * `rounds` rounds; in each, the floor and the three formats in a shuffled order (so none always follows
 * the same one), each format on a server started fresh for it (its memory growth is that format's
 * alone). A format's ratio is the median of its times over the median floor.
 */
export async function runQueryStream(options: {
  rows: number;
  rounds?: number;
  databaseUrl?: string;
  log?: (line: string) => void;
}): Promise<QueryStreamResult> {
  const rounds = options.rounds ?? 3;
  const postgres = await benchPostgres(options.databaseUrl);
  const db = await postgres.database({ max: 2 });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'exact-sync-bench-query-'));
  try {
    options.log?.(`filling a table with ${options.rows.toLocaleString('en-US')} rows × 15 columns`);
    await fillTable(db.pool, options.rows);
    const { key } = await createApiKey(db.pool, { name: 'bench', admin: false });
    // One SECRET_KEY for every server of the run: the query role's password is sealed with it.
    const secret = randomBytes(32).toString('hex');
    // Warm the table into the cache once.
    await psqlFloor(db.url);
    const floors: FloorMeasurement[] = [];
    const runs: Record<Format, StreamMeasurement[]> = { csv: [], json: [], ndjson: [] };
    for (let round = 0; round < rounds; round++) {
      const order: ('floor' | Format)[] = shuffle(['floor', ...FORMATS]);
      for (const step of order) {
        if (step === 'floor') floors.push(await psqlFloor(db.url));
        else runs[step].push(await onFreshServer({ url: db.url, dataDir, secret }, key, options.rows, step));
        options.log?.(`round ${round + 1}: ${step} done`);
      }
    }
    const floorSeconds = median(floors.map((f) => f.seconds));
    const pick = (f: Format) => {
      const m = runs[f].find((x) => x.seconds === median(runs[f].map((r) => r.seconds)))!;
      return { ...m, ratio: m.seconds / floorSeconds };
    };
    return {
      rows: options.rows,
      rounds,
      floors,
      floorSeconds,
      csv: pick('csv'),
      json: pick('json'),
      ndjson: pick('ndjson'),
      runs,
    };
  } finally {
    await db.drop();
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function shuffle<T>(xs: T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One format on a server started for it, stopped after. */
async function onFreshServer(
  at: { url: string; dataDir: string; secret: string },
  key: string,
  rows: number,
  format: Format,
): Promise<StreamMeasurement> {
  const port = await freePort();
  const server = await startServer(at.url, port, at.dataDir, {
    QUERY_MAX_ROWS: String(rows + 1),
    SECRET_KEY: at.secret,
  });
  try {
    return await streamThrough({ port, key, pid: server.pid!, rows }, format, 1);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
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

/** The floor: psql's \\copy of the same query as CSV to nowhere. */
async function psqlFloor(databaseUrl: string): Promise<FloorMeasurement> {
  const started = performance.now();
  const postgres = cpuTracker(postgresPids);
  const p = spawn('psql', [databaseUrl, '-X', '-q', '-c', `\\copy (${SQL}) to stdout csv header`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const client = cpuTracker(() => [p.pid!]);
  await exited(p, 'psql');
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpu: { postgres: postgres.stop(), client: client.stop() } };
}

/** Resolves when `p` exits with 0; else rejects naming it. */
function exited(p: ChildProcess, name: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    p.once('error', reject);
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} exited ${code}`))));
  });
}

/** One format through POST /api/v1/query: time, throughput, bytes, and the server's RSS before and at peak. */
async function streamThrough(
  s: { port: number; key: string; pid: number; rows: number },
  format: 'csv' | 'json' | 'ndjson',
  floorSeconds: number,
): Promise<StreamMeasurement> {
  // One small request first: what a server does once (the caller's role and pool, loading the query
  // modules) is not part of streaming a result. Then settle, so the baseline is the idle server.
  const warm = await fetch(`http://127.0.0.1:${s.port}/api/v1/query`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s.key}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ sql: `${SQL} LIMIT 10`, format }),
  });
  if (!warm.ok) throw new Error(`HTTP ${warm.status}: ${await warm.text()}`);
  await warm.arrayBuffer();
  await new Promise((r) => setTimeout(r, 500));
  const before = rssMb(s.pid);
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb(s.pid));
  }, 20);
  // The client is curl writing to nowhere, the HTTP counterpart of the floor's psql: a client in this
  // process would compete for the two cores with what is measured.
  const started = performance.now();
  const cpu = { server: cpuTracker(() => [s.pid]), postgres: cpuTracker(postgresPids) };
  const curl = spawn(
    'curl',
    ['-sS', '-f', '-o', '/dev/null', '-w', '%{size_download}', '-X', 'POST', `http://127.0.0.1:${s.port}/api/v1/query`]
      .concat(['-H', `Authorization: Bearer ${s.key}`, '-H', 'Content-Type: application/json'])
      .concat(['--data-binary', JSON.stringify({ sql: SQL, format })]),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const client = cpuTracker(() => [curl.pid!]);
  let written = '';
  curl.stdout!.on('data', (d: Buffer) => (written += d.toString()));
  try {
    await exited(curl, 'curl');
  } finally {
    clearInterval(sampler);
  }
  const bytes = Number(written);
  const used = { server: cpu.server.stop(), postgres: cpu.postgres.stop(), client: client.stop() };
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    rowsPerSecond: Math.round(s.rows / seconds),
    megabytes: Math.round(bytes / 2 ** 20),
    ratio: seconds / floorSeconds,
    serverRssBeforeMb: Math.round(before),
    serverRssPeakMb: Math.round(peak),
    cpu: used,
  };
}
