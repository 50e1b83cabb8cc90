import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExactClient, Pacer } from '../../server/exact/client.ts';
import {
  addAttachment,
  createDocument,
  decodeBase64,
  findAttachment,
  findOne,
  MAX_ATTACHMENT_BYTES,
  updateDocument,
  upsertDocument,
} from '../../server/documents/documents.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { APP, setUpSync } from '../helpers/syncSetup.ts';
import { syncContextFor } from '../helpers/syncContext.ts';

/** Documents and attachments against the sandbox over HTTP, through the same client as the sync. */

let sb: RunningSandbox;
let db: TestDatabase;
let client: ExactClient;
let division: number;
let tokens: ReturnType<typeof syncContextFor>['tokens'];
let connectionId: number;

beforeAll(async () => {
  sb = await startSandbox({ autoApprove: true, seed: 41, divisions: 1, scale: 50, limits: false });
  db = await createTestDatabase('documents');
  const setup = await setUpSync(db, sb);
  connectionId = setup.connectionId;
  ({ client, tokens } = syncContextFor(db.pool, sb.url, connectionId, setup.secretKeyHex));
  division = sb.sandbox.divisions[0]!.code;
});
afterAll(async () => {
  await db.drop();
  await sb.close();
});

describe('documents', () => {
  it('creates, finds by subject, updates, and upserts (create when none, update when one, ambiguous when several)', async () => {
    const subject = `Invoice ${randomBytes(3).toString('hex')}`;
    const made = await createDocument(client, division, { Subject: subject, Type: 10, DocumentDate: '2026-06-25' });
    expect(made.Subject).toBe(subject);
    expect((await findOne(client, division, subject)).ID).toBe(made.ID);
    const updated = await updateDocument(client, division, String(made.ID), { Body: 'Paid' });
    expect(updated.Body).toBe('Paid');
    const up1 = await upsertDocument(client, division, { Subject: subject, Type: 10, Body: 'Paid twice' });
    expect(up1).toMatchObject({ action: 'updated', document: { ID: made.ID, Body: 'Paid twice' } });
    const other = `Other ${randomBytes(3).toString('hex')}`;
    expect((await upsertDocument(client, division, { Subject: other, Type: 10 })).action).toBe('created');
    await createDocument(client, division, { Subject: other, Type: 10 });
    await expect(upsertDocument(client, division, { Subject: other, Type: 10 })).rejects.toMatchObject({
      code: 'ambiguous_match',
      message: expect.stringMatching(/2 documents .* [0-9a-f-]{36}, [0-9a-f-]{36}/),
    });
    await expect(findOne(client, division, 'No such subject')).rejects.toMatchObject({ code: 'document_not_found' });
    await expect(
      updateDocument(client, division, '00000000-0000-0000-0000-000000000001', { Body: 'x' }),
    ).rejects.toMatchObject({ code: 'document_not_found' });
    await expect(updateDocument(client, division, 'not-a-guid', { Body: 'x' })).rejects.toMatchObject({
      code: 'invalid_id',
    });
  });

  it('a create whose answer is lost is not sent twice: the document is found and returned', async () => {
    const subject = `Lost answer ${randomBytes(3).toString('hex')}`;
    let dropped = false;
    // The request reaches Exact and is carried out; the answer never arrives.
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method === 'POST' && !dropped) {
        dropped = true;
        throw new TypeError('fetch failed: socket hang up');
      }
      return res;
    };
    const posts = () =>
      sb.sandbox.calls.filter((c) => c.method === 'POST' && c.path.includes('documents/Documents')).length;
    const postsBefore = posts();
    const flaky = new ExactClient({
      baseUrl: sb.url,
      clientId: APP.clientId,
      tokens: tokens.source(connectionId),
      pacer: new Pacer(),
      fetch: lossy,
    });
    const made = await createDocument(flaky, division, { Subject: subject, Type: 10 });
    expect(dropped).toBe(true);
    // Exactly one document has the subject (findOne refuses two), and it is the one returned.
    expect((await findOne(client, division, subject)).ID).toBe(made.ID);
    // And it was posted once: the lost answer led to a look-up, not a second POST.
    expect(posts() - postsBefore).toBe(1);
  });
});

describe('attachments', () => {
  it('adds a file to a document, finds it by name and by ID, refuses a second one of the same name', async () => {
    const doc = await createDocument(client, division, {
      Subject: `With file ${randomBytes(3).toString('hex')}`,
      Type: 10,
    });
    const added = await addAttachment(client, division, String(doc.ID), 'invoice.pdf', Buffer.from('%PDF-1.4 hello'));
    expect(added).toMatchObject({ FileName: 'invoice.pdf', Document: doc.ID });
    expect((await findAttachment(client, division, String(doc.ID), { fileName: 'invoice.pdf' })).ID).toBe(added.ID);
    expect((await findAttachment(client, division, String(doc.ID), { id: String(added.ID) })).FileName).toBe(
      'invoice.pdf',
    );
    await expect(
      addAttachment(client, division, String(doc.ID), 'invoice.pdf', Buffer.from('again')),
    ).rejects.toMatchObject({ code: 'attachment_exists' });
    await expect(findAttachment(client, division, String(doc.ID), { fileName: 'nope.pdf' })).rejects.toMatchObject({
      code: 'attachment_not_found',
    });
  });

  it('refuses bad base64 and an oversized file before sending anything', async () => {
    expect(() => decodeBase64('not base64!')).toThrow(expect.objectContaining({ code: 'invalid_base64' }));
    expect(() => decodeBase64('abc')).toThrow(expect.objectContaining({ code: 'invalid_base64' }));
    expect(decodeBase64('aGVs\nbG8=').toString()).toBe('hello');
    const before = sb.sandbox.calls.length;
    await expect(
      addAttachment(
        client,
        division,
        '9d648f77-9556-48b5-a701-fdcfa88f177f',
        'big.bin',
        Buffer.alloc(MAX_ATTACHMENT_BYTES + 1),
      ),
    ).rejects.toMatchObject({ code: 'attachment_too_large' });
    expect(sb.sandbox.calls.length).toBe(before);
  });
});
