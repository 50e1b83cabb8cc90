-- Settings of this exact-sync installation that live in the database rather than the environment
-- (so every worker on every machine sees the same value). Secrets stored here are sealed with SECRET_KEY.
CREATE TABLE exact_sync.instance_settings (
  key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_.]*$'),
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
