-- Near-real-time per connection (issue 23): how often the tables webhooks cover are still polled, as a
-- safety net for an event Exact never delivered (docs/exact-online.md 14.5: no replay). A day by default.
ALTER TABLE exact_sync.connections
  ADD COLUMN webhook_safety_net_hours integer NOT NULL DEFAULT 24
  CHECK (webhook_safety_net_hours BETWEEN 1 AND 168);
