import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { apiCall, connectAndSync, keys, startTestServer, syncNow, type TestServer } from '../helpers/server.ts';

/** /api/v1/documents against a real server connected to the sandbox: writes recorded, and synced back. */

let sb: RunningSandbox;
let t: TestServer;
let admin: string;
let read: string;
let connection: number;
let division: number;

beforeAll(async () => {
  sb = await sandboxForFile({ divisions: 2, scale: 100, autoApprove: true, limits: false });
  t = await startTestServer('documents_api', sb);
  ({ admin, read } = await keys(t));
  connection = await connectAndSync(t, admin);
  division = sb.sandbox.divisions[0]!.code;
});
afterAll(async () => {
  await t?.close();
});

describe('/api/v1/documents', () => {
  it('creates, upserts, attaches and downloads; every write is recorded; the document reaches the warehouse with the next sync', async () => {
    const made = await apiCall(t, admin, 'POST', '/documents', {
      connection,
      division,
      fields: { Subject: 'Invoice 24700001', Type: 10 },
    });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ action: 'created', document: { Subject: 'Invoice 24700001' } });
    const id = made.body.document.ID as string;
    const upserted = await apiCall(t, admin, 'POST', '/documents', {
      connection,
      division,
      upsertBy: 'Subject',
      fields: { Subject: 'Invoice 24700001', Type: 10, Body: 'Paid' },
    });
    expect(upserted.body).toMatchObject({ action: 'updated', document: { ID: id, Body: 'Paid' } });
    // Finding calls Exact live (its rate budget): an admin key's, not a read key's.
    const asReader = `/documents?connection=${connection}&division=${division}&value=x`;
    expect((await apiCall(t, read, 'GET', asReader)).status).toBe(403);
    const found = await apiCall(
      t,
      admin,
      'GET',
      `/documents?connection=${connection}&division=${division}&value=${encodeURIComponent('Invoice 24700001')}`,
    );
    expect(found.body.ID).toBe(id);
    const attached = await apiCall(t, admin, 'POST', `/documents/${id}/attachments`, {
      connection,
      division,
      fileName: 'invoice.txt',
      base64: Buffer.from('hello invoice').toString('base64'),
    });
    expect(attached.status).toBe(201);
    const file = await fetch(
      `${t.url}/api/v1/documents/${id}/attachments/invoice.txt?connection=${connection}&division=${division}`,
      { headers: { Authorization: `Bearer ${admin}` } },
    );
    expect(file.headers.get('content-disposition')).toContain('invoice.txt');
    expect(Buffer.from(await file.arrayBuffer()).length).toBeGreaterThan(0);
    const writes = (await apiCall(t, admin, 'GET', '/documents/writes')).body.writes;
    expect(writes.map((w: any) => `${w.action}:${w.status}`)).toEqual([
      'attach:succeeded',
      'upsert:succeeded',
      'create:succeeded',
    ]);
    expect(writes[2]).toMatchObject({
      actor: expect.stringMatching(/^api_key:\d+$/),
      documentId: id,
      subject: 'Invoice 24700001',
    });
    await syncNow(t, admin, connection);
    const { rows } = await t.db.pool.query('SELECT subject, body FROM exact_online.documents WHERE id = $1', [id]);
    expect(rows).toEqual([{ subject: 'Invoice 24700001', body: 'Paid' }]);
  });

  it('refuses bad base64, a read key, a division the connection does not reach; failures are recorded too', async () => {
    const bad = await apiCall(t, admin, 'POST', '/documents/9d648f77-9556-48b5-a701-fdcfa88f177f/attachments', {
      connection,
      division,
      fileName: 'x.txt',
      base64: 'not base64!',
    });
    expect(bad.body.error.code).toBe('invalid_base64');
    expect(
      (await apiCall(t, read, 'POST', '/documents', { connection, division, fields: { Subject: 'x', Type: 10 } }))
        .status,
    ).toBe(403);
    const elsewhere = await apiCall(t, admin, 'POST', '/documents', {
      connection,
      division: 999999,
      fields: { Subject: 'x', Type: 10 },
    });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.code).toBe('division_not_allowed');
    const missing = await apiCall(t, admin, 'PUT', '/documents/00000000-0000-0000-0000-000000000001', {
      connection,
      division,
      fields: { Body: 'x' },
    });
    expect(missing.body.error.code).toBe('document_not_found');
    const writes = (await apiCall(t, admin, 'GET', '/documents/writes')).body.writes;
    expect(writes[0]).toMatchObject({ action: 'update', status: 'failed', errorCode: 'document_not_found' });
  });
});

describe('exact-sync documents', () => {
  it('upserts a CSV with a line per row; a bad row fails alone; running it again creates nothing new; attach and download', async () => {
    const { runCli } = await import('../helpers/cli.ts');
    const { mkdtemp, writeFile, readFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-docs-'));
    const cli = async (args: string[]) => {
      const run = runCli(args, {
        cwd: dir,
        env: {
          DATABASE_URL: t.db.url,
          DATA_DIR: t.dataDir,
          EXACT_CLIENT_ID: 'sandbox-client',
          EXACT_CLIENT_SECRET: 'sandbox-secret',
          EXACT_BASE_URL: sb.url,
        },
      });
      const { code } = await run.exited;
      return { code, stdout: run.stdout(), stderr: run.stderr() };
    };
    await writeFile(
      path.join(dir, 'docs.csv'),
      'Subject,Type,Body\n"Bulk, one",10,First\nBulk two,10,Second\nNo type,,x\n',
    );
    const where = ['--connection', String(connection), '--division', String(division)];
    const first = await cli(['documents', 'upsert', ...where, '--file', path.join(dir, 'docs.csv')]);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/\[1\/3\] row 1: created [0-9a-f-]{36}/);
    expect(first.stdout).toMatch(/\[3\/3\] row 3: FAILED: .*Type/);
    expect(first.stdout).toContain('2 of 3 rows written, 1 failed');
    const again = await cli(['documents', 'upsert', ...where, '--file', path.join(dir, 'docs.csv')]);
    expect(again.stdout).toMatch(/row 1: updated/);
    expect(again.stdout).toMatch(/row 2: updated/);
    const found = await cli(['documents', 'find', ...where, '--subject', 'Bulk, one']);
    expect(found.code, found.stderr).toBe(0);
    const id = JSON.parse(found.stdout).ID as string;
    await writeFile(path.join(dir, 'note.txt'), 'a note');
    expect(
      (await cli(['documents', 'attach', ...where, '--document', id, '--file', path.join(dir, 'note.txt')])).stdout,
    ).toMatch(/Attached note.txt \(6 bytes\)/);
    const saved = await cli([
      'documents',
      'download',
      ...where,
      '--document',
      id,
      '--attachment',
      'note.txt',
      '--out',
      path.join(dir, 'back.txt'),
    ]);
    expect(saved.code, saved.stderr).toBe(0);
    expect((await readFile(path.join(dir, 'back.txt'))).length).toBeGreaterThan(0);
    const bad = await cli(['documents', 'upsert', ...where, '--file', path.join(dir, 'docs.txt')]);
    expect(bad.stderr).toContain('--file must be a .csv or .json file');
  });
});
