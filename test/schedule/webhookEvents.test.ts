import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../server/db/migrate.ts';
import { createLogger } from '../../server/lib/logger.ts';
import { actOnWebhookEvents } from '../../server/schedule/webhookEvents.ts';
import type { DivisionJob } from '../../server/schedule/jobs.ts';
import { saveDivisions } from '../../server/state/divisions.ts';
import { chooseTables } from '../../server/state/tableSettings.ts';
import { pendingWebhookEvents, recordWebhookEvent } from '../../server/state/webhookEvents.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * Acting on webhook events when two connections sync the same division (two exact-sync connections of
 * one administration, e.g. two warehouses): each needs its own job, and an event is done only when both
 * got one.
 */

let db: TestDatabase;
const DIVISION = 4242;
const connections: number[] = [];
const log = createLogger({ level: 'silent', format: 'json' });

beforeAll(async () => {
  db = await createTestDatabase('webhook_act');
  await migrate(db.pool);
  for (const schema of ['wh_a', 'wh_b']) {
    const { rows } = await db.pool.query<{ id: number }>(
      `INSERT INTO exact_sync.connections (country, base_url, warehouse_schema) VALUES ('nl', 'http://127.0.0.1:1', $1) RETURNING id`,
      [schema],
    );
    connections.push(rows[0]!.id);
    await saveDivisions(db.pool, rows[0]!.id, [
      { division: DIVISION, name: 'A', hid: null, isCurrent: true, active: true },
    ]);
    await chooseTables(db.pool, rows[0]!.id, ['glaccounts']);
  }
});
afterAll(async () => {
  await db.drop();
});

const update = (key: string) =>
  recordWebhookEvent(db.pool, {
    topic: 'GLAccounts',
    clientId: 'c0ffee00-0000-4000-8000-000000000001',
    division: DIVISION,
    action: 'Update',
    key,
    endpoint: `http://x/api/v1/${DIVISION}/financial/GLAccounts(guid'${key}')`,
    eventCreatedOn: '2026-11-29T10:00:00.000',
  });

describe('actOnWebhookEvents with two connections on one division', () => {
  it("keeps an event pending while one connection's division is busy, though the other's job was queued", async () => {
    await update('11111111-2222-4333-8444-000000000001');
    const sent: DivisionJob[] = [];
    const [a, b] = connections as [number, number];
    // B's division has a job queued or running: send answers null.
    const busyB = async (job: DivisionJob) => {
      sent.push(job);
      return job.connectionId === b ? null : 'job';
    };
    const first = await actOnWebhookEvents({ pool: db.pool, log, send: busyB }, DIVISION);
    expect(sent.map((j) => [j.connectionId, j.tables, j.trigger])).toEqual([
      [a, ['glaccounts'], 'webhook'],
      [b, ['glaccounts'], 'webhook'],
    ]);
    expect(first).toMatchObject({ waiting: 1, dropped: 0 });
    expect(first.synced.has(a)).toBe(true);
    expect(await pendingWebhookEvents(db.pool, DIVISION)).toHaveLength(1);
    // Once B is free, both get a job and the event is done.
    const free = await actOnWebhookEvents({ pool: db.pool, log, send: async () => 'job' }, DIVISION);
    expect([...free.synced.keys()].sort()).toEqual([a, b].sort());
    expect(free.waiting).toBe(0);
    expect(await pendingWebhookEvents(db.pool, DIVISION)).toHaveLength(0);
  });
});
