import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedDelivery, type WebhookEvent } from '../../server/exact/webhookSignature.ts';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Receiving Exact's webhook deliveries (issue 23): the empty validation POST, signatures checked on the
 * raw bytes, forgeries refused and logged without their body, events stored once however often delivered.
 */

const SECRET = 'test-webhook-secret';
let sb: RunningSandbox;
let t: TestServer;
let off: TestServer;

beforeAll(async () => {
  sb = await sandboxForFile({ divisions: 1, scale: 50 });
  t = await startTestServer('webhooks', sb, { EXACT_WEBHOOK_SECRET: SECRET });
  off = await startTestServer('webhooks_off', sb);
}, 60_000);
afterAll(async () => {
  await t?.close();
  await off?.close();
  await sb?.close();
});

const event = (over: Partial<WebhookEvent> = {}): WebhookEvent => {
  const key = over.key ?? randomUUID();
  return {
    topic: 'GLAccounts',
    clientId: 'c0ffee00-0000-4000-8000-000000000001',
    division: 101,
    action: 'Update',
    key,
    endpoint: `https://start.exactonline.nl/api/v1/101/financial/GLAccounts(guid'${key}')`,
    eventCreatedOn: '2026-11-29T10:15:00.123',
    ...over,
  };
};
const post = (server: TestServer, body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/webhooks/exact`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body,
  });
const stored = async (key: string) =>
  (
    await t.db.pool.query('SELECT topic, action, division, deliveries FROM exact_sync.webhook_events WHERE key = $1', [
      key,
    ])
  ).rows;

describe('POST /webhooks/exact', () => {
  it("answers Exact's empty validation POST with 200, without a key, even before a secret is set", async () => {
    for (const server of [t, off]) {
      const res = await fetch(`${server.url}/webhooks/exact`, { method: 'POST' });
      expect(res.status).toBe(200);
    }
    expect((await post(t, '')).status).toBe(200);
  });

  it('stores a signed event before answering 200; a repeat delivery is the same row, counted', async () => {
    const e = event();
    const body = signedDelivery(e, SECRET);
    const first = await post(t, body);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true, duplicate: false });
    expect(await stored(e.key)).toEqual([{ topic: 'GLAccounts', action: 'Update', division: 101, deliveries: 1 }]);
    const again = await post(t, body);
    expect(await again.json()).toEqual({ ok: true, duplicate: true });
    expect(await stored(e.key)).toEqual([{ topic: 'GLAccounts', action: 'Update', division: 101, deliveries: 2 }]);
    // The same record deleted later is another event.
    await post(t, signedDelivery({ ...e, action: 'Delete', eventCreatedOn: '2026-11-29T10:16:00' }, SECRET));
    expect((await stored(e.key)).map((r) => r.action).sort()).toEqual(['Delete', 'Update']);
  });

  it('refuses a forged or altered delivery with 401, stores nothing, and logs it without the body', async () => {
    const e = event({ topic: 'Items' });
    const forged = signedDelivery(e, 'not the secret');
    const altered = signedDelivery(e, SECRET).replace('"Update"', '"Delete"');
    for (const body of [forged, altered, '{"Content":{}}', 'x'.repeat(100)]) {
      const res = await post(t, body);
      expect(res.status, body.slice(0, 40)).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('webhook_unverified');
    }
    expect(await stored(e.key)).toEqual([]);
    const refusals = t.logs.filter((l) => l.includes('webhook delivery refused'));
    expect(refusals.length).toBeGreaterThanOrEqual(4);
    for (const l of refusals) expect(l).not.toContain(e.key);
  });

  it('refuses a body past 64 KB with 413, and says so without a secret rather than accept anything', async () => {
    const big = await post(t, `{"Content":{"Topic":"${'x'.repeat(70_000)}"},"HashCode":"00"}`);
    expect(big.status).toBe(413);
    const e = event();
    const res = await post(off, signedDelivery(e, SECRET));
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('EXACT_WEBHOOK_SECRET');
    const { rows } = await off.db.pool.query('SELECT count(*)::int AS n FROM exact_sync.webhook_events');
    expect(rows[0].n).toBe(0);
  });

  it('takes any content type: the signature is over the bytes', async () => {
    const e = event();
    const res = await post(t, signedDelivery(e, SECRET), { 'Content-Type': 'text/plain' });
    expect(res.status).toBe(200);
    expect(await stored(e.key)).toHaveLength(1);
  });
});
