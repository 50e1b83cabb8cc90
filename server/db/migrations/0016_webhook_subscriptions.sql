-- Near-real-time per connection (issue 23): whether webhooks are wanted, and the subscriptions made at
-- Exact for it, one per division and topic (docs/exact-online.md 14.1), so they can be removed again.
ALTER TABLE exact_sync.connections ADD COLUMN webhooks_enabled boolean NOT NULL DEFAULT false;
CREATE TABLE exact_sync.webhook_subscriptions (
  connection_id integer NOT NULL REFERENCES exact_sync.connections (id) ON DELETE CASCADE,
  division integer NOT NULL,
  topic text NOT NULL,
  -- Exact's ID of the subscription (null when it was already there and could not be listed).
  exact_id uuid,
  callback_url text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, division, topic)
);
