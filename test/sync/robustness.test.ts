import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { syncDivision } from '../../server/sync/engine.ts';
import { startSandbox } from '../../server/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { syncContextFor } from '../helpers/syncContext.ts';
import { assertWarehouseEqualsSandbox, SCHEMA, setUpSync } from '../helpers/syncSetup.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'syncChild.ts');
const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((d) => d.drop()));
});

/**
 * Runs the sync child and kills it (SIGKILL) once it has reported `killAfter` committed batches; answers
 * its exit code (null when killed), how many batches it reported, and its stderr.
 */
async function runAndKill(
  env: NodeJS.ProcessEnv,
  killAfter: number,
): Promise<{ code: number | null; committed: number; stderr: string }> {
  const child = spawn(process.execPath, [CHILD], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let committed = 0;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout.on('data', (d: Buffer) => {
    committed += (d.toString().match(/^committed /gm) ?? []).length;
    if (committed >= killAfter) child.kill('SIGKILL');
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  return { code, committed, stderr };
}

describe('sync under trouble', () => {
  it('ends equal to Exact with 5 % of calls failing: 500, 503, 429, dropped connections, slow answers', async () => {
    const db = await createTestDatabase('sync_faults');
    databases.push(db);
    const sb = await startSandbox({ autoApprove: true, scale: 4000, divisions: 1, limits: false, seed: 3 });
    try {
      const { ctx, client } = await setUpSync(db, sb);
      const kinds = [{ status: 500 }, { status: 503 }, { status: 429 }, { drop: true }, { delayMs: 300 }];
      // Each kind once for certain (on successive transaction-line pages), then 5 % of all calls at random.
      kinds.forEach((rule, i) =>
        sb.sandbox.faults.add({ path: '/sync/Financial/TransactionLines', nth: i + 1, ...rule }),
      );
      for (const rule of kinds) sb.sandbox.faults.add({ path: '/api/v1/', rate: 0.01, ...rule });
      const division = sb.sandbox.divisions[0]!.code;
      await syncDivision(ctx, division);
      const failed = sb.sandbox.calls.filter(
        (c) => c.path.startsWith('/api/v1/') && [429, 500, 503].includes(c.status),
      ).length;
      expect(failed).toBeGreaterThanOrEqual(3);
      // Every failed or dropped call was retried.
      expect(client.stats.retries).toBeGreaterThanOrEqual(4);
      sb.sandbox.faults.clear();
      await assertWarehouseEqualsSandbox(db.pool, sb, division);
    } finally {
      await sb.close();
    }
  });

  it('loses and duplicates nothing when the sync process is killed mid-run after 1 to 5 committed batches, ten times', async () => {
    const db = await createTestDatabase('sync_kill');
    databases.push(db);
    const sb = await startSandbox({ autoApprove: true, scale: 30_000, divisions: 1, limits: false, seed: 4 });
    try {
      const { connectionId, secretKeyHex } = await setUpSync(db, sb);
      const division = sb.sandbox.divisions[0]!.code;
      const env = {
        ...process.env,
        DATABASE_URL: db.url,
        SANDBOX_URL: sb.url,
        CONNECTION_ID: String(connectionId),
        SECRET_KEY_HEX: secretKeyHex,
        DIVISION: String(division),
      };
      let completed = 0;
      let killedMidRun = 0;
      const progress: number[] = [];
      for (let round = 0; round < 10; round++) {
        const killAfter = 1 + ((round * 3) % 5);
        const r = await runAndKill(env, killAfter);
        if (r.code === 0) completed++;
        else {
          expect(r.code, r.stderr).toBeNull(); // killed, not failed
          // The kill came after that many batches were committed, before the run ended.
          expect(r.committed).toBeGreaterThanOrEqual(killAfter);
          killedMidRun++;
        }
        const { rows } = await db.pool.query(
          `SELECT coalesce(sum(rows_total), 0)::int AS n FROM exact_sync.sync_state`,
        );
        progress.push(rows[0].n as number);
        // Between kills, Exact changes too.
        const lines = sb.sandbox.table(division, 'TransactionLines');
        sb.sandbox.update(division, 'TransactionLines', String(lines.get(round * 31)!.ID), {
          Description: `Edited in round ${round}`,
        });
      }
      expect(killedMidRun).toBeGreaterThanOrEqual(5);
      // Work committed by killed runs is kept: the cursors only ever move forward.
      for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
      // Then one run to the end.
      const { ctx } = syncContextFor(db.pool, sb.url, connectionId, secretKeyHex);
      await syncDivision(ctx, division);
      await assertWarehouseEqualsSandbox(db.pool, sb, division);
      const dupes = await db.pool.query(`SELECT count(*) - count(DISTINCT id) AS d FROM ${SCHEMA}.transactionlines`);
      expect(Number(dupes.rows[0].d)).toBe(0);
      expect(completed + killedMidRun).toBe(10);
    } finally {
      await sb.close();
    }
  });
});
