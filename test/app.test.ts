import { SECTIONS } from '../console/src/sections.ts';
import { connectionTokenStore } from '../server/state/tokens.ts';
import http from 'node:http';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createApp } from '../server/api/app.ts';
import { accepted } from '../server/api/precompressed.ts';
import type { Services } from '../server/api/services.ts';
import { Pacer } from '../server/exact/client.ts';
import { TokenManager } from '../server/exact/tokens.ts';
import { createSecretBox } from '../server/lib/crypto.ts';
import { Scheduler } from '../server/schedule/scheduler.ts';
import { DEFAULT_JOB_OPTIONS } from '../server/schedule/jobs.ts';
import { createLogger } from '../server/lib/logger.ts';
import { DEFAULT_READER_LIMITS } from '../server/lib/settings.ts';
import { createTestDatabase, type TestDatabase } from './helpers/database.ts';

let db: TestDatabase;
const logLines: string[] = [];
const log = createLogger({
  level: 'info',
  format: 'json',
  destination: new Writable({
    write(chunk, _enc, cb) {
      logLines.push(String(chunk));
      cb();
    },
  }),
});

let scheduler: Scheduler;

/** The app with real services on `pool`, acting as an Exact app whose Exact is unreachable (these tests never call it). */
function services(pool: pg.Pool): Services {
  const app = { clientId: 'c', clientSecret: 's', baseUrlFor: () => 'http://127.0.0.1:1' };
  const tokens = new TokenManager({
    store: connectionTokenStore,
    pool,
    box: createSecretBox(randomBytes(32)),
    app,
    log,
  });
  const pacer = new Pacer();
  return {
    pool,
    log,
    publicUrl: 'http://127.0.0.1:1',
    app,
    tokens,
    pacer,
    sync: scheduler,
    query: new Error('not in these tests'),
    pushes: undefined,
    queryLimits: { timeoutMs: 1000, maxRows: 10, maxRowBytes: 8 * 1024 * 1024 },
    readerLimits: DEFAULT_READER_LIMITS,
    databaseAddress: { host: '127.0.0.1', port: 5432, database: 'x' },
    databaseEmbedded: false,
    corsOrigins: [],
    demo: false,
    setup: undefined,
  };
}

async function serveApp(
  pool: pg.Pool,
  addinDir = '/nonexistent',
  consoleDir = '/nonexistent',
): Promise<{ base: string; close(): Promise<void> }> {
  const server = http.createServer(
    createApp({ log, pool, version: '9.9.9', addinDir, consoleDir, services: services(pool) }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

beforeAll(async () => {
  db = await createTestDatabase('app');
  const app = { clientId: 'c', clientSecret: 's', baseUrlFor: () => 'http://127.0.0.1:1' };
  const tokens = new TokenManager({
    store: connectionTokenStore,
    pool: db.pool,
    box: createSecretBox(randomBytes(32)),
    app,
    log,
  });
  scheduler = await Scheduler.start(
    db.url,
    { pool: db.pool, tokens, pacer: new Pacer(), clientId: 'c', log },
    { ...DEFAULT_JOB_OPTIONS, work: false },
  );
});
afterAll(async () => {
  await scheduler.stop(0);
  await db.drop();
});

describe('HTTP app', () => {
  it('GET /healthz answers 200 with the database reachable, without auth', async () => {
    const app = await serveApp(db.pool);
    try {
      const res = await fetch(`${app.base}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ status: 'ok', database: 'ok', version: '9.9.9' });
    } finally {
      await app.close();
    }
  });

  it('GET /healthz answers 503 when the database is unreachable', async () => {
    const dead = new pg.Pool({ connectionString: 'postgres://u:p@127.0.0.1:1/x', connectionTimeoutMillis: 2000 });
    dead.on('error', () => undefined);
    const app = await serveApp(dead);
    try {
      const res = await fetch(`${app.base}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ status: 'unavailable', database: 'unreachable' });
    } finally {
      await app.close();
      await dead.end();
    }
  });

  it('keeps a sane X-Request-Id, replaces an unsafe one, and logs requests with it', async () => {
    const app = await serveApp(db.pool);
    try {
      const kept = await fetch(`${app.base}/nothing-here`, { headers: { 'X-Request-Id': 'abc-123' } });
      expect(kept.headers.get('x-request-id')).toBe('abc-123');
      const replaced = await fetch(`${app.base}/nothing-here`, { headers: { 'X-Request-Id': 'evil\tid with spaces' } });
      expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(logLines.some((l) => JSON.parse(l).req?.id === 'abc-123')).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('never logs Authorization or Cookie headers', async () => {
    const app = await serveApp(db.pool);
    try {
      await fetch(`${app.base}/x`, { headers: { Authorization: 'Bearer very-secret-key', Cookie: 'sid=s3cr3t' } });
      const all = logLines.join('');
      expect(all).not.toContain('very-secret-key');
      expect(all).not.toContain('s3cr3t');
    } finally {
      await app.close();
    }
  });

  it('answers unknown routes and bad JSON with the API error shape', async () => {
    const app = await serveApp(db.pool);
    try {
      const missing = await fetch(`${app.base}/nothing`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /nothing' } });
      const bad = await fetch(`${app.base}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"a":',
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    } finally {
      await app.close();
    }
  });

  it('serves the built add-in, and says how to build it when it is missing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-addin-'));
    await writeFile(path.join(dir, 'taskpane.html'), '<html>pane</html>');
    const built = await serveApp(db.pool, dir);
    const missing = await serveApp(db.pool);
    try {
      const ok = await fetch(`${built.base}/addin/taskpane.html`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('<html>pane</html>');
      const res = await fetch(`${missing.base}/addin/taskpane.html`);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: unknown }).error).toEqual({
        code: 'addin_not_built',
        message: expect.stringContaining('npm run build'),
      });
    } finally {
      await built.close();
      await missing.close();
    }
  });

  it("serves the console's JavaScript compressed as built, when the browser takes it, and keeps it for good", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-console-'));
    await mkdir(path.join(dir, 'static'));
    const js = `console.log(${JSON.stringify('x'.repeat(5000))});`;
    await writeFile(path.join(dir, 'index.html'), '<html>console</html>');
    await writeFile(path.join(dir, 'static', 'app.0123abcd.js'), js);
    await writeFile(path.join(dir, 'static', 'app.0123abcd.js.gz'), gzipSync(js));
    await writeFile(path.join(dir, 'static', 'app.0123abcd.js.br'), brotliCompressSync(js));
    await writeFile(path.join(dir, 'static', 'plain.0123abcd.js'), js);
    const app = await serveApp(db.pool, '/nonexistent', dir);
    try {
      for (const [accept, file, encoding] of [
        ['gzip, deflate, br', 'app', 'br'],
        ['gzip, deflate', 'app', 'gzip'],
        ['br;q=0, gzip', 'app', 'gzip'],
        ['identity', 'app', null],
        ['gzip, br', 'plain', null], // nothing compressed beside it
      ] as const) {
        const res = await fetch(`${app.base}/static/${file}.0123abcd.js`, { headers: { 'Accept-Encoding': accept } });
        expect(res.status, accept).toBe(200);
        expect(res.headers.get('content-encoding'), accept).toBe(encoding);
        expect(res.headers.get('content-type'), accept).toMatch(/^text\/javascript/);
        expect(res.headers.get('vary'), accept).toMatch(/Accept-Encoding/i);
        expect(res.headers.get('cache-control'), accept).toBe('public, max-age=31536000, immutable');
        // fetch undoes the encoding: the script is the one built.
        expect(await res.text(), accept).toBe(js);
      }
      // A malformed escape is an ordinary miss, not a crash.
      expect((await fetch(`${app.base}/static/%E0%A4%A.js`)).status).toBe(404);
      expect((await fetch(`${app.base}/static/missing.js`, { headers: { 'Accept-Encoding': 'gzip' } })).status).toBe(
        404,
      );
    } finally {
      await app.close();
    }
  });

  it("serves the console at / and at its pages' paths (reloads, deep links), and says how to build it when missing", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-console-'));
    await writeFile(path.join(dir, 'index.html'), '<html>console</html>');
    const built = await serveApp(db.pool, '/nonexistent', dir);
    const missing = await serveApp(db.pool);
    try {
      for (const p of [
        '/',
        '/connections',
        '/connections/3/divisions?connected=1',
        '/runs/12',
        '/api-keys',
        '/login?next=%2Fconnect%2Fexact',
        '/data?connection=1&table=accounts',
        '/sql?query=4',
        // Every section of the console's menu, reloaded.
        ...SECTIONS.map(([to]) => `/${to}`),
      ]) {
        const res = await fetch(`${built.base}${p}`);
        expect(res.status, p).toBe(200);
        expect(await res.text(), p).toBe('<html>console</html>');
      }
      expect((await fetch(`${built.base}/no-such-page`)).status).toBe(404);
      const res = await fetch(`${missing.base}/connections`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build');
    } finally {
      await built.close();
      await missing.close();
    }
  });
});

describe('accepted: the encodings a browser takes', () => {
  it.each([
    ['gzip, deflate, br, zstd', ['gzip', 'deflate', 'br', 'zstd']],
    ['GZIP;q=0.5, br;q=0', ['gzip']],
    ['br;q=0.0', []],
    ['', []],
    [undefined, []],
    ['identity', ['identity']],
  ])('%j', (header, tokens) => {
    expect([...accepted(header)]).toEqual(tokens);
  });
});
