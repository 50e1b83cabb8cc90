import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_WEBHOOK_SECRET, type RunningSandbox } from '../../server/sandbox/index.ts';
import { divisionSchedules } from '../../server/schedule/schedules.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { apiCall, connectAndSync, keys, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertWarehouseEqualsSandbox } from '../helpers/syncSetup.ts';

/**
 * Near-real-time end to end (issue 23): exact-sync subscribes at the sandbox, the sandbox validates the
 * callback and then sends its own signed events when data changes there; nothing is posted by the test.
 */

let sb: RunningSandbox;
let t: TestServer;
let admin: string;
let connection: number;
let division: number;

beforeAll(async () => {
  // The sandbox calls back over plain HTTP (a local stand-in; real Exact only HTTPS), retrying fast.
  sb = await sandboxForFile({
    divisions: 2,
    scale: 200,
    autoApprove: true,
    limits: false,
    webhooks: { allowHttp: true, retryUnitMs: 50 },
  });
  t = await startTestServer('webhook_subscribe', sb, {
    EXACT_WEBHOOK_SECRET: SANDBOX_WEBHOOK_SECRET,
    // Each change acted on at once: these tests are about subscribing and delivery, not spacing.
    WEBHOOK_MIN_INTERVAL_SECONDS: '0',
  });
  admin = (await keys(t)).admin;
  connection = await connectAndSync(t, admin);
  division = sb.sandbox.divisions[0]!.code;
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sb?.close();
});

const description = async (id: string) =>
  (await t.db.pool.query('SELECT description FROM exact_online.glaccounts WHERE id = $1', [id])).rows[0]?.description;
const glAccount = (i: number) => String(sb.sandbox.table(division, 'GLAccounts').get(i)!.ID);
// A division busy when its events came keeps them for the minute tick: allow for one.
const soon = { timeout: 90_000, interval: 100 };

describe('near-real-time through webhooks', { timeout: 200_000 }, () => {
  it('subscribes each selected division to the topics of its synced tables, and adopts them when asked again', async () => {
    const on = await apiCall(t, admin, 'PUT', `/connections/${connection}/webhooks`, { enabled: true });
    expect(on.status, JSON.stringify(on.body)).toBe(200);
    expect(on.body.topics).toContain('GLAccounts');
    expect(on.body).toMatchObject({ divisions: 2, made: on.body.topics.length * 2, adopted: 0 });
    expect(sb.sandbox.webhooks.subscriptions).toHaveLength(on.body.made);
    // Exact's check of the callback came first, and was answered.
    expect(sb.sandbox.webhooks.posts.filter((p) => p.body === '').every((p) => p.status === 200)).toBe(true);
    const again = await apiCall(t, admin, 'PUT', `/connections/${connection}/webhooks`, { enabled: true });
    expect(again.body).toMatchObject({ made: 0, adopted: on.body.made });
    expect(sb.sandbox.webhooks.subscriptions).toHaveLength(on.body.made);
    // The schedule becomes a safety net for the tables webhooks cover; the others poll as before.
    const frequency = async (table: string) =>
      (await divisionSchedules(t.db.pool, { connectionId: connection }))[0]!.tables.find((x) => x.name === table)!
        .frequencyMinutes;
    expect(await frequency('glaccounts')).toBe(24 * 60);
    expect(await frequency('vatcodes')).toBe(360);
    const state = await apiCall(t, admin, 'GET', `/connections/${connection}/webhooks`);
    expect(state.body).toMatchObject({ enabled: true, safetyNetHours: 24, callbackUrl: `${t.url}/webhooks/exact` });
    expect(state.body.subscriptions).toHaveLength(on.body.made);
    // The calls it saves: the schedule polled every table every 6 hours; now the covered ones once a day.
    const calls = state.body.calls;
    expect(calls.pollingPerDay).toBeGreaterThan(calls.safetyNetPerDay);
    expect(calls.savedPerDay).toBe(calls.pollingPerDay - calls.safetyNetPerDay - calls.webhookRunsLastDay);
    // A shorter safety net: the covered tables poll every 6 hours, their own frequency, and save nothing.
    const net = await apiCall(t, admin, 'PUT', `/connections/${connection}/webhooks`, {
      enabled: true,
      safetyNetHours: 2,
    });
    expect(net.body).toMatchObject({ enabled: true, safetyNetHours: 2 });
    expect(await frequency('glaccounts')).toBe(360);
    const bad = await apiCall(t, admin, 'PUT', `/connections/${connection}/webhooks`, {
      enabled: true,
      safetyNetHours: 0,
    });
    expect(bad.status).toBe(400);
    const back = await apiCall(t, admin, 'PUT', `/connections/${connection}/webhooks`, {
      enabled: true,
      safetyNetHours: 24,
    });
    expect(back.body.safetyNetHours).toBe(24);
    expect(await frequency('glaccounts')).toBe(24 * 60);
  });

  it('follows the selection: a division or table dropped loses its subscriptions at Exact, one chosen gets them', async () => {
    const all = sb.sandbox.webhooks.subscriptions.length;
    const [first, second] = sb.sandbox.divisions.map((d) => d.code);
    const at = (code: number) => sb.sandbox.webhooks.subscriptions.filter((x) => x.Division === code).length;
    const selected = await apiCall(t, admin, 'PUT', `/connections/${connection}/divisions`, {
      mode: 'selected',
      divisions: [first],
    });
    expect(selected.status, JSON.stringify(selected.body)).toBe(200);
    await t.server.services.sync.keepSubscriptionsInStep();
    expect(at(second!)).toBe(0);
    expect(at(first!)).toBe(all / 2);
    // Items no longer synced: its topic goes too; nothing else changes.
    await apiCall(t, admin, 'PATCH', `/connections/${connection}/tables/items`, { enabled: false });
    await t.server.services.sync.keepSubscriptionsInStep();
    expect(sb.sandbox.webhooks.subscriptions.map((x) => x.Topic)).not.toContain('Items');
    expect(at(first!)).toBe(all / 2 - 1);
    // In step: no call to Exact.
    const calls = sb.sandbox.calls.length;
    await t.server.services.sync.keepSubscriptionsInStep();
    expect(sb.sandbox.calls.length).toBe(calls);
    await apiCall(t, admin, 'PATCH', `/connections/${connection}/tables/items`, { enabled: true });
    await apiCall(t, admin, 'PUT', `/connections/${connection}/divisions`, { mode: 'all' });
    await t.server.services.sync.keepSubscriptionsInStep();
    expect(sb.sandbox.webhooks.subscriptions).toHaveLength(all);
    expect((await apiCall(t, admin, 'GET', `/connections/${connection}/webhooks`)).body.subscriptions).toHaveLength(
      all,
    );
  });

  it('brings a change made in Exact into the warehouse through the webhook alone', async () => {
    const id = glAccount(0);
    sb.sandbox.update(division, 'GLAccounts', id, { Description: 'Live from Exact' });
    await expect.poll(() => description(id), soon).toBe('Live from Exact');
    const removed = glAccount(1);
    const calls = sb.sandbox.calls.length;
    sb.sandbox.remove(division, 'GLAccounts', removed);
    await expect.poll(() => description(removed), soon).toBeUndefined();
    // The delete cost no call to Exact.
    expect(sb.sandbox.calls.length).toBe(calls);
    // How long changes took to be in the warehouse, from their arrival.
    const { events } = (await apiCall(t, admin, 'GET', `/connections/${connection}/webhooks`)).body;
    expect(events.lastDay).toBeGreaterThanOrEqual(2);
    expect(events.lagSeconds.median).toBeGreaterThan(0);
    expect(events.lagSeconds.p95).toBeGreaterThanOrEqual(events.lagSeconds.median);
    expect(events.lagSeconds.p95).toBeLessThan(120);
  });

  it("loses nothing while the callback is down: Exact's retries deliver once it is back", async () => {
    const services = t.server.services;
    const secret = services.app.webhookSecret;
    // Without its secret the route answers 503 (as a server being restarted would fail), so Exact retries.
    services.app.webhookSecret = undefined;
    const id = glAccount(2);
    sb.sandbox.update(division, 'GLAccounts', id, { Description: 'Sent while down' });
    await expect.poll(() => sb.sandbox.webhooks.posts.some((p) => p.status === 503), soon).toBe(true);
    services.app.webhookSecret = secret;
    await expect.poll(() => description(id), soon).toBe('Sent while down');
    await expect
      .poll(
        async () =>
          (await t.db.pool.query('SELECT 1 FROM exact_sync.webhook_events WHERE processed_at IS NULL')).rowCount,
        soon,
      )
      .toBe(0);
    await assertWarehouseEqualsSandbox(t.db.pool, sb, division, ['glaccounts']);
  });

  it('removes the subscriptions at Exact while the connection is paused, and makes them again on resume', async () => {
    const made = sb.sandbox.webhooks.subscriptions.length;
    expect(made).toBeGreaterThan(0);
    expect((await apiCall(t, admin, 'PATCH', `/connections/${connection}`, { enabled: false })).status).toBe(200);
    expect(sb.sandbox.webhooks.subscriptions).toEqual([]);
    expect((await apiCall(t, admin, 'GET', `/connections/${connection}/webhooks`)).body.enabled).toBe(true);
    expect((await apiCall(t, admin, 'PATCH', `/connections/${connection}`, { enabled: true })).status).toBe(200);
    expect(sb.sandbox.webhooks.subscriptions).toHaveLength(made);
  });

  it('explains a missing scope in words, and removes the subscriptions when turned off', async () => {
    const options = (sb.sandbox.webhooks as unknown as { options: { scope: boolean } }).options;
    await apiCall(t, admin, 'PUT', `/connections/${connection}/webhooks`, { enabled: false });
    expect(sb.sandbox.webhooks.subscriptions).toEqual([]);
    options.scope = false;
    try {
      const refused = await apiCall(t, admin, 'PUT', `/connections/${connection}/webhooks`, { enabled: true });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({
        code: 'webhook_scope',
        message: expect.stringContaining('Organization administration'),
      });
    } finally {
      options.scope = true;
      await apiCall(t, admin, 'PUT', `/connections/${connection}/webhooks`, { enabled: false });
    }
    const before = (await t.db.pool.query('SELECT count(*)::int AS n FROM exact_sync.webhook_events')).rows[0].n;
    sb.sandbox.update(division, 'GLAccounts', glAccount(3), { Description: 'Not sent' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await t.db.pool.query('SELECT count(*)::int AS n FROM exact_sync.webhook_events')).rows[0].n).toBe(before);
    expect((await apiCall(t, admin, 'GET', `/connections/${connection}/webhooks`)).body).toMatchObject({
      enabled: false,
      subscriptions: [],
    });
    // Off again: the schedule polls every table at its own frequency.
    const schedule = await divisionSchedules(t.db.pool, { connectionId: connection });
    expect(schedule[0]!.tables.find((x) => x.name === 'glaccounts')!.frequencyMinutes).toBe(360);
  });
});
