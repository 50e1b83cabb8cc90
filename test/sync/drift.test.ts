import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingProperty } from '../../server/exact/decisions.ts';
import { getConnection } from '../../server/state/connections.ts';
import { fieldsLeftOut, listDroppedFields, RETRY_DROPPED_AFTER_MS } from '../../server/state/droppedFields.ts';
import { syncTable, type SyncContext } from '../../server/sync/engine.ts';
import { withoutSelectField } from '../../server/sync/fieldDrift.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { exactError } from '../../server/sandbox/odata.ts';
import { runCli, tempWorkDir } from '../helpers/cli.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { setUpSync } from '../helpers/syncSetup.ts';

describe('what a refusal says is missing', () => {
  it.each([
    [
      "Type 'Exact.Web.Api.Models.Financial.TransactionLineSync' does not have a property named 'ShopOrder'.",
      'ShopOrder',
    ],
    ["Property 'BRIN' does not exist on type 'Exact.Web.Api.Models.AccountSync'.", 'BRIN'],
    ['Please add a $select or a $top=1 statement to the query string.', undefined],
    ['Error in query syntax', undefined],
    ["No navigation property 'Lines' exists", undefined],
  ])('%s → %s', (message, field) => {
    expect(missingProperty(message)).toBe(field);
  });

  it('takes a field out of the $select of a __next link, written either way', () => {
    expect(
      withoutSelectField('https://x/api/v1/1/sync/CRM/Accounts?$select=ID,BRIN,Name&$skiptoken=123L', 'brin'),
    ).toBe('https://x/api/v1/1/sync/CRM/Accounts?$select=ID,Name&$skiptoken=123L');
    expect(withoutSelectField('https://x/a?%24select=ID%2CBRIN%2CName&%24top=5', 'BRIN')).toBe(
      'https://x/a?%24select=ID,Name&%24top=5',
    );
    expect(withoutSelectField('https://x/a?$filter=BRIN eq 1', 'BRIN')).toBe('https://x/a?$filter=BRIN eq 1');
  });
});

describe('a field Exact drops while exact-sync runs', () => {
  let db: TestDatabase;
  let sb: RunningSandbox;
  let ctx: SyncContext;
  let connectionId: number;
  let secretKeyHex: string;
  let division: number;
  beforeAll(async () => {
    db = await createTestDatabase('sync_drift');
    sb = await startSandbox({ autoApprove: true, scale: 3000, divisions: 1, limits: false });
    ({ ctx, connectionId, secretKeyHex } = await setUpSync(db, sb));
    division = sb.sandbox.divisions[0]!.code;
    await syncTable(ctx, 'transactionlines', division);
  });
  afterAll(async () => {
    await sb?.close();
    await db?.drop();
  });

  it('is left out at once: the run goes on, the column stays and is empty from then on, and it shows', async () => {
    const lines = sb.sandbox.table(division, 'TransactionLines');
    const changed = String(lines.get(7)!.ID);
    sb.sandbox.update(division, 'TransactionLines', changed, { Notes: 'seen before the drop', Description: 'v2' });
    const dropped = await fetch(`${sb.url}/_sandbox/endpoints/drop-field`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'sync/Financial/TransactionLines', field: 'Notes' }),
    });
    expect(dropped.status).toBe(204);
    const callsBefore = sb.sandbox.calls.length;

    const result = await syncTable(ctx, 'transactionlines', division);
    expect(result.rows).toBe(1);
    // One refused call, then the same page again without the field.
    const calls = sb.sandbox.calls.slice(callsBefore).filter((c) => c.path.includes('TransactionLines'));
    expect(calls.map((c) => c.status)).toEqual([400, 200]);
    const { rows } = await db.pool.query<{ notes: string | null; description: string }>(
      'SELECT notes, description FROM exact_online.transactionlines WHERE id = $1',
      [changed],
    );
    expect(rows[0]).toEqual({ notes: null, description: 'v2' });

    // Remembered per connection and endpoint, with Exact's words: the API and the console read it here.
    const info = await getConnection(db.pool, connectionId);
    expect(info.droppedFields).toEqual([
      {
        endpoint: 'sync/Financial/TransactionLines',
        field: 'Notes',
        message: "Type 'Exact.Web.Api.Models.Financial.TransactionLineSync' does not have a property named 'Notes'.",
        droppedAt: expect.any(Date),
      },
    ]);

    // The next run does not ask for it, so it costs no refused call.
    sb.sandbox.update(division, 'TransactionLines', changed, { Description: 'v3' });
    const before = sb.sandbox.calls.length;
    await syncTable(ctx, 'transactionlines', division);
    expect(sb.sandbox.calls.slice(before).map((c) => c.status)).toEqual([200]);

    // The CLI shows it, and asks again when told.
    const cwd = await tempWorkDir('drift');
    const env = {
      DATABASE_URL: db.url,
      SECRET_KEY: secretKeyHex,
      EXACT_CLIENT_ID: 'sandbox-client',
      EXACT_CLIENT_SECRET: 'sandbox-secret',
    };
    const list = runCli(['connections'], { cwd, env });
    expect((await list.exited).code, list.stderr()).toBe(0);
    expect(list.stdout()).toContain(
      `field Notes left out of sync/Financial/TransactionLines since ${info.droppedFields[0]!.droppedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC: Exact said "Type 'Exact.Web.Api.Models.Financial.TransactionLineSync' does not have a property named 'Notes'."`,
    );
    const retry = runCli(['connections', 'fields', String(connectionId), '--retry'], { cwd, env });
    expect((await retry.exited).code, retry.stderr()).toBe(0);
    expect(retry.stdout()).toContain('1 dropped field will be asked for again from the next run.');
    expect(await listDroppedFields(db.pool, connectionId)).toEqual([]);

    // Exact brought it back: asked for and filled again.
    await fetch(`${sb.url}/_sandbox/endpoints/drop-field`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'sync/Financial/TransactionLines', field: 'Notes', restore: true }),
    });
    sb.sandbox.update(division, 'TransactionLines', changed, { Notes: 'back', Description: 'v4' });
    await syncTable(ctx, 'transactionlines', division);
    const again = await db.pool.query('SELECT notes FROM exact_online.transactionlines WHERE id = $1', [changed]);
    expect(again.rows[0]).toEqual({ notes: 'back' });
  });

  it('is asked for again by itself a week after it went', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    await db.pool.query(
      `INSERT INTO exact_sync.dropped_fields (connection_id, endpoint, field, message, dropped_at) VALUES ($1, 'sync/CRM/Accounts', 'Name', 'gone', $2)`,
      [connectionId, now],
    );
    expect((await fieldsLeftOut(db.pool, connectionId, now)).get('sync/crm/accounts')).toEqual(new Set(['Name']));
    const later = new Date(now.getTime() + RETRY_DROPPED_AFTER_MS + 1);
    expect((await fieldsLeftOut(db.pool, connectionId, later)).get('sync/crm/accounts')).toBeUndefined();
    await db.pool.query('DELETE FROM exact_sync.dropped_fields');
  });

  it('is retried once per field: a refusal that names no asked field, or the same field again, fails the run', async () => {
    // Exact keeps refusing a field that is not in $select: nothing to leave out, so the run fails as before.
    sb.sandbox.faults.add({
      path: '/sync/Financial/TransactionLines',
      status: 400,
      body: exactError(
        "Type 'Exact.Web.Api.Models.Financial.TransactionLineSync' does not have a property named 'Nothing'.",
      ),
      times: 1,
    });
    sb.sandbox.update(division, 'TransactionLines', String(sb.sandbox.table(division, 'TransactionLines').get(9)!.ID), {
      Description: 'v5',
    });
    await expect(syncTable(ctx, 'transactionlines', division)).rejects.toThrow("property named 'Nothing'");
    expect(await listDroppedFields(db.pool, connectionId)).toEqual([]);
    // The same field refused after it was left out (a broken answer): one retry, then the run's error.
    sb.sandbox.faults.add({
      path: '/sync/Financial/TransactionLines',
      status: 400,
      body: exactError(
        "Type 'Exact.Web.Api.Models.Financial.TransactionLineSync' does not have a property named 'Description'.",
      ),
      times: 2,
    });
    await expect(syncTable(ctx, 'transactionlines', division)).rejects.toThrow("property named 'Description'");
    expect((await listDroppedFields(db.pool, connectionId)).map((f) => f.field)).toEqual(['Description']);
  });
});
