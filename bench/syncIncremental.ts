import type pg from 'pg';
import { syncDivision } from '../server/sync/engine.ts';
import { benchPostgres } from './database.ts';
import { startSandboxProcess } from './sandboxProcess.ts';
import { sandboxClient } from './syncFull.ts';

/**
 * The case users live in (issue 24): N transaction lines synced, then `changed` of them changed in Exact
 * and `deleted` deleted, and the next run of the division's transactionlines and deletes timed — its wall
 * time, CPU, and the calls it made to Exact, against the fewest possible: per table, a page per 1,000
 * rows (at least one; the sandbox, like Exact, gives no `__next` after the last rows, so a full last page
 * ends the read). Then a run with nothing changed: one call per table.
 */
export interface IncrementalResult {
  rows: number;
  fullSeconds: number;
  changed: number;
  deleted: number;
  run: { seconds: number; cpuSeconds: number; calls: number; minimumCalls: number };
  idle: { seconds: number; calls: number; minimumCalls: number };
  /** The warehouse afterwards: the changed rows carry the change, the deleted are gone. */
  warehouseRight: boolean;
}

const TABLES = ['transactionlines', 'deleted'];
/** Pages of the Sync API for `n` rows: 1,000 a page, and one page when there is nothing. */
const pages = (n: number) => Math.max(1, Math.ceil(n / 1000));

export async function runSyncIncremental(o: { rows: number; databaseUrl?: string }): Promise<IncrementalResult> {
  const changed = Math.round(o.rows / 100);
  const deleted = Math.round(o.rows / 1000);
  const postgres = await benchPostgres(o.databaseUrl);
  const db = await postgres.database({ max: 4 });
  const sandbox = await startSandboxProcess(o.rows);
  try {
    const { client, connectionId } = await sandboxClient(db.pool, sandbox.url);
    const division = (await client.me()).CurrentDivision as number;
    const ctx = { pool: db.pool, client, connectionId, schema: 'exact_online', timeZone: 'Europe/Amsterdam' };
    const full0 = performance.now();
    await syncDivision(ctx, division, TABLES);
    const fullSeconds = (performance.now() - full0) / 1000;
    const picked = await pick(db.pool, changed + deleted);
    await mutate(sandbox.url, division, picked.slice(0, changed), picked.slice(changed));
    const run = await timedRun(sandbox.url, () => syncDivision(ctx, division, TABLES));
    const idle = await timedRun(sandbox.url, () => syncDivision(ctx, division, TABLES));
    return {
      rows: o.rows,
      fullSeconds,
      changed,
      deleted,
      run: { ...run, minimumCalls: pages(changed) + pages(deleted) },
      idle: { seconds: idle.seconds, calls: idle.calls, minimumCalls: TABLES.length },
      warehouseRight: await checkWarehouse(db.pool, picked.slice(0, changed), picked.slice(changed)),
    };
  } finally {
    sandbox.stop();
    await db.drop();
    await postgres.stop();
  }
}

async function pick(pool: pg.Pool, n: number): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id::text FROM exact_online.transactionlines ORDER BY md5(id::text) LIMIT $1`,
    [n],
  );
  return rows.map((r) => r.id);
}

/** Changes and deletes rows in the sandbox through its control routes, 16 at a time. */
async function mutate(url: string, division: number, change: string[], remove: string[]): Promise<void> {
  const jobs = [
    ...change.map(
      (id) => () =>
        fetch(`${url}/_sandbox/divisions/${division}/TransactionLines/${id}`, {
          method: 'PATCH',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ Description: `changed ${id.slice(0, 8)}` }),
        }),
    ),
    ...remove.map(
      (id) => () => fetch(`${url}/_sandbox/divisions/${division}/TransactionLines/${id}`, { method: 'DELETE' }),
    ),
  ];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < jobs.length) {
        const res = await jobs[next++]!();
        if (!res.ok) throw new Error(`the sandbox refused a change: ${res.status} ${await res.text()}`);
      }
    }),
  );
}

/** One run: wall time, this process's CPU, and the calls to Exact's API (not the token or control routes). */
async function timedRun(url: string, run: () => Promise<unknown>) {
  await fetch(`${url}/_sandbox/calls`, { method: 'DELETE' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const calls = (await (await fetch(`${url}/_sandbox/calls`)).json()) as { path: string }[];
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    calls: calls.filter((c) => c.path.startsWith('/api/v1/') && !c.path.includes('/current/Me')).length,
  };
}

async function checkWarehouse(pool: pg.Pool, changed: string[], deleted: string[]): Promise<boolean> {
  const { rows } = await pool.query<{ changed: number; deleted: number }>(
    `SELECT (SELECT count(*)::int FROM exact_online.transactionlines WHERE id::text = ANY($1) AND description LIKE 'changed %') AS changed,
            (SELECT count(*)::int FROM exact_online.transactionlines WHERE id::text = ANY($2)) AS deleted`,
    [changed, deleted],
  );
  return rows[0]!.changed === changed.length && rows[0]!.deleted === 0;
}
