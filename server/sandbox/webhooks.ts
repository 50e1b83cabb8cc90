import { createHmac, randomUUID } from 'node:crypto';

/**
 * Exact's webhooks in the sandbox, each rule from docs/exact-online.md 14 (strictest where unclear):
 * - 14.1 one subscription per division and topic; a second answers 500 "Data already exists"; the app
 *   needs the Organization administration scope (else 403 "Application Scope Violated"); the callback
 *   must be HTTPS (`allowHttp` lets a local demo or test through);
 * - 14.2 an empty-body POST to the callback first; anything but 200 fails the subscription with 500
 *   "Invalid: Post to callback URL endpoint returns <status>";
 * - 14.3 one event per POST, `{"Content":{…},"HashCode":"…"}`, Update for creates and changes, Delete
 *   when the record is gone; a header topic also reports its lines (with the line's key);
 * - 14.4 HashCode: HMAC-SHA256 of the Content text with the app's webhook secret, upper-case hex;
 * - 14.5 at least once: a delivery that does not get a 2xx is retried 10 times, waiting 2^n units
 *   (`retryUnitMs`; minutes at Exact, shortened here), no order promised. `duplicate` and `reorder` make
 *   the sandbox send every event twice, or hold events back and send them newest first.
 */

export interface WebhookOptions {
  secret: string;
  allowHttp: boolean;
  /** The app was given the Organization administration scope. */
  scope: boolean;
  retryUnitMs: number;
  duplicate: boolean;
  reorder: boolean;
}

export interface Subscription {
  ID: string;
  Division: number;
  Topic: string;
  CallbackURL: string;
  ClientID: string;
  Created: number;
}

/** The topic an entity's changes are reported under (a line entity: its header's). */
const TOPIC_OF_ENTITY: Record<string, string> = {
  Accounts: 'Accounts',
  Contacts: 'Contacts',
  GLAccounts: 'GLAccounts',
  Items: 'Items',
  Documents: 'Documents',
  DocumentAttachments: 'DocumentAttachments',
  SalesInvoices: 'SalesInvoices',
  SalesInvoiceLines: 'SalesInvoices',
  SalesOrders: 'SalesOrders',
  SalesOrderLines: 'SalesOrders',
  PurchaseOrders: 'PurchaseOrders',
  PurchaseOrderLines: 'PurchaseOrders',
  GoodsDeliveries: 'GoodsDeliveries',
  GoodsDeliveryLines: 'GoodsDeliveries',
  SalesEntries: 'SalesEntries',
  PurchaseEntries: 'PurchaseEntries',
  Subscriptions: 'Subscriptions',
  SubscriptionLines: 'Subscriptions',
};

export class SandboxWebhooks {
  readonly subscriptions: Subscription[] = [];
  /** Where the sandbox answers (set when it listens): the base of each event's ExactOnlineEndpoint. */
  baseUrl = 'http://127.0.0.1';
  /** Every POST made to a callback (validation and deliveries), for tests. */
  readonly posts: { url: string; body: string; status: number | 'failed' }[] = [];
  private readonly held: { sub: Subscription; body: string }[] = [];
  private readonly options: WebhookOptions;
  private readonly now: () => number;

  constructor(options: WebhookOptions, now: () => number) {
    this.options = options;
    this.now = now;
  }

  /** POST WebhookSubscriptions: the answer's status and body (Exact's error text when refused). */
  async subscribe(
    division: number,
    clientId: string,
    body: { Topic?: unknown; CallbackURL?: unknown },
  ): Promise<{ status: number; error?: string; subscription?: Subscription }> {
    if (!this.options.scope)
      return {
        status: 403,
        error: "Forbidden - Application Scope Violated. Cannot read 'organization.administration' scope.",
      };
    if (typeof body.Topic !== 'string' || typeof body.CallbackURL !== 'string')
      return { status: 400, error: 'Mandatory: Topic, CallbackURL' };
    let url: URL;
    try {
      url = new URL(body.CallbackURL);
    } catch {
      return { status: 400, error: `Invalid: CallbackURL '${body.CallbackURL}'` };
    }
    if (url.protocol !== 'https:' && !(this.options.allowHttp && url.protocol === 'http:'))
      return { status: 500, error: 'Invalid: Callback URL must use https' };
    if (this.subscriptions.some((s) => s.Division === division && s.Topic === body.Topic))
      return { status: 500, error: 'Data already exists' };
    const check = await this.post(body.CallbackURL, '');
    if (check !== 200)
      return {
        status: 500,
        error: `Invalid: Post to callback URL endpoint returns ${check === 'failed' ? 'an error' : check}`,
      };
    const subscription: Subscription = {
      ID: randomUUID(),
      Division: division,
      Topic: body.Topic,
      CallbackURL: body.CallbackURL,
      ClientID: clientId,
      Created: this.now(),
    };
    this.subscriptions.push(subscription);
    return { status: 201, subscription };
  }

  list(division: number, clientId: string): Subscription[] {
    return this.subscriptions.filter((s) => s.Division === division && s.ClientID === clientId);
  }

  remove(division: number, id: string): boolean {
    const i = this.subscriptions.findIndex((s) => s.Division === division && s.ID === id.toLowerCase());
    if (i < 0) return false;
    this.subscriptions.splice(i, 1);
    return true;
  }

  /** A record changed in the sandbox: each subscription of its topic gets a signed event. */
  notify(division: number, entityName: string, action: 'Update' | 'Delete', key: string, endpoint: string): void {
    const topic = TOPIC_OF_ENTITY[entityName];
    if (!topic) return;
    const created = new Date(this.now()).toISOString().replace('Z', '').slice(0, 23);
    for (const sub of this.subscriptions.filter((s) => s.Division === division && s.Topic === topic)) {
      // Written here from the reference, not with exact-sync's own code, so a mistake there shows.
      const content = JSON.stringify({
        Topic: topic,
        ClientId: sub.ClientID,
        Division: division,
        Action: action,
        Key: key,
        ExactOnlineEndpoint: endpoint,
        EventCreatedOn: created,
      });
      const hash = createHmac('sha256', this.options.secret).update(content).digest('hex').toUpperCase();
      const body = `{"Content":${content},"HashCode":"${hash}"}`;
      if (this.options.reorder) this.held.push({ sub, body });
      else this.deliver(sub, body, 0);
      if (this.options.duplicate) this.deliver(sub, body, 0);
    }
  }

  /** With `reorder`: sends what was held back, newest first. */
  flush(): void {
    for (const h of this.held.splice(0).reverse()) this.deliver(h.sub, h.body, 0);
  }

  private deliver(sub: Subscription, body: string, attempt: number): void {
    void this.post(sub.CallbackURL, body).then((status) => {
      if (typeof status === 'number' && status >= 200 && status < 300) return;
      if (attempt >= 10 || !this.subscriptions.includes(sub)) return;
      const wait = this.options.retryUnitMs * 2 ** (attempt + 1);
      setTimeout(() => this.deliver(sub, body, attempt + 1), wait).unref();
    });
  }

  private async post(url: string, body: string): Promise<number | 'failed'> {
    let status: number | 'failed';
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: body ? { 'Content-Type': 'application/json' } : {},
        body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      status = 'failed';
    }
    this.posts.push({ url, body, status });
    return status;
  }
}
