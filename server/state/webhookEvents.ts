import type pg from 'pg';
import type { WebhookEvent } from './types.ts';

/** Exact's webhook events as received (exact_sync.webhook_events): stored once, counted when repeated. */

/** Stores a verified event; a repeat of one already stored only counts a delivery. Answers whether it is new. */
export async function recordWebhookEvent(db: pg.Pool, e: WebhookEvent): Promise<boolean> {
  const { rows } = await db.query<{ fresh: boolean }>(
    `INSERT INTO exact_sync.webhook_events (client_id, division, topic, action, key, endpoint, event_created_on)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (division, topic, key, action, event_created_on)
       DO UPDATE SET deliveries = exact_sync.webhook_events.deliveries + 1
     RETURNING (xmax = 0) AS fresh`,
    [e.clientId, e.division, e.topic, e.action, e.key, e.endpoint, e.eventCreatedOn],
  );
  return rows[0]!.fresh;
}

export interface StoredWebhookEvent {
  id: number;
  division: number;
  topic: string;
  action: 'Update' | 'Delete';
  key: string;
  deliveries: number;
  receivedAt: Date;
  processedAt: Date | null;
  outcome: string | null;
}

type Db = pg.Pool | pg.ClientBase;

interface EventRow {
  id: string;
  division: number;
  topic: string;
  action: 'Update' | 'Delete';
  key: string;
  deliveries: number;
  received_at: Date;
  processed_at: Date | null;
  outcome: string | null;
}
const toEvent = (r: EventRow): StoredWebhookEvent => ({
  id: Number(r.id),
  division: r.division,
  topic: r.topic,
  action: r.action,
  key: r.key,
  deliveries: r.deliveries,
  receivedAt: r.received_at,
  processedAt: r.processed_at,
  outcome: r.outcome,
});
const COLUMNS = 'id, division, topic, action, key, deliveries, received_at, processed_at, outcome';

/** The events of a division (or all) not yet acted on, oldest first. */
export async function pendingWebhookEvents(db: Db, division?: number): Promise<StoredWebhookEvent[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${COLUMNS} FROM exact_sync.webhook_events
     WHERE processed_at IS NULL AND ($1::int IS NULL OR division = $1) ORDER BY id`,
    [division ?? null],
  );
  return rows.map(toEvent);
}

/**
 * The division's pending events, locked for this transaction: another process acting on the same
 * division at the same moment skips them rather than acting twice.
 */
export async function claimPendingEvents(db: pg.ClientBase, division: number): Promise<StoredWebhookEvent[]> {
  const { rows } = await db.query<EventRow>(
    `SELECT ${COLUMNS} FROM exact_sync.webhook_events WHERE processed_at IS NULL AND division = $1
     ORDER BY id FOR UPDATE SKIP LOCKED`,
    [division],
  );
  return rows.map(toEvent);
}

/** Marks events acted on, each with its outcome. */
export async function markEvents(db: Db, outcomes: ReadonlyMap<number, string>): Promise<void> {
  if (outcomes.size === 0) return;
  await db.query(
    `UPDATE exact_sync.webhook_events e SET processed_at = now(), outcome = o.outcome
     FROM unnest($1::bigint[], $2::text[]) AS o(id, outcome) WHERE e.id = o.id`,
    [[...outcomes.keys()], [...outcomes.values()]],
  );
}

/** Divisions with events waiting to be acted on. */
export async function divisionsWithPendingEvents(db: Db): Promise<number[]> {
  const { rows } = await db.query<{ division: number }>(
    'SELECT DISTINCT division FROM exact_sync.webhook_events WHERE processed_at IS NULL ORDER BY 1',
  );
  return rows.map((r) => r.division);
}
