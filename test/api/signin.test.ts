import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Throttle } from '../../server/api/routes/session.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { setAdminPassword } from '../../server/auth/adminPassword.ts';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../helpers/server.ts';

/** Issue 22, item 8: sign-in under attack, and bodies nobody authenticated. Own server: it uses up its allowance. */

let sb: RunningSandbox;
let t: TestServer;

const login = (secret: string, headers: Record<string, string> = {}) =>
  fetch(`${t.url}/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ secret }),
  });

beforeAll(async () => {
  sb = await startSandbox({ autoApprove: true, seed: 8, divisions: 1, scale: 10, limits: false });
  t = await startTestServer('signin', sb);
  await setAdminPassword(t.db.pool, ADMIN_PASSWORD);
});
afterAll(async () => {
  await t.close();
  await sb.close();
});

describe('the sign-in allowance', () => {
  it('counts attempts before checking them: a success gives its attempt back, ten failures close the door', () => {
    let now = 1_000_000;
    const throttle = new Throttle(() => now);
    const ok = throttle.take('a');
    throttle.succeeded('a', ok);
    for (let i = 0; i < 10; i++) throttle.take('a');
    expect(() => throttle.take('a')).toThrow(/Too many failed sign-ins/);
    expect(() => throttle.take('b')).not.toThrow();
    now += 600_001;
    expect(() => throttle.take('a')).not.toThrow();
  });

  it('holds under 40 concurrent wrong passwords, whatever X-Forwarded-For says', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        login(`wrong password ${i}`, { 'X-Forwarded-For': `203.0.113.${i}` }).then((r) => r.status),
      ),
    );
    expect(answers.filter((s) => s === 401)).toHaveLength(10);
    expect(answers.filter((s) => s === 429)).toHaveLength(30);
    // The right password is refused too until the ten minutes are over: the door is closed for this address.
    expect((await login(ADMIN_PASSWORD)).status).toBe(429);
  });
});

describe('headers', () => {
  it('no page can be framed by another site, except the add-in (Excel on the web frames it); nothing is sniffed', async () => {
    for (const p of ['/', '/healthz', '/api/v1/connections', '/connect/exact/callback']) {
      const res = await fetch(`${t.url}${p}`, { redirect: 'manual' });
      expect([p, res.headers.get('x-frame-options')]).toEqual([p, 'DENY']);
      expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
    }
    const addin = await fetch(`${t.url}/addin/manifest.xml`);
    expect(addin.headers.get('x-frame-options')).toBeNull();
    expect(addin.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('bodies before authentication', () => {
  it('a 15 MB body is refused at 1 MB without a caller, on the API and on the attachments route alike', async () => {
    const big = JSON.stringify({ secret: 'x'.repeat(15 * 1024 * 1024) });
    const res = await fetch(`${t.url}/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const attach = await fetch(`${t.url}/api/v1/documents/1/attachments`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ base64: 'A'.repeat(15 * 1024 * 1024) }),
    });
    expect(attach.status).toBe(401);
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
