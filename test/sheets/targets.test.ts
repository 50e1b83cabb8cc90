import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { apiCall, connectAndSync, keys, startTestServer, type TestServer } from '../helpers/server.ts';
import { startSheetsStandIn, type SheetsStandIn } from '../helpers/sheetsStandIn.ts';

/**
 * Sheets targets end to end: the server configured with a service account key (its token_uri and
 * GOOGLE_SHEETS_URL pointing at the stand-in, the product's own code path), pushing synced sandbox data.
 */

let sb: RunningSandbox;
let g: SheetsStandIn;
let t: TestServer;
let dir: string;
let admin: string;

beforeAll(async () => {
  g = await startSheetsStandIn();
  g.books.set('book1', { sheets: [{ sheetId: 0, title: 'Sheet1', cells: new Map(), formats: new Map(), frozen: 0 }] });
  dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-sa-'));
  const { keyFile, publicKey } = await serviceAccountKey('service-account.json', 'k1');
  // Google knows the key by its id.
  g.serviceAccounts.set('k1', { email: 'writer@test.iam.gserviceaccount.com', publicKey });
  sb = await sandboxForFile({ divisions: 1, scale: 200, autoApprove: true });
  t = await startTestServer('sheets_targets', sb, {
    GOOGLE_APPLICATION_CREDENTIALS: keyFile,
    GOOGLE_SHEETS_URL: g.url,
  });
  admin = (await keys(t)).admin;
  await connectAndSync(t, admin);
});
/** A service account's JSON key file (its token_uri the stand-in's), and its public key (what Google knows). */
async function serviceAccountKey(name: string, keyId: string): Promise<{ keyFile: string; publicKey: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const keyFile = path.join(dir, name);
  await writeFile(
    keyFile,
    JSON.stringify({
      type: 'service_account',
      project_id: 'test',
      private_key_id: keyId,
      private_key: privateKey,
      client_email: 'writer@test.iam.gserviceaccount.com',
      client_id: '1',
      token_uri: `${g.url}/token`,
    }),
  );
  return { keyFile, publicKey };
}

afterAll(async () => {
  await t?.close();
  await g?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Google Sheets targets', () => {
  it('pushes a warehouse table into a sheet with the service account, and records the push', async () => {
    const made = await apiCall(t, admin, 'POST', '/sheets/targets', {
      name: 'GL accounts',
      spreadsheetId: 'book1',
      sheetName: 'GL',
      sourceKind: 'table',
      source: 'glaccounts',
    });
    expect(made.status).toBe(201);
    const pushed = await apiCall(t, admin, 'POST', `/sheets/targets/${made.body.id}/push`);
    const { rows } = await t.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM exact_online.glaccounts');
    expect(pushed.body).toMatchObject({ status: 'succeeded', rows: rows[0]!.n });
    // An access token from the token exchange (a JWT the service account signed, checked against its key).
    expect(g.tokens.has(g.lastAuthorization!.replace(/^Bearer /, ''))).toBe(true);
    const values = g.values('book1', 'GL');
    expect(values).toHaveLength(rows[0]!.n + 1);
    expect(values[0]).toContain('code');
    const list = await apiCall(t, admin, 'GET', '/sheets/targets');
    expect(list.body.targets[0].lastPush).toMatchObject({ status: 'succeeded', rows: rows[0]!.n });
  });

  it('a smaller second push of SQL clears the rows the first one left', async () => {
    const made = await apiCall(t, admin, 'POST', '/sheets/targets', {
      name: 'Top',
      spreadsheetId: 'book1',
      sheetName: 'Top',
      sourceKind: 'sql',
      source: 'SELECT code FROM glaccounts ORDER BY code LIMIT 10',
    });
    await apiCall(t, admin, 'POST', `/sheets/targets/${made.body.id}/push`);
    expect(g.values('book1', 'Top')).toHaveLength(11);
    await t.db.pool.query(
      `UPDATE exact_sync.sheet_targets SET source = 'SELECT code FROM glaccounts ORDER BY code LIMIT 3' WHERE id = $1`,
      [made.body.id],
    );
    await apiCall(t, admin, 'POST', `/sheets/targets/${made.body.id}/push`);
    expect(g.values('book1', 'Top')).toHaveLength(4);
  });

  it('a missing spreadsheet: the push fails with a clear error recorded, nothing else touched', async () => {
    const made = await apiCall(t, admin, 'POST', '/sheets/targets', {
      name: 'Gone',
      spreadsheetId: 'missing',
      sheetName: 'X',
      sourceKind: 'table',
      source: 'glaccounts',
    });
    const before = g.books.get('book1')!.sheets.map((s) => s.title);
    const pushed = await apiCall(t, admin, 'POST', `/sheets/targets/${made.body.id}/push`);
    expect(pushed.body).toMatchObject({ status: 'failed', error: expect.stringContaining('no spreadsheet missing') });
    const history = await apiCall(t, admin, 'GET', `/sheets/targets/${made.body.id}/pushes`);
    expect(history.body.pushes[0]).toMatchObject({ status: 'failed', errorCode: 'spreadsheet_not_found' });
    expect(g.books.get('book1')!.sheets.map((s) => s.title)).toEqual(before);
  });

  it('a target with a frequency is pushed by the schedule', async () => {
    const made = await apiCall(t, admin, 'POST', '/sheets/targets', {
      name: 'Every 15',
      spreadsheetId: 'book1',
      sheetName: 'Scheduled',
      sourceKind: 'sql',
      source: 'SELECT 1 AS one',
      frequencyMinutes: 15,
    });
    expect(await t.server.services.sync.tick()).toBeGreaterThanOrEqual(1);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const history = await apiCall(t, admin, 'GET', `/sheets/targets/${made.body.id}/pushes`);
      if (history.body.pushes[0]?.status === 'succeeded') {
        expect(history.body.pushes[0].trigger).toBe('schedule');
        break;
      }
      if (Date.now() > deadline) throw new Error('the scheduled push did not happen');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(g.values('book1', 'Scheduled')).toEqual([['one'], [1]]);
    // Pushed a moment ago: not due again.
    const again = await t.db.pool.query('SELECT count(*)::int AS n FROM exact_sync.sheet_pushes WHERE target_id = $1', [
      made.body.id,
    ]);
    await t.server.services.sync.tick();
    await new Promise((r) => setTimeout(r, 1000));
    const after = await t.db.pool.query('SELECT count(*)::int AS n FROM exact_sync.sheet_pushes WHERE target_id = $1', [
      made.body.id,
    ]);
    expect(after.rows[0].n).toBe(again.rows[0].n);
  });

  it('a target can be switched off (the schedule skips it), rescheduled and moved; a new sheet starts with no extent', async () => {
    const made = await apiCall(t, admin, 'POST', '/sheets/targets', {
      name: 'Switchable',
      spreadsheetId: 'book1',
      sheetName: 'Sw',
      sourceKind: 'sql',
      source: 'SELECT 1 AS one',
      frequencyMinutes: 5,
    });
    const id = made.body.id as number;
    await apiCall(t, admin, 'POST', `/sheets/targets/${id}/push`);
    const { dueTargets } = await import('../../server/sheets/targets.ts');
    const later = new Date(Date.now() + 10 * 60_000);
    expect(await dueTargets(t.db.pool, later)).toContain(id);
    const off = await apiCall(t, admin, 'PATCH', `/sheets/targets/${id}`, { enabled: false });
    expect(off.body).toMatchObject({ enabled: false, frequencyMinutes: 5 });
    expect(await dueTargets(t.db.pool, later)).not.toContain(id);
    const moved = await apiCall(t, admin, 'PATCH', `/sheets/targets/${id}`, {
      enabled: true,
      frequencyMinutes: null,
      sheetName: 'Elsewhere',
    });
    expect(moved.body).toMatchObject({ enabled: true, frequencyMinutes: null, sheetName: 'Elsewhere' });
    const extent = await t.db.pool.query('SELECT last_rows, last_columns FROM exact_sync.sheet_targets WHERE id = $1', [
      id,
    ]);
    expect(extent.rows[0]).toEqual({ last_rows: null, last_columns: null });
    expect((await apiCall(t, admin, 'PATCH', `/sheets/targets/${id}`, { frequencyMinutes: 2 })).status).toBe(400);
    expect((await apiCall(t, admin, 'PATCH', '/sheets/targets/999999', { enabled: false })).status).toBe(404);
    expect((await apiCall(t, (await keys(t)).read, 'PATCH', `/sheets/targets/${id}`, { enabled: false })).status).toBe(
      403,
    );
  });

  it('a key Google does not know: the push fails saying so, nothing written', async () => {
    const { sheetsClient } = await import('../../server/sheets/client.ts');
    const { pushToSheet } = await import('../../server/sheets/writeback.ts');
    // A key of the same account that Google does not know (deleted in the Cloud console, say).
    const { keyFile: file } = await serviceAccountKey('deleted-key.json', 'deleted');
    const api = sheetsClient({ credentialsFile: file, rootUrl: g.url });
    const before = g.requests.length;
    await expect(
      pushToSheet(api as never, { spreadsheetId: 'book1', sheet: 'X' }, { columns: [], rows: [] }, undefined),
    ).rejects.toThrow(/Google refused the service account's key \(invalid_grant: Invalid JWT Signature/);
    expect(g.requests.length).toBe(before);
  });

  it('refuses a bad target', async () => {
    expect(
      (
        await apiCall(t, admin, 'POST', '/sheets/targets', {
          name: 'Bad',
          spreadsheetId: 'has spaces',
          sheetName: 'X',
          sourceKind: 'table',
          source: 'x',
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await apiCall(t, admin, 'POST', '/sheets/targets', {
          name: 'Bad',
          spreadsheetId: 'ok',
          sheetName: 'X',
          sourceKind: 'table',
          source: 'x',
          frequencyMinutes: 1,
        })
      ).status,
    ).toBe(400);
  });
});

describe('exact-sync sheets', () => {
  it('adds, lists, pushes and removes a target from a terminal; a bad id is a clear error', async () => {
    const { runCli } = await import('../helpers/cli.ts');
    const env = {
      DATABASE_URL: t.db.url,
      DATA_DIR: t.dataDir,
      GOOGLE_APPLICATION_CREDENTIALS: path.join(dir, 'service-account.json'),
      GOOGLE_SHEETS_URL: g.url,
    };
    const cli = async (args: string[]) => {
      const run = runCli(args, { cwd: dir, env });
      const { code } = await run.exited;
      return { code, stdout: run.stdout(), stderr: run.stderr() };
    };
    const added = await cli([
      'sheets',
      'add',
      '--name',
      'From CLI',
      '--spreadsheet',
      'book1',
      '--sheet',
      'CLI',
      '--sql',
      'SELECT 2 AS two',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const id = /target (\d+)/.exec(added.stdout)![1]!;
    const pushed = await cli(['sheets', 'push', id]);
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stdout).toMatch(/Pushed 1 rows/);
    expect(g.values('book1', 'CLI')).toEqual([['two'], [2]]);
    expect((await cli(['sheets', 'list'])).stdout).toMatch(
      /From CLI: sql "SELECT 2 AS two" → book1 \/ CLI, on request; last push succeeded/,
    );
    const off = await cli(['sheets', 'set', id, '--off', '--every', '60']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/"From CLI": off, every 60 min/);
    expect((await cli(['sheets', 'list'])).stdout).toMatch(/From CLI \(off\): sql/);
    const nothing = await cli(['sheets', 'set', id]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('Nothing to change');
    expect((await cli(['sheets', 'remove', id])).code).toBe(0);
    const bad = await cli(['sheets', 'push', 'x']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('A Sheets target is given by its id');
  });
});
