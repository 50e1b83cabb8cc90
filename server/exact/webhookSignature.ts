import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookEvent } from '../state/types.ts';

export type { WebhookEvent };

/**
 * Exact's webhook deliveries and their signature (docs/exact-webhooks.md, §3 and §4):
 * - the body is `{"Content":{Topic, ClientId, Division, Action, Key, ExactOnlineEndpoint, EventCreatedOn},
 *   "HashCode":"…"}`, one event per POST;
 * - `HashCode` is HMAC-SHA256 of the `Content` JSON exactly as received (braces included), keyed with the
 *   app's webhook secret, as 64 upper-case hex characters. There is no signature header and no nonce.
 * The signed text is found by reading the raw body, never by serialising the parsed object again.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** HashCode of a Content text: HMAC-SHA256 with the webhook secret, upper-case hex. */
export function webhookHash(content: string, secret: string): string {
  return createHmac('sha256', secret).update(content, 'utf8').digest('hex').toUpperCase();
}

/**
 * The `Content` object's text as it stands in the body: from the `{` after `"Content":` to its matching
 * `}`, counted outside strings (so braces inside values do not end it). Undefined when the body does not
 * start that way or the object never closes.
 */
export function contentText(body: string): string | undefined {
  const head = /^\s*\{\s*"Content"\s*:\s*/.exec(body);
  if (!head || body[head[0].length] !== '{') return undefined;
  const start = head[0].length;
  let depth = 0;
  let inString = false;
  for (let i = start; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return body.slice(start, i + 1);
  }
  return undefined;
}

export type Verified = { ok: true; event: WebhookEvent } | { ok: false; why: string };

/** Checks a delivery's HashCode against the secret (constant time), then its fields. Nothing is trusted before. */
export function verifyWebhook(body: string, secret: string): Verified {
  const content = contentText(body);
  if (content === undefined) return { ok: false, why: 'the body is not {"Content":{…},"HashCode":"…"}' };
  let parsed: { HashCode?: unknown };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    return { ok: false, why: 'the body is not JSON' };
  }
  if (typeof parsed.HashCode !== 'string' || !/^[0-9a-fA-F]{64}$/.test(parsed.HashCode))
    return { ok: false, why: 'HashCode is missing or not 64 hex characters' };
  const want = Buffer.from(webhookHash(content, secret), 'ascii');
  const got = Buffer.from(parsed.HashCode.toUpperCase(), 'ascii');
  if (!timingSafeEqual(want, got))
    return { ok: false, why: 'HashCode does not match the body (wrong secret, or altered)' };
  // The event is read from the signed text itself: a body with a second "Content" member after it (which
  // JSON.parse would take) cannot slip an unsigned event in.
  const c = JSON.parse(content) as Record<string, unknown>;
  const event = {
    topic: c.Topic,
    clientId: c.ClientId,
    division: c.Division,
    action: c.Action,
    key: c.Key,
    endpoint: c.ExactOnlineEndpoint,
    eventCreatedOn: c.EventCreatedOn,
  };
  if (
    typeof event.topic !== 'string' ||
    typeof event.clientId !== 'string' ||
    !Number.isSafeInteger(event.division) ||
    (event.action !== 'Update' && event.action !== 'Delete') ||
    typeof event.key !== 'string' ||
    !GUID.test(event.key) ||
    typeof event.endpoint !== 'string' ||
    typeof event.eventCreatedOn !== 'string'
  )
    return { ok: false, why: 'a signed event without the fields Exact sends (Topic, Division, Action, Key, …)' };
  return { ok: true, event: event as WebhookEvent };
}

/** A delivery as Exact makes one: compact Content, then its HashCode (for the sandbox and tests). */
export function signedDelivery(event: WebhookEvent, secret: string): string {
  const content = JSON.stringify({
    Topic: event.topic,
    ClientId: event.clientId,
    Division: event.division,
    Action: event.action,
    Key: event.key,
    ExactOnlineEndpoint: event.endpoint,
    EventCreatedOn: event.eventCreatedOn,
  });
  return `{"Content":${content},"HashCode":"${webhookHash(content, secret)}"}`;
}
