-- Writes to Exact's documents and attachments (issue 10): who asked, what, and how it ended.
CREATE TABLE exact_sync.document_writes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  connection_id integer REFERENCES exact_sync.connections (id) ON DELETE SET NULL,
  division integer NOT NULL,
  action text NOT NULL CHECK (action IN ('create', 'update', 'upsert', 'attach')),
  -- 'api_key:<id>', 'session', 'cli'
  actor text NOT NULL,
  document_id uuid,
  subject text,
  file_name text,
  status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  result text,
  error_code text,
  error_message text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_writes_at ON exact_sync.document_writes (at DESC);
