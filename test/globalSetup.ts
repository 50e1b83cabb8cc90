import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../server/db/embedded.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A superuser URL; each test file makes its own database from it (test/helpers/database.ts). */
    adminDatabaseUrl: string;
  }
}

/**
 * One real PostgreSQL server for the whole run: TEST_DATABASE_URL when given (a superuser URL on a
 * server the tests may create databases on), otherwise the embedded server in a temporary directory.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('adminDatabaseUrl', given);
    return async () => undefined;
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'exact-sync-test-pg-'));
  // mkdtemp makes it 0700; as root the server runs as the OS user postgres, which must enter it.
  await chmod(dataDir, 0o755);
  let pg: EmbeddedPostgres | undefined;
  try {
    pg = await startEmbeddedPostgres({ dataDir });
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  project.provide('adminDatabaseUrl', pg.url);
  return async () => {
    await pg?.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
