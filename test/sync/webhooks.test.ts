import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedDelivery, type WebhookEvent } from '../../server/exact/webhookSignature.ts';
import type { RunningSandbox } from '../../server/sandbox/index.ts';
import { sandboxForFile } from '../helpers/sandbox.ts';
import { connectAndSync, keys, startTestServer, type TestServer } from '../helpers/server.ts';
import { assertWarehouseEqualsSandbox } from '../helpers/syncSetup.ts';

/**
 * Changes in Exact reaching the warehouse through webhook events alone (issue 23): a change made in the
 * sandbox, then the event Exact would send for it, signed with the app's secret. The schedule is not due
 * (everything was just synced), so only the webhook path can bring the change in.
 */

const SECRET = 'sync-webhook-secret';
let sb: RunningSandbox;
let t: TestServer;
let connection: number;
let division: number;
let clock = 0;

beforeAll(async () => {
  // Exact's rate limits off: pacing is tested elsewhere, and these runs should be quick.
  sb = await sandboxForFile({ divisions: 1, scale: 200, autoApprove: true, limits: false });
  // Webhook runs of a division at most every 5 s (60 by default): short, yet long enough to see.
  t = await startTestServer('webhooks_sync', sb, { EXACT_WEBHOOK_SECRET: SECRET, WEBHOOK_MIN_INTERVAL_SECONDS: '5' });
  connection = await connectAndSync(t, (await keys(t)).admin);
  division = sb.sandbox.divisions[0]!.code;
}, 120_000);
afterAll(async () => {
  await t?.close();
  await sb?.close();
});

/** The event Exact sends for a change of `key` (a new EventCreatedOn each time: a distinct event). */
const event = (topic: string, action: 'Update' | 'Delete', key: string, at = division): WebhookEvent => ({
  topic,
  clientId: 'c0ffee00-0000-4000-8000-000000000001',
  division: at,
  action,
  key,
  endpoint: `${sb.url}/api/v1/${at}/financial/${topic}(guid'${key}')`,
  eventCreatedOn: `2026-11-29T10:00:${String(clock++ % 60).padStart(2, '0')}.${String(clock).padStart(3, '0')}`,
});
const deliver = async (e: WebhookEvent) => {
  const res = await fetch(`${t.url}/webhooks/exact`, { method: 'POST', body: signedDelivery(e, SECRET) });
  expect(res.status).toBe(200);
};
const accounts = async () =>
  (await t.db.pool.query<{ id: string }>('SELECT id::text FROM exact_online.glaccounts ORDER BY code')).rows.map(
    (r) => r.id,
  );
const webhookRuns = async () =>
  (
    await t.db.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM exact_sync.runs WHERE connection_id = $1 AND trigger = 'webhook'",
      [connection],
    )
  ).rows[0]!.n;
/**
 * Until every event was acted on and no job of the connection is queued or running. A division busy when
 * events came keeps them for the minute tick, so this waits past one.
 */
const settled = () =>
  expect
    .poll(
      async () =>
        (
          await t.db.pool.query(
            "SELECT 1 FROM exact_sync.webhook_events WHERE processed_at IS NULL UNION ALL SELECT 1 FROM exact_sync.runs WHERE status = 'running'",
          )
        ).rowCount! + (await t.server.services.sync.pending(connection)).size,
      { timeout: 90_000, interval: 200 },
    )
    .toBe(0);

describe('webhook events into the warehouse', { timeout: 200_000 }, () => {
  it('an Update brings the change in through an incremental run of that table alone', async () => {
    const id = (await accounts())[0]!;
    sb.sandbox.update(division, 'GLAccounts', id, { Description: 'Renamed in Exact' });
    await deliver(event('GLAccounts', 'Update', id));
    await expect
      .poll(
        async () =>
          (await t.db.pool.query('SELECT description FROM exact_online.glaccounts WHERE id = $1', [id])).rows[0]
            ?.description,
        { timeout: 30_000, interval: 200 },
      )
      .toBe('Renamed in Exact');
    await settled();
    const { rows } = await t.db.pool.query<{ tables: string[] }>(
      `SELECT array_agg(t.table_name ORDER BY t.table_name) AS tables FROM exact_sync.runs r
       JOIN exact_sync.run_tables t ON t.run_id = r.id WHERE r.trigger = 'webhook' GROUP BY r.id`,
    );
    // Not sync/Deleted: a webhook run's deletes come as Delete events.
    expect(rows).toEqual([{ tables: ['glaccounts'] }]);
  });

  it('a Delete removes the row without a single call to Exact', async () => {
    const id = (await accounts())[1]!;
    sb.sandbox.remove(division, 'GLAccounts', id);
    const calls = sb.sandbox.calls.length;
    const runs = await webhookRuns();
    await deliver(event('GLAccounts', 'Delete', id));
    await expect
      .poll(async () => (await t.db.pool.query('SELECT 1 FROM exact_online.glaccounts WHERE id = $1', [id])).rowCount, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(0);
    await settled();
    expect(sb.sandbox.calls.length).toBe(calls);
    expect(await webhookRuns()).toBe(runs);
  });

  it('100 changes to one table are one incremental run, not 100 reads', async () => {
    const ids = (await accounts()).slice(2);
    const runs = await webhookRuns();
    const changes = Array.from({ length: 100 }, (_, i) => ids[i % ids.length]!);
    changes.forEach((id, i) => sb.sandbox.update(division, 'GLAccounts', id, { Description: `Burst ${i}` }));
    await Promise.all(changes.map((id) => deliver(event('GLAccounts', 'Update', id))));
    await settled();
    // One pass, one job. (Events arriving while that job already runs would wait for the next pass: on a
    // very slow machine a burst can become two runs, never one per event.)
    expect((await webhookRuns()) - runs).toBeGreaterThanOrEqual(1);
    expect((await webhookRuns()) - runs).toBeLessThanOrEqual(2);
    await assertWarehouseEqualsSandbox(t.db.pool, sb, division, ['glaccounts']);
  });

  it('spaces webhook runs of a division by WEBHOOK_MIN_INTERVAL_SECONDS: a change right after a run waits', async () => {
    const [first, second] = (await accounts()).slice(2, 4);
    sb.sandbox.update(division, 'GLAccounts', first!, { Description: 'Spaced 1' });
    await deliver(event('GLAccounts', 'Update', first!));
    await settled();
    sb.sandbox.update(division, 'GLAccounts', second!, { Description: 'Spaced 2' });
    await deliver(event('GLAccounts', 'Update', second!));
    await settled();
    const { rows } = await t.db.pool.query<{ started_at: Date }>(
      "SELECT started_at FROM exact_sync.runs WHERE connection_id = $1 AND trigger = 'webhook' ORDER BY id DESC LIMIT 2",
      [connection],
    );
    const gap = rows[0]!.started_at.getTime() - rows[1]!.started_at.getTime();
    // Queued 5 s after the previous run was (each job starts a moment after it is queued); without the
    // spacing the second would start about a second after the first ended.
    expect(gap).toBeGreaterThanOrEqual(4_500);
    await assertWarehouseEqualsSandbox(t.db.pool, sb, division, ['glaccounts']);
  });

  it('drops events for a division or a table nothing syncs, and says why', async () => {
    const stray = event('GLAccounts', 'Update', '11111111-2222-4333-8444-555555555555', 999999);
    const untracked = event('HostingOpportunities', 'Update', '11111111-2222-4333-8444-666666666666');
    await deliver(stray);
    await deliver(untracked);
    await settled();
    const { rows } = await t.db.pool.query<{ key: string; outcome: string }>(
      'SELECT key::text, outcome FROM exact_sync.webhook_events WHERE key = ANY ($1::uuid[]) ORDER BY outcome',
      [[stray.key, untracked.key]],
    );
    expect(rows).toEqual([
      { key: stray.key, outcome: 'division_not_synced' },
      { key: untracked.key, outcome: 'table_not_synced' },
    ]);
  });

  it('duplicate and out-of-order events leave the warehouse equal to Exact', async () => {
    const [a, b] = (await accounts()).slice(2, 4);
    sb.sandbox.update(division, 'GLAccounts', a!, { Description: 'Twice' });
    sb.sandbox.remove(division, 'GLAccounts', b!);
    const update = event('GLAccounts', 'Update', a!);
    // The Delete arrives before an older Update of the same record, and the Update of a twice.
    await deliver(update);
    await deliver(event('GLAccounts', 'Delete', b!));
    await deliver(event('GLAccounts', 'Update', b!));
    await deliver(update);
    await settled();
    await assertWarehouseEqualsSandbox(t.db.pool, sb, division, ['glaccounts']);
  });
});
