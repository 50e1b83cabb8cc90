-- Where each table of each division stands: the cursor (last Timestamp, or last Modified) committed in the
-- same transaction as the rows it covers, so a crash never skips or repeats work.
CREATE TABLE exact_sync.sync_state (
  connection_id integer NOT NULL REFERENCES exact_sync.connections (id) ON DELETE CASCADE,
  division integer NOT NULL,
  table_name text NOT NULL,
  cursor text,
  rows_total bigint NOT NULL DEFAULT 0,
  last_synced_at timestamptz,
  PRIMARY KEY (connection_id, division, table_name)
);
