import { describe, expect, it } from 'vitest';
import {
  contentText,
  signedDelivery,
  verifyWebhook,
  webhookHash,
  type WebhookEvent,
} from '../../server/exact/webhookSignature.ts';

/** Exact's webhook signature as docs/exact-webhooks.md §3–§4 describes it. */

const secret = 'app-webhook-secret';
const event: WebhookEvent = {
  topic: 'Items',
  clientId: '78c73eec-2882-459d-b3f4-83a21a49591a',
  division: 2256995,
  action: 'Update',
  key: 'dbc9f824-02bc-4eac-84b7-ff29a25fc828',
  endpoint: "https://start.exactonline.nl/api/v1/2256995/logistics/Items(guid'dbc9f824-02bc-4eac-84b7-ff29a25fc828')",
  eventCreatedOn: '2018-08-10T13:14:50.07',
};

describe('webhook signature', () => {
  it('is HMAC-SHA256 of the Content text, braces included, as 64 upper-case hex', () => {
    const body = signedDelivery(event, secret);
    const content = contentText(body)!;
    expect(content.startsWith('{"Topic":"Items"')).toBe(true);
    expect(content.endsWith('"EventCreatedOn":"2018-08-10T13:14:50.07"}')).toBe(true);
    expect(webhookHash(content, secret)).toMatch(/^[0-9A-F]{64}$/);
    expect(JSON.parse(body).HashCode).toBe(webhookHash(content, secret));
    expect(verifyWebhook(body, secret)).toEqual({ ok: true, event });
  });

  it('takes the Content text as received: spacing and escaped slashes are signed as they are', () => {
    const content = JSON.stringify({
      Topic: event.topic,
      ClientId: event.clientId,
      Division: event.division,
      Action: 'Delete',
      Key: event.key,
      ExactOnlineEndpoint: event.endpoint,
      EventCreatedOn: event.eventCreatedOn,
    })
      .replace(/\//g, '\\/')
      .replace(/,/g, ', ');
    const body = ` { "Content" : ${content}, "HashCode": "${webhookHash(content, secret).toLowerCase()}" }\n`;
    const verified = verifyWebhook(body, secret);
    expect(verified).toMatchObject({ ok: true, event: { action: 'Delete', endpoint: event.endpoint } });
  });

  it('finds the end of Content past braces and quotes inside its strings', () => {
    expect(contentText('{"Content":{"a":"}{\\"}","b":{"c":1}},"HashCode":"x"}')).toBe('{"a":"}{\\"}","b":{"c":1}}');
    expect(contentText('{"HashCode":"x","Content":{}}')).toBeUndefined();
    expect(contentText('{"Content":{"a":1')).toBeUndefined();
    expect(contentText('')).toBeUndefined();
  });

  it.each([
    ['a wrong secret', signedDelivery(event, 'another secret')],
    ['an altered Content', signedDelivery(event, secret).replace('"Update"', '"Delete"')],
    [
      'an altered HashCode',
      signedDelivery(event, secret).replace(/"HashCode":"(.)/, (_m, c) => `"HashCode":"${c === 'A' ? 'B' : 'A'}`),
    ],
    ['no HashCode', signedDelivery(event, secret).replace(/,"HashCode":"[0-9A-F]+"/, '')],
    ['a short HashCode', signedDelivery(event, secret).replace(/"HashCode":"[0-9A-F]{2}/, '"HashCode":"')],
    ['not JSON', '{"Content":{"Topic":"Items"},"HashCode":"AB'],
    ['something else', '{"hello":"world"}'],
  ])('refuses %s', (_what, body) => {
    const verified = verifyWebhook(body, secret);
    expect(verified.ok).toBe(false);
  });

  it('reads the event from the signed text: a second, unsigned Content after it changes nothing', () => {
    const body = signedDelivery(event, secret).replace(
      ',"HashCode"',
      `,"Content":${JSON.stringify({ ...event, action: 'Delete' })},"HashCode"`,
    );
    expect(verifyWebhook(body, secret)).toEqual({ ok: true, event });
  });

  it('refuses a signed event that lacks what Exact sends', () => {
    const content = JSON.stringify({ Topic: 'Items', Division: 'x', Action: 'Create', Key: 'nope' });
    const body = `{"Content":${content},"HashCode":"${webhookHash(content, secret)}"}`;
    expect(verifyWebhook(body, secret)).toMatchObject({ ok: false, why: expect.stringContaining('fields') });
  });
});
