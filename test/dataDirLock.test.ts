import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, lockDataDir } from '../server/lib/dataDirLock.ts';
import { watchDatabase } from '../server/runtime.ts';
import { freePort } from './helpers/cli.ts';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('one server per data directory', () => {
  it('refuses while another live process holds it, naming its pid; takes over a file whose process is gone', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-lock-'));
    dirs.push(dir);
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      await writeFile(path.join(dir, LOCK_FILE), `${other.pid}\n`);
      await expect(lockDataDir(dir)).rejects.toMatchObject({
        code: 'already_running',
        message: expect.stringContaining(`as pid ${other.pid}.`),
      });
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    const lock = await lockDataDir(dir);
    expect((await readFile(path.join(dir, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    await lock.release();
    await expect(readFile(path.join(dir, LOCK_FILE), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('a database that goes away', () => {
  it('is reported once after three missed answers in a row', async () => {
    const port = await freePort();
    const pool = new pg.Pool({
      connectionString: `postgres://x:y@127.0.0.1:${port}/none`,
      connectionTimeoutMillis: 500,
    });
    pool.on('error', () => undefined);
    const lost: unknown[] = [];
    const watch = watchDatabase(pool, (err) => lost.push(err), 50);
    await new Promise((r) => setTimeout(r, 1500));
    watch.stop();
    await pool.end();
    expect(lost).toHaveLength(1);
    expect(String(lost[0])).toMatch(/ECONNREFUSED|connect/);
  });
});
