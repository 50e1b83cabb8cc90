import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { keys, signIn, startTestServer, waitForSyncs, type Session, type TestServer } from '../helpers/server.ts';

/** The connect flow over HTTP as a browser walks it: exact-sync → the sandbox's consent page → back. */

let sb: RunningSandbox;
let t: TestServer;
let session: Session;

beforeAll(async () => {
  sb = await sandboxForFile({ divisions: 3, scale: 300, autoApprove: false });
  t = await startTestServer('connect', sb);
});
afterAll(async () => {
  await t?.close();
});

const page = async (res: Response) => ({
  status: res.status,
  text: await res.text(),
  location: res.headers.get('location'),
});

/** The console's Connect button: a form POST with the session's CSRF token. */
function postConnect(s: Session | undefined, query: string, csrf: string | undefined = s?.csrf): Promise<Response> {
  const form = new URLSearchParams(query);
  if (csrf !== undefined) form.set('csrf', csrf);
  return fetch(`${t.url}/connect/exact`, {
    method: 'POST',
    headers: { ...(s ? { Cookie: s.cookie } : {}), 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
}

async function startConnect(s: Session, query = 'country=nl&start_year=2024'): Promise<URL> {
  const res = await postConnect(s, query);
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

/** Submits the sandbox's consent form; returns where it sends the browser back to. */
async function consent(auth: URL, decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
  const form = new URLSearchParams(auth.searchParams);
  form.set('username', 'demo');
  form.set('password', 'demo');
  form.set('decision', decision);
  const res = await fetch(`${sb.url}/api/oauth2/auth`, { method: 'POST', body: form, redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

const callback = (cb: URL, s: Session | undefined) =>
  fetch(cb, { headers: s ? { Cookie: s.cookie } : {}, redirect: 'manual' });

/** What a failed attempt must not change. */
async function snapshot() {
  const { rows } = await t.db.pool.query(
    'SELECT id, access_token, refresh_token, state, start_year FROM exact_sync.connections ORDER BY id',
  );
  const { rows: d } = await t.db.pool.query('SELECT count(*)::int AS n FROM exact_sync.divisions');
  return { connections: rows, divisions: d[0].n };
}

describe('first start', () => {
  it('lets the console set the admin password with the printed setup code, once', async () => {
    const setup = (body: object) =>
      fetch(`${t.url}/auth/setup`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    const state = (await (await fetch(`${t.url}/auth/session`)).json()) as any;
    expect(state.setupRequired).toBe(true);
    const code = t.server.services.setup!.code;
    expect(t.logs.join('')).not.toContain(code); // printed for the person at the terminal by the CLI, not logged
    const wrong = await setup({ code: 'AAAA-AAAA', password: 'long enough password' });
    expect(wrong.status).toBe(401);
    const weak = await setup({ code, password: 'short' });
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as any).error.code).toBe('weak_password');
    const ok = await setup({ code: code.toLowerCase().replace('-', ' '), password: 'long enough password' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('set-cookie')).toMatch(/exact_sync_session=.*HttpOnly.*SameSite=Lax/i);
    const again = await setup({ code, password: 'another long password' });
    expect(again.status).toBe(409);
    session = await signIn(t);
  });
});

describe('connecting Exact Online', () => {
  it('sends a signed-out browser to the sign-in page first, keeping where it was going', async () => {
    const res = await page(await postConnect(undefined, 'country=be', 'x'));
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/login?next=${encodeURIComponent('/connections/new?country=be')}`);
  });

  it('changes nothing without the console: a GET or a form without the session CSRF token starts no connection', async () => {
    const link = await page(
      await fetch(`${t.url}/connect/exact?country=be&start_year=2020&tables=glaccounts`, {
        headers: { Cookie: session.cookie },
        redirect: 'manual',
      }),
    );
    expect(link.status).toBe(303);
    expect(link.location).toBe('/connections/new?country=be&start_year=2020&tables=glaccounts');
    for (const csrf of [undefined, 'forged']) {
      const res = await page(await postConnect(session, 'country=be&start_year=2020', csrf ?? ''));
      expect(res.status).toBe(403);
      expect(res.text).toContain('Start from the console');
    }
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM exact_sync.oauth_states');
    expect(rows[0].n).toBe(0);
  });

  it('refuses an unknown country or starting year on a page that offers to try again', async () => {
    for (const [q, words] of [
      ['country=xx', 'Unknown country'],
      ['country=nl&start_year=1999', 'Invalid starting year'],
      ['country=nl&tables=nope', 'Unknown tables'],
    ]) {
      const res = await page(await postConnect(session, q!));
      expect(res.status).toBe(400);
      expect(res.text).toContain(words);
      expect(res.text).toContain('Try again');
    }
  });

  it('connects: consent at the sandbox, tokens sealed, divisions listed, none syncing until chosen', async () => {
    const auth = await startConnect(session, 'country=nl&start_year=2024&tables=transactionlines,glaccounts');
    expect(auth.origin).toBe(sb.url);
    expect(auth.pathname).toBe('/api/oauth2/auth');
    expect(auth.searchParams.get('redirect_uri')).toBe(`${t.url}/connect/exact/callback`);
    expect(auth.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const res = await page(await callback(await consent(auth), session));
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/^\/connections\/\d+\/divisions\?connected=1$/);
    const { rows } = await t.db.pool.query('SELECT * FROM exact_sync.connections');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      country: 'nl',
      base_url: sb.url,
      start_year: 2024,
      state: 'active',
      // The sandbox's current/Me ServerUtcOffset is Amsterdam's, the zone exact-sync assumes for nl: no note.
      state_message: null,
      divisions_mode: 'selected',
      warehouse_schema: 'exact_online',
    });
    expect(rows[0].access_token).toMatch(/^v1\./);
    expect(rows[0].refresh_token).toMatch(/^v1\./);
    const divisions = await t.db.pool.query(
      'SELECT division, name, sync_enabled FROM exact_sync.divisions ORDER BY division',
    );
    expect(divisions.rows.map((d) => d.division).sort()).toEqual(sb.sandbox.divisions.map((d) => d.code).sort());
    expect(divisions.rows.every((d) => d.name.length > 0 && d.sync_enabled === false)).toBe(true);
    const tables = await t.db.pool.query(
      `SELECT table_name FROM exact_sync.connection_tables WHERE enabled ORDER BY 1`,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(['deleted', 'glaccounts', 'transactionlines']);
  });

  it("reconnecting the same Exact user replaces that connection's tokens, never a second connection", async () => {
    const before = await snapshot();
    const res = await page(
      await callback(await consent(await startConnect(session, 'country=nl&start_year=2023')), session),
    );
    expect(res.location).toBe(`/connections/${before.connections[0].id}/divisions?reconnected=1`);
    const after = await snapshot();
    expect(after.connections).toHaveLength(1);
    expect(after.connections[0].refresh_token).not.toBe(before.connections[0].refresh_token);
    expect(after.connections[0].start_year).toBe(2023);
  });

  it('refused consent ends on a page that says so; nothing changes', async () => {
    const before = await snapshot();
    const res = await page(await callback(await consent(await startConnect(session), 'deny'), session));
    expect(res.status).toBe(400);
    expect(res.text).toContain('Access was not granted');
    expect(res.text).toContain('Try again');
    expect(await snapshot()).toEqual(before);
  });

  it("a forged, replayed, expired or other browser's state is refused; nothing changes", async () => {
    const before = await snapshot();
    const cb = await consent(await startConnect(session));
    const forged = new URL(cb);
    forged.searchParams.set('state', 'A'.repeat(43));
    expect((await page(await callback(forged, session))).text).toContain('was not issued by this server');

    const other = await signIn(t);
    expect((await page(await callback(cb, other))).text).toContain('another browser');
    // The state is spent by that attempt, whoever made it.
    expect((await page(await callback(cb, session))).text).toContain('already used');

    const late = await consent(await startConnect(session));
    await t.db.pool.query(
      `UPDATE exact_sync.oauth_states SET expires_at = now() - interval '1 second' WHERE used_at IS NULL`,
    );
    const expired = await page(await callback(late, session));
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('expired');
    expect(await snapshot()).toEqual(before);
  });

  it('an expired authorization code ends on a page that says so; nothing changes', async () => {
    const before = await snapshot();
    const cb = await consent(await startConnect(session));
    sb.sandbox.clock.advance(4 * 60_000); // Exact's codes live 3 minutes
    const res = await page(await callback(cb, session));
    expect(res.status).toBe(400);
    expect(res.text).toContain('did not accept the sign-in');
    expect(await snapshot()).toEqual(before);
  });

  it('Exact being down ends on a page that says so; nothing changes', async () => {
    const before = await snapshot();
    const cb = await consent(await startConnect(session));
    sb.sandbox.faults.add({ path: '/api/oauth2/token', status: 503, nth: 1 });
    const res = await page(await callback(cb, session));
    expect(res.status).toBe(502);
    expect(res.text).toContain('not answering properly');
    expect(await snapshot()).toEqual(before);
  });
});

describe('after connecting', () => {
  it('syncs the chosen divisions; a second "sync now" answers already running with the run ids', async () => {
    const key = (await keys(t)).admin;
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${t.url}/api/v1${p}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const [conn] = (await call('GET', '/connections')).body.connections;
    const codes = sb.sandbox.divisions.map((d) => d.code);
    const chosen = codes.slice(0, 2);
    const put = await call('PUT', `/connections/${conn.id}/divisions`, { mode: 'selected', divisions: chosen });
    expect(
      put.body.divisions
        .filter((d: any) => d.syncEnabled)
        .map((d: any) => d.division)
        .sort(),
    ).toEqual([...chosen].sort());
    const bad = await call('PUT', `/connections/${conn.id}/divisions`, { mode: 'selected', divisions: [999] });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('unknown_division');

    const first = await call('POST', `/connections/${conn.id}/sync`, {});
    expect(first.status).toBe(202);
    expect(first.body.started.sort()).toEqual([...chosen].sort());
    const second = await call('POST', `/connections/${conn.id}/sync`, {});
    expect(second.status).toBe(200);
    expect(second.body.status).toBe('already_running');
    expect(second.body.alreadyRunning.map((a: any) => a.division).sort()).toEqual([...chosen].sort());
    await waitForSyncs(t, conn.id, chosen.length);

    const runs = (await call('GET', `/runs?connection=${conn.id}`)).body.runs;
    expect(runs.map((r: any) => r.division).sort()).toEqual([...chosen].sort());
    expect(runs.every((r: any) => r.status === 'succeeded')).toBe(true);
    const detail = (await call('GET', `/runs/${runs[0].id}`)).body;
    expect(detail.tables.map((x: any) => x.table).sort()).toEqual(['deleted', 'glaccounts', 'transactionlines']);
    const { rows } = await t.db.pool.query('SELECT DISTINCT division FROM exact_online.transactionlines ORDER BY 1');
    expect(rows.map((r) => r.division)).toEqual([...chosen].sort((a, b) => a - b));
    const tables = (await call('GET', `/connections/${conn.id}/tables`)).body.tables;
    const lines = tables.find((x: any) => x.name === 'transactionlines');
    const { rows: n } = await t.db.pool.query('SELECT count(*)::int AS n FROM exact_online.transactionlines');
    expect(lines).toMatchObject({ enabled: true, rows: n[0].n, rowsEstimated: false });
    expect(lines.rows).toBeGreaterThan(0);
    expect(tables.find((x: any) => x.name === 'items')).toMatchObject({ enabled: false, rows: 0 });
  });

  it('validates table settings: frequency at least 5 minutes, deleted cannot be turned off', async () => {
    const key = (await keys(t)).admin;
    const patch = async (name: string, body: object) => {
      const res = await fetch(`${t.url}/api/v1/connections/1/tables/${name}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    expect((await patch('transactionlines', { frequencyMinutes: 4 })).status).toBe(400);
    expect((await patch('deleted', { enabled: false })).body.error.code).toBe('table_required');
    expect((await patch('nope', { enabled: true })).body.error.code).toBe('unknown_table');
    const ok = await patch('transactionlines', { frequencyMinutes: 15 });
    expect(ok.status).toBe(200);
    expect(ok.body.tables.find((x: any) => x.name === 'transactionlines').frequencyMinutes).toBe(15);
    // The estimate: transaction lines every 15 minutes is 96 runs a day, each at least one call.
    const tl = ok.body.dailyCost.tables.find((x: any) => x.name === 'transactionlines');
    expect(tl.callsPerDay).toBeGreaterThanOrEqual(96);
    expect(ok.body.dailyCost).toMatchObject({ budget: 5000, verdict: 'ok', warning: null });
    // Every enabled table every 5 minutes: accepted, with a warning that it would exhaust the budget.
    let heavy = ok;
    for (const x of ok.body.tables)
      heavy = await patch(x.name, x.required ? { frequencyMinutes: 5 } : { enabled: true, frequencyMinutes: 5 });
    expect(heavy.body.dailyCost.verdict).toBe('exhausts');
    expect(heavy.body.dailyCost.warning).toMatch(/more than the 5,000 Exact allows/);
    for (const x of ok.body.tables)
      await patch(
        x.name,
        x.required ? { frequencyMinutes: null } : { enabled: x.enabled, frequencyMinutes: x.frequencyMinutes },
      );
  });

  it('per division: sync now, queued or running, next scheduled sync; bad bodies refused', async () => {
    const key = (await keys(t)).admin;
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${t.url}/api/v1${p}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const [conn] = (await call('GET', '/connections')).body.connections;
    const listed = (await call('GET', `/connections/${conn.id}/divisions`)).body.divisions;
    const on = listed.filter((d: any) => d.syncEnabled);
    // Synced a moment ago by a test above, transaction lines every 15 minutes (the test above): the next
    // sync is 15 minutes after that run started.
    expect(
      (await call('GET', `/connections/${conn.id}/tables`)).body.tables.find((x: any) => x.name === 'transactionlines')
        .frequencyMinutes,
    ).toBe(15);
    for (const d of on) {
      const next = Date.parse(d.nextSyncAt);
      expect(Math.abs(next - Date.parse(d.lastRun.startedAt) - 15 * 60_000)).toBeLessThan(2000);
    }
    expect(Date.parse((await call('GET', `/connections/${conn.id}`)).body.nextSyncAt)).toBe(
      Math.min(...on.map((d: any) => Date.parse(d.nextSyncAt))),
    );
    const off = listed.find((d: any) => !d.syncEnabled);
    expect(off.nextSyncAt).toBeNull();

    const target = on[0].division;
    const runsBefore = (await call('GET', `/runs?connection=${conn.id}`)).body.runs.length;
    const now = await call('PATCH', `/connections/${conn.id}/divisions/${target}`, { syncNow: true });
    expect(now.status).toBe(200);
    const row = now.body.divisions.find((d: any) => d.division === target);
    // Waiting for a worker, running, or (a worker is quick) already done.
    expect(row.queued || row.syncing || row.lastRun.id !== on[0].lastRun.id).toBe(true);
    await waitForSyncs(t, conn.id, runsBefore + 1);
    expect((await call('GET', `/runs?connection=${conn.id}`)).body.runs[0]).toMatchObject({
      division: target,
      trigger: 'manual',
      status: 'succeeded',
    });

    expect((await call('PATCH', `/connections/${conn.id}/divisions/${target}`, {})).status).toBe(400);
    expect((await call('PATCH', `/connections/${conn.id}/divisions/${target}`, { syncNow: false })).status).toBe(400);
    expect((await call('PATCH', `/connections/${conn.id}/divisions/424242`, { syncNow: true })).body.error.code).toBe(
      'unknown_division',
    );
  });
});
