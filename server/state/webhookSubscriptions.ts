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
  const { rows } = await db.query<{ on: boolean }>(
    'SELECT webhooks_enabled AS on FROM exact_sync.connections WHERE id = $1',
    [connectionId],
  );
  return rows[0]?.on ?? false;
}

/** Events received for the divisions of a connection's subscriptions: in the last day, and the latest. */
export async function webhookStats(db: Db, connectionId: number): Promise<{ lastDay: number; lastAt: Date | null }> {
  const { rows } = await db.query<{ last_day: number; last_at: Date | null }>(
    `SELECT count(*) FILTER (WHERE e.received_at > now() - interval '1 day')::int AS last_day, max(e.received_at) AS last_at
     FROM exact_sync.webhook_events e
     WHERE e.division IN (SELECT division FROM exact_sync.webhook_subscriptions WHERE connection_id = $1)`,
    [connectionId],
  );
  return { lastDay: rows[0]?.last_day ?? 0, lastAt: rows[0]?.last_at ?? null };
}
