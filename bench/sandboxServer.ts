import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setAdminPassword } from '../server/auth/adminPassword.ts';
import { createApiKey } from '../server/auth/apiKeys.ts';
import {
  startSandbox,
  SANDBOX_CLIENT_ID,
  SANDBOX_CLIENT_SECRET,
  type RunningSandbox,
  type SandboxOptions,
} from '../server/sandbox/index.ts';
import { benchPostgres, type BenchDatabase } from './database.ts';
import { freePort, startServer } from './queryStream.ts';

/** The admin password of a bench server (a throwaway database). */
export const PASSWORD = 'bench admin password';

export interface SandboxServer {
  db: BenchDatabase;
  sb: RunningSandbox;
  /** The server's address, http://127.0.0.1:port (also its PUBLIC_URL). */
  base: string;
  server: ChildProcess;
  /** An admin API key. */
  admin: string;
}

/**
 * `exact-sync serve` in its own process with the sandbox (in this process) as its Exact, on a fresh
 * database, with an admin password and key; `body` runs against it, and everything is torn down after.
 */
export async function withSandboxServer<T>(
  o: { label: string; sandbox: SandboxOptions; env?: Record<string, string> },
  body: (s: SandboxServer) => Promise<T>,
): Promise<T> {
  const postgres = await benchPostgres(process.env.DATABASE_URL);
  const db = await postgres.database({ max: 4 });
  const sb = await startSandbox(o.sandbox);
  const dataDir = await mkdtemp(path.join(tmpdir(), `exact-sync-bench-${o.label}-`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = await startServer(db.url, port, dataDir, {
    EXACT_CLIENT_ID: SANDBOX_CLIENT_ID,
    EXACT_CLIENT_SECRET: SANDBOX_CLIENT_SECRET,
    EXACT_BASE_URL: sb.url,
    PUBLIC_URL: base,
    ...o.env,
  });
  try {
    await setAdminPassword(db.pool, PASSWORD);
    const admin = (await createApiKey(db.pool, { name: 'bench admin', admin: true })).key;
    return await body({ db, sb, base, server, admin });
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await sb.close();
    await db.drop();
    await postgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Signs in, connects the server to the sandbox the way the console does, selects every division. */
export async function connect(base: string, adminKey: string): Promise<number> {
  const login = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ secret: PASSWORD }),
  });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const start = await fetch(`${base}/connect/exact`, {
    method: 'POST',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ country: 'nl', csrf: csrfToken }).toString(),
    redirect: 'manual',
  });
  const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  const back = await fetch(consent.headers.get('location')!, { headers: { Cookie: cookie }, redirect: 'manual' });
  const id = Number(/\/connections\/(\d+)\//.exec(back.headers.get('location') ?? '')?.[1]);
  if (!id) throw new Error(`connecting failed: ${back.status}`);
  await fetch(`${base}/api/v1/connections/${id}/divisions`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ mode: 'all' }),
  });
  return id;
}
