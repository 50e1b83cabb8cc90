import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from './errors.ts';

/**
 * One exact-sync server per data directory. A second `npm start` on the same DATA_DIR used to adopt the
 * first one's embedded PostgreSQL and then stop it on its way out (a port clash, or Ctrl-C), leaving the
 * first serving without a database. The server that owns the embedded PostgreSQL writes its pid to
 * `DATA_DIR/exact-sync.pid` (created exclusively); another finds it and refuses to start. A file whose
 * process is gone (kill -9, a power cut) is stale and taken over.
 */

export const LOCK_FILE = 'exact-sync.pid';

export interface DataDirLock {
  file: string;
  release(): Promise<void>;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const file = path.join(dataDir, LOCK_FILE);
  await mkdir(dataDir, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return {
        file,
        async release() {
          const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
          if (holder === process.pid) await rm(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder))
      throw new AppError(
        'already_running',
        `exact-sync is already running on ${dataDir} as pid ${holder}. Stop that one first, or give this one another DATA_DIR. (If no exact-sync runs as pid ${holder}, delete ${file}.)`,
      );
    await rm(file, { force: true });
  }
}
