import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { setAdminPassword } from '../../server/auth/adminPassword.ts';
import { createApiKey } from '../../server/auth/apiKeys.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { loadSettings } from '../../server/lib/settings.ts';
import { serve, type RunningServer } from '../../server/main.ts';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } from '../../server/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { freePort } from './cli.ts';

/**
 * The real server (server/main.ts serve(), the composition root) on a fresh test database, acting as an
 * Exact app registered at the given sandbox: the same code path as production with EXACT_BASE_URL set.
 */
export interface TestServer {
  url: string;
  /** DATA_DIR of the server (its secret key is there: other exact-sync processes on its database use it). */
  dataDir: string;
  db: TestDatabase;
  server: RunningServer;
  logs: string[];
  close(): Promise<void>;
}

export const ADMIN_PASSWORD = 'correct horse battery staple';

export async function startTestServer(
  label: string,
  sandbox: RunningSandbox,
  env: Record<string, string> = {},
): Promise<TestServer> {
  const db = await createTestDatabase(label);
  const dataDir = await mkdtemp(path.join(tmpdir(), `exact-sync-${label}-`));
  const port = await freePort();
  const settings = loadSettings({
    cwd: dataDir,
    env: {
      DATABASE_URL: db.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      EXACT_CLIENT_ID: SANDBOX_CLIENT_ID,
      EXACT_CLIENT_SECRET: SANDBOX_CLIENT_SECRET,
      EXACT_BASE_URL: sandbox.url,
      DATA_DIR: dataDir,
      ...env,
    },
  });
  const logs: string[] = [];
  const log = createLogger({
    level: 'info',
    format: 'json',
    destination: new Writable({
      write(chunk, _e, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  });
  const server = await serve(settings, log);
  return {
    url: settings.publicUrl,
    dataDir,
    db,
    server,
    logs,
    async close() {
      await server.close();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed-in console session: its cookie and CSRF token. */
export interface Session {
  cookie: string;
  csrf: string;
}

/** Signs in with ADMIN_PASSWORD, setting it first when it is not the password yet (which ends other password sessions). */
export async function signIn(t: TestServer): Promise<Session> {
  const login = () =>
    fetch(`${t.url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ secret: ADMIN_PASSWORD }),
    });
  let res = await login();
  if (res.status === 401) {
    await setAdminPassword(t.db.pool, ADMIN_PASSWORD);
    res = await login();
  }
  if (res.status !== 200) throw new Error(`login answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
}

export async function keys(t: TestServer): Promise<{ admin: string; read: string }> {
  return {
    admin: (await createApiKey(t.db.pool, { name: 'test admin', admin: true })).key,
    read: (await createApiKey(t.db.pool, { name: 'test read', admin: false })).key,
  };
}

/** /api/v1 with an API key: status and parsed JSON. */
export async function apiCall(
  t: TestServer,
  key: string,
  method: string,
  p: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.url}/api/v1${p}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/**
 * Waits until the connection's syncs have settled: at least `runs` runs recorded, none of them running,
 * and no division job waiting in the queue.
 */
export async function waitForSyncs(
  t: TestServer,
  connectionId: number,
  runs: number,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await t.db.pool.query<{ total: number; running: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'running')::int AS running FROM exact_sync.runs WHERE connection_id = $1`,
      [connectionId],
    );
    const pending = await t.server.services.sync.pending(connectionId);
    if (rows[0]!.total >= runs && rows[0]!.running === 0 && pending.size === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `syncs of connection ${connectionId} did not settle: ${JSON.stringify(rows[0])}, ${pending.size} queued or taken`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Connects the server to `sandbox` (made with autoApprove) the way the console does, selects every
 * division and syncs them to the end. Answers the connection id.
 */
export async function connectAndSync(t: TestServer, key: string): Promise<number> {
  const s = await signIn(t);
  const start = await fetch(`${t.url}/connect/exact`, {
    method: 'POST',
    headers: { Cookie: s.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ country: 'nl', csrf: s.csrf }).toString(),
    redirect: 'manual',
  });
  if (start.status !== 302) throw new Error(`/connect/exact answered ${start.status}`);
  const consent = await fetch(start.headers.get('location')!, { redirect: 'manual' });
  if (consent.status !== 302) throw new Error(`the sandbox's consent answered ${consent.status} (is it autoApprove?)`);
  const back = await fetch(consent.headers.get('location')!, { headers: { Cookie: s.cookie }, redirect: 'manual' });
  const done = back.headers.get('location') ?? '';
  const id = Number(/\/connections\/(\d+)\//.exec(done)?.[1]);
  if (!id) throw new Error(`the callback did not connect: ${back.status} ${done}`);
  await apiCall(t, key, 'PUT', `/connections/${id}/divisions`, { mode: 'all' });
  await syncNow(t, key, id);
  return id;
}

/** Sync now, then wait until it settled. */
export async function syncNow(t: TestServer, key: string, connectionId: number): Promise<void> {
  const { rows } = await t.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM exact_sync.runs WHERE connection_id = $1',
    [connectionId],
  );
  const started = await apiCall(t, key, 'POST', `/connections/${connectionId}/sync`, {});
  if (started.status !== 202) throw new Error(`sync now answered ${started.status}: ${JSON.stringify(started.body)}`);
  await waitForSyncs(t, connectionId, rows[0]!.n + started.body.started.length);
}
