-- What an admin chooses in the console, the API or the CLI: which divisions and tables a connection
-- syncs, who may call the API, and the browser sessions of the console with their OAuth states.

-- 'all': every division the Exact user can reach, including ones added later; 'selected': only the
-- divisions marked sync_enabled below.
ALTER TABLE exact_sync.connections
  ADD COLUMN divisions_mode text NOT NULL DEFAULT 'all' CHECK (divisions_mode IN ('all', 'selected'));

-- The divisions (administrations) a connection can reach, as system/Divisions listed them.
CREATE TABLE exact_sync.divisions (
  connection_id integer NOT NULL REFERENCES exact_sync.connections (id) ON DELETE CASCADE,
  division integer NOT NULL,
  name text NOT NULL DEFAULT '',
  hid text,
  is_current boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  sync_enabled boolean NOT NULL DEFAULT false,
  seen_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, division)
);

-- Per-table choices of a connection; a table without a row is enabled on the default schedule.
CREATE TABLE exact_sync.connection_tables (
  connection_id integer NOT NULL REFERENCES exact_sync.connections (id) ON DELETE CASCADE,
  table_name text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  -- NULL: the default (every 6 hours).
  frequency_minutes integer CHECK (frequency_minutes IS NULL OR frequency_minutes >= 5),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, table_name)
);

-- API keys: only a SHA-256 of the key is kept (keys are 32 random bytes, so a fast hash is enough);
-- `prefix` is the first characters, shown so people can tell their keys apart.
CREATE TABLE exact_sync.api_keys (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  prefix text NOT NULL,
  key_hash bytea NOT NULL UNIQUE,
  scopes text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'admin']::text[] AND cardinality(scopes) > 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- Console sessions (cookie = random id; only its SHA-256 is stored), with the token the console sends
-- back in a header on every change (CSRF).
CREATE TABLE exact_sync.sessions (
  id_hash bytea PRIMARY KEY,
  csrf_token text NOT NULL,
  -- how the admin signed in: 'password' or 'api_key:<id>'
  via text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_expires ON exact_sync.sessions (expires_at);

-- OAuth `state` values of connect attempts: bound to the session that started them, single use, short-lived.
CREATE TABLE exact_sync.oauth_states (
  state_hash bytea PRIMARY KEY,
  session_hash bytea NOT NULL REFERENCES exact_sync.sessions (id_hash) ON DELETE CASCADE,
  country text NOT NULL,
  base_url text NOT NULL,
  start_year integer,
  tables text[],
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);

-- What Exact said was left of the division's daily budget at the end of a run (X-RateLimit-Remaining),
-- shown in the console until the reset time passes.
ALTER TABLE exact_sync.runs ADD COLUMN daily_remaining integer, ADD COLUMN daily_reset_at timestamptz;
