-- Every sync run of one division of a connection, and what it did per table.
CREATE TABLE exact_sync.runs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection_id integer NOT NULL REFERENCES exact_sync.connections (id) ON DELETE CASCADE,
  division integer NOT NULL,
  trigger text NOT NULL DEFAULT 'manual',
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'daily_limit', 'reauth_required')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  api_calls integer NOT NULL DEFAULT 0,
  rows_inserted bigint NOT NULL DEFAULT 0,
  rows_updated bigint NOT NULL DEFAULT 0,
  rows_deleted bigint NOT NULL DEFAULT 0,
  error_code text,
  error_message text
);
CREATE INDEX runs_connection_division ON exact_sync.runs (connection_id, division, started_at DESC);

CREATE TABLE exact_sync.run_tables (
  run_id bigint NOT NULL REFERENCES exact_sync.runs (id) ON DELETE CASCADE,
  table_name text NOT NULL,
  status text NOT NULL CHECK (status IN ('succeeded', 'failed', 'skipped')),
  rows integer NOT NULL DEFAULT 0,
  inserted integer NOT NULL DEFAULT 0,
  updated integer NOT NULL DEFAULT 0,
  deleted integer NOT NULL DEFAULT 0,
  pages integer NOT NULL DEFAULT 0,
  error_code text,
  error_message text,
  PRIMARY KEY (run_id, table_name)
);
