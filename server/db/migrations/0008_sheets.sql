-- Google Sheets writeback (issue 9): what to push where, how often, and every push made.
CREATE TABLE exact_sync.sheet_targets (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  spreadsheet_id text NOT NULL CHECK (spreadsheet_id ~ '^[A-Za-z0-9_-]{1,200}$'),
  sheet_name text NOT NULL CHECK (length(sheet_name) BETWEEN 1 AND 100),
  -- A warehouse table, a saved query (by id) or SQL.
  source_kind text NOT NULL CHECK (source_kind IN ('table', 'query', 'sql')),
  source text NOT NULL,
  connection_id integer REFERENCES exact_sync.connections (id) ON DELETE SET NULL,
  -- NULL: only when asked (push now); else every so many minutes.
  frequency_minutes integer CHECK (frequency_minutes IS NULL OR frequency_minutes >= 5),
  enabled boolean NOT NULL DEFAULT true,
  -- The block the last push wrote (header included), so the next one clears what it leaves over.
  last_rows integer,
  last_columns integer,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE exact_sync.sheet_pushes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  target_id integer NOT NULL REFERENCES exact_sync.sheet_targets (id) ON DELETE CASCADE,
  trigger text NOT NULL,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  rows integer,
  requests integer,
  retries integer,
  error_code text,
  error_message text
);
CREATE INDEX sheet_pushes_target ON exact_sync.sheet_pushes (target_id, started_at DESC);
