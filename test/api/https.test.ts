import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../server/lib/settings.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { freePort } from '../helpers/cli.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/** HTTPS with TLS_CERT_FILE / TLS_KEY_FILE (what Office needs to load the add-in), with a throwaway self-signed certificate. */

let dir: string;
let sb: RunningSandbox;
let t: TestServer;
let port: number;

function get(
  url: string,
): Promise<{ status: number; body: string; cert: string; headers: import('node:http').IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { rejectUnauthorized: false }, (res) => {
        const cert = String((res.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN ?? '');
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode!, body, cert, headers: res.headers }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  sb = await startSandbox({ autoApprove: true, divisions: 1, scale: 50, limits: false });
  port = await freePort();
  t = await startTestServer('https', sb, {
    PORT: String(port),
    PUBLIC_URL: `https://127.0.0.1:${port}`,
    TLS_CERT_FILE: path.join(dir, 'cert.pem'),
    TLS_KEY_FILE: path.join(dir, 'key.pem'),
  });
});
afterAll(async () => {
  await t?.close();
  await sb?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('HTTPS', () => {
  it('serves the API and the add-in over TLS with the given certificate', async () => {
    const health = await get(`https://127.0.0.1:${port}/healthz`);
    expect(health).toMatchObject({ status: 200, cert: 'localhost' });
    const manifest = await get(`https://127.0.0.1:${port}/addin/manifest.xml`);
    expect(manifest.body).toContain(`https://127.0.0.1:${port}/addin/taskpane.html`);
    // The server's version, as the four numbers a manifest takes.
    const { version } = JSON.parse(
      await readFile(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'),
    ) as {
      version: string;
    };
    expect(manifest.body).toContain(`<Version>${version}.0</Version>`);
    // Icons without Cache-Control: Office shows its default icons when an image host sends one.
    const icon = await get(`https://127.0.0.1:${port}/addin/assets/icon-32.png`);
    expect(icon.status).toBe(200);
    expect(icon.headers['cache-control']).toBeUndefined();
  });

  it('refuses half a TLS setting, a missing file, and a file that is not a certificate', async () => {
    const env = (extra: Record<string, string>) => () =>
      loadSettings({ cwd: dir, env: { EXACT_CLIENT_ID: 'a', EXACT_CLIENT_SECRET: 'b', ...extra } });
    expect(env({ TLS_CERT_FILE: 'cert.pem' })).toThrow(/set both/);
    expect(env({ TLS_CERT_FILE: 'cert.pem', TLS_KEY_FILE: 'nope.pem' })).toThrow(/TLS_KEY_FILE: file not found/);
    expect(env({ TLS_CERT_FILE: 'cert.pem', TLS_KEY_FILE: 'key.pem' })().publicUrl).toMatch(
      /^https:\/\/localhost:3000$/,
    );
    await writeFile(path.join(dir, 'bad.pem'), 'not a certificate');
    const { serve } = await import('../../server/main.ts');
    const settings = loadSettings({
      cwd: dir,
      env: {
        DATABASE_URL: t.db.url,
        PORT: String(await freePort()),
        EXACT_CLIENT_ID: 'a',
        EXACT_CLIENT_SECRET: 'b',
        EXACT_BASE_URL: sb.url,
        TLS_CERT_FILE: 'bad.pem',
        TLS_KEY_FILE: 'key.pem',
        DATA_DIR: dir,
      },
    });
    const { createLogger } = await import('../../server/lib/logger.ts');
    await expect(serve(settings, createLogger({ level: 'silent', format: 'json' }))).rejects.toMatchObject({
      code: 'tls_invalid',
    });
  });
});
