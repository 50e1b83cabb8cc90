import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../server/exact/webhookSignature.ts';
import { SANDBOX_WEBHOOK_SECRET, type RunningSandbox } from '../../server/sandbox/index.ts';
import { api, authorize, sandboxForFile } from '../helpers/sandbox.ts';

/**
 * The sandbox's own webhook rules (docs/exact-online.md 14), checked against a callback server of the
 * test's and verified with exact-sync's verifier (written separately from the sandbox's signer).
 */

let sb: RunningSandbox;
let strict: RunningSandbox;
let token: string;
let division: number;
let callback: http.Server;
let callbackUrl: string;
/** What the callback answers next (a queue; then 200). */
const answers: number[] = [];
const received: string[] = [];

beforeAll(async () => {
  callback = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(body);
      res.statusCode = answers.shift() ?? 200;
      res.end();
    });
  });
  await new Promise<void>((r) => callback.listen(0, '127.0.0.1', r));
  callbackUrl = `http://127.0.0.1:${(callback.address() as AddressInfo).port}/hook`;
  sb = await sandboxForFile({
    divisions: 1,
    scale: 50,
    autoApprove: true,
    limits: false,
    webhooks: { allowHttp: true, retryUnitMs: 20 },
  });
  strict = await sandboxForFile({ divisions: 1, scale: 50, autoApprove: true, limits: false });
  token = (await authorize(sb)).access_token;
  division = sb.sandbox.divisions[0]!.code;
});
afterAll(async () => {
  await sb?.close();
  await strict?.close();
  callback?.close();
});

const subscribe = (on: RunningSandbox, bearer: string, topic: string, url = callbackUrl) =>
  api(on, bearer, `/api/v1/${on.sandbox.divisions[0]!.code}/webhooks/WebhookSubscriptions`, {
    method: 'POST',
    body: JSON.stringify({ Topic: topic, CallbackURL: url }),
  });
const wait = (n: number) =>
  expect.poll(() => received.length, { timeout: 10_000, interval: 20 }).toBeGreaterThanOrEqual(n);

describe('sandbox webhooks', () => {
  it('posts an empty body to the callback before it subscribes; a callback that fails it refuses the subscription', async () => {
    received.length = 0;
    answers.push(503);
    const refused = await subscribe(sb, token, 'Items');
    expect(refused.status).toBe(500);
    expect(refused.text).toContain('Invalid: Post to callback URL endpoint returns 503');
    const made = await subscribe(sb, token, 'GLAccounts');
    expect(made.status).toBe(201);
    expect(made.body.d).toMatchObject({ Topic: 'GLAccounts', Division: division, CallbackURL: callbackUrl });
    expect(received).toEqual(['', '']);
  });

  it('refuses a second subscription of a division and topic with "Data already exists", and lists and removes its own', async () => {
    const again = await subscribe(sb, token, 'GLAccounts');
    expect(again.status).toBe(500);
    expect(again.text).toContain('Data already exists');
    const list = await api(sb, token, `/api/v1/${division}/webhooks/WebhookSubscriptions`);
    expect(list.body.d.results.map((s: { Topic: string }) => s.Topic)).toEqual(['GLAccounts']);
  });

  it('sends a signed event for a change of a subscribed topic, and a Delete when the record is gone', async () => {
    received.length = 0;
    const id = String(sb.sandbox.table(division, 'GLAccounts').get(0)!.ID);
    sb.sandbox.update(division, 'GLAccounts', id, { Description: 'Changed' });
    await wait(1);
    const verified = verifyWebhook(received[0]!, SANDBOX_WEBHOOK_SECRET);
    expect(verified).toMatchObject({ ok: true, event: { topic: 'GLAccounts', action: 'Update', key: id, division } });
    if (!verified.ok) return;
    expect(verified.event.endpoint).toBe(`${sb.url}/api/v1/${division}/financial/GLAccounts(guid'${id}')`);
    expect(verified.event.eventCreatedOn).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/);
    // Another topic's change is not sent.
    sb.sandbox.update(division, 'Accounts', String(sb.sandbox.table(division, 'Accounts').get(0)!.ID), { Name: 'x' });
    sb.sandbox.remove(division, 'GLAccounts', id);
    await wait(2);
    expect(received).toHaveLength(2);
    expect(verifyWebhook(received[1]!, SANDBOX_WEBHOOK_SECRET)).toMatchObject({
      ok: true,
      event: { action: 'Delete', key: id },
    });
  });

  it('retries a delivery that did not get a 2xx, with growing waits, until it does', async () => {
    received.length = 0;
    answers.push(500, 503);
    const id = String(sb.sandbox.table(division, 'GLAccounts').get(1)!.ID);
    sb.sandbox.update(division, 'GLAccounts', id, { Description: 'Again' });
    await wait(3);
    expect(new Set(received).size).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toHaveLength(3);
  });

  it('stops sending once the subscription is removed', async () => {
    const list = await api(sb, token, `/api/v1/${division}/webhooks/WebhookSubscriptions`);
    const id = list.body.d.results[0].ID as string;
    const removed = await api(sb, token, `/api/v1/${division}/webhooks/WebhookSubscriptions(guid'${id}')`, {
      method: 'DELETE',
    });
    expect(removed.status).toBe(204);
    received.length = 0;
    sb.sandbox.update(division, 'GLAccounts', String(sb.sandbox.table(division, 'GLAccounts').get(2)!.ID), {
      Description: 'Unheard',
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toEqual([]);
  });

  it('is strict by default: an http callback is refused', async () => {
    const strictToken = (await authorize(strict)).access_token;
    const res = await subscribe(strict, strictToken, 'GLAccounts');
    expect(res.status).toBe(500);
    expect(res.text).toContain('https');
  });

  it("refuses an app without the Organization administration scope with 403, in Exact's words", async () => {
    const scoped = await sandboxForFile({
      divisions: 1,
      scale: 50,
      autoApprove: true,
      limits: false,
      webhooks: { allowHttp: true, scope: false },
    });
    try {
      const res = await subscribe(scoped, (await authorize(scoped)).access_token, 'GLAccounts');
      expect(res.status).toBe(403);
      expect(res.text).toContain('Application Scope Violated');
    } finally {
      await scoped.close();
    }
  });
});
