-- Exact's webhook deliveries (issue 23), stored once verified and before Exact gets its 200, so nothing
-- is fetched while Exact waits and nothing received is lost. Exact delivers at least once and retries
-- for about a day and a half (docs/exact-webhooks.md §5): the same event arriving again is one row.
CREATE TABLE exact_sync.webhook_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  received_at timestamptz NOT NULL DEFAULT now(),
  client_id text NOT NULL,
  division integer NOT NULL,
  topic text NOT NULL,
  action text NOT NULL CHECK (action IN ('Update', 'Delete')),
  key uuid NOT NULL,
  endpoint text NOT NULL,
  -- As Exact wrote it (no zone given): for ordering hints and lag, never a cursor.
  event_created_on text NOT NULL,
  -- Deliveries of this event, the first one included.
  deliveries integer NOT NULL DEFAULT 1,
  -- Set when acted on: 'applied', or why it was not ('topic_not_synced', 'division_not_synced', …).
  processed_at timestamptz,
  outcome text,
  UNIQUE (division, topic, key, action, event_created_on)
);
CREATE INDEX webhook_events_pending ON exact_sync.webhook_events (division) WHERE processed_at IS NULL;
