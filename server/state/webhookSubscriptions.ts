import type pg from 'pg';

/** The webhook subscriptions exact-sync made at Exact per connection, and whether it wants them. */

type Db = pg.Pool | pg.ClientBase;

export interface StoredSubscription {
  division: number;
  topic: string;
  exactId: string | null;
  callbackUrl: string;
  createdAt: Date;
}

export async function listSubscriptions(db: Db, connectionId: number): Promise<StoredSubscription[]> {
  const { rows } = await db.query<{
    division: number;
    topic: string;
    exact_id: string | null;
    callback_url: string;
    created_at: Date;
  }>(
    `SELECT division, topic, exact_id, callback_url, created_at FROM exact_sync.webhook_subscriptions
     WHERE connection_id = $1 ORDER BY division, topic`,
    [connectionId],
  );
  return rows.map((r) => ({
    division: r.division,
    topic: r.topic,
    exactId: r.exact_id,
    callbackUrl: r.callback_url,
    createdAt: r.created_at,
  }));
}

export async function saveSubscription(
  db: Db,
  connectionId: number,
  s: { division: number; topic: string; exactId: string | null; callbackUrl: string },
): Promise<void> {
  await db.query(
    `INSERT INTO exact_sync.webhook_subscriptions (connection_id, division, topic, exact_id, callback_url)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (connection_id, division, topic) DO UPDATE SET exact_id = coalesce(excluded.exact_id, exact_sync.webhook_subscriptions.exact_id),
       callback_url = excluded.callback_url`,
    [connectionId, s.division, s.topic, s.exactId, s.callbackUrl],
  );
}

export async function forgetSubscription(db: Db, connectionId: number, division: number, topic: string): Promise<void> {
  await db.query(
    'DELETE FROM exact_sync.webhook_subscriptions WHERE connection_id = $1 AND division = $2 AND topic = $3',
    [connectionId, division, topic],
  );
}

export async function setWebhooksEnabled(db: Db, connectionId: number, enabled: boolean): Promise<void> {
  await db.query('UPDATE exact_sync.connections SET webhooks_enabled = $2 WHERE id = $1', [connectionId, enabled]);
}

export async function webhooksEnabled(db: Db, connectionId: number): Promise<boolean> {
  return (await webhookSettings(db, connectionId)).enabled;
}

/** The safety net's bounds, in hours (the column's CHECK). */
export const SAFETY_NET_HOURS = { min: 1, max: 168 } as const;

export interface WebhookSettings {
  enabled: boolean;
  /** With webhooks on, the tables they cover are polled at most this often (hours). */
  safetyNetHours: number;
}

export async function webhookSettings(db: Db, connectionId: number): Promise<WebhookSettings> {
  const { rows } = await db.query<{ on: boolean; hours: number }>(
    'SELECT webhooks_enabled AS on, webhook_safety_net_hours AS hours FROM exact_sync.connections WHERE id = $1',
    [connectionId],
  );
  return { enabled: rows[0]?.on ?? false, safetyNetHours: rows[0]?.hours ?? 24 };
}

export async function setSafetyNetHours(db: Db, connectionId: number, hours: number): Promise<void> {
  await db.query('UPDATE exact_sync.connections SET webhook_safety_net_hours = $2 WHERE id = $1', [
    connectionId,
    hours,
  ]);
}

export interface WebhookStats {
  /** Events received in the last day, and the latest one's arrival. */
  lastDay: number;
  lastAt: Date | null;
  /**
   * Seconds from an event's arrival to its change being in the warehouse, over the last day's applied
   * events: a Delete when it was applied, an Update when the webhook run after it ended. Null without any.
   * (Not from EventCreatedOn: Exact gives that time without a zone, docs/exact-online.md 14.3.)
   */
  lagSeconds: { median: number; p95: number } | null;
}

/** What the connection's webhooks did in the last day. */
export async function webhookStats(db: Db, connectionId: number): Promise<WebhookStats> {
  const { rows } = await db.query<{
    last_day: number;
    last_at: Date | null;
    median: number | null;
    p95: number | null;
  }>(
    `WITH events AS (
       SELECT e.* FROM exact_sync.webhook_events e
       WHERE e.division IN (SELECT division FROM exact_sync.webhook_subscriptions WHERE connection_id = $1)
         AND e.received_at > now() - interval '1 day'
     ), lags AS (
       SELECT extract(epoch FROM coalesce(
                CASE WHEN e.action = 'Delete' THEN e.processed_at END,
                (SELECT min(r.finished_at) FROM exact_sync.runs r
                 WHERE r.connection_id = $1 AND r.division = e.division AND r.trigger = 'webhook'
                   AND r.status = 'succeeded' AND r.started_at >= e.processed_at - interval '1 second')
              ) - e.received_at) AS lag
       FROM events e WHERE e.outcome = 'applied'
     )
     SELECT (SELECT count(*)::int FROM events) AS last_day,
            (SELECT max(received_at) FROM exact_sync.webhook_events e
             WHERE e.division IN (SELECT division FROM exact_sync.webhook_subscriptions WHERE connection_id = $1)) AS last_at,
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) FROM lags WHERE lag IS NOT NULL) AS median,
            (SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY lag) FROM lags WHERE lag IS NOT NULL) AS p95`,
    [connectionId],
  );
  const r = rows[0]!;
  return {
    lastDay: r.last_day,
    lastAt: r.last_at,
    lagSeconds: r.median === null || r.p95 === null ? null : { median: Number(r.median), p95: Number(r.p95) },
  };
}

/** Active connections with near-real-time on. */
export async function connectionsWithWebhooks(db: Db): Promise<number[]> {
  const { rows } = await db.query<{ id: number }>(
    "SELECT id FROM exact_sync.connections WHERE webhooks_enabled AND state = 'active' ORDER BY id",
  );
  return rows.map((r) => r.id);
}
