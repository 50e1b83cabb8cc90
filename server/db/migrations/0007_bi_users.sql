-- Read-only PostgreSQL logins for BI tools (Power BI, Metabase, psql), made by `exact-sync bi-user create`
-- or the API. The role itself lives in the cluster; this is exact-sync's record of it. The password is
-- shown once and never stored.
CREATE TABLE exact_sync.bi_users (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL CHECK (name ~ '^[a-z][a-z0-9_]{0,39}$'),
  role_name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE UNIQUE INDEX bi_users_live_name ON exact_sync.bi_users (name) WHERE revoked_at IS NULL;

-- Saved queries, shared by every client (console, add-ins, Apps Script, scripts).
CREATE TABLE exact_sync.saved_queries (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '',
  sql text NOT NULL CHECK (length(sql) BETWEEN 1 AND 100000),
  -- The warehouse of this connection (its schema first on the search path); null: the first connection's.
  connection_id integer REFERENCES exact_sync.connections (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
