-- Scheduling (issue 6): when each table of each division was last synced, so the scheduler can tell what
-- is due; when a connection's division list was last read; and divisions held back by Exact's daily limit.

-- Per (connection, division, table): the start of the last attempt that ran to its end, how it ended, and
-- how many attempts in a row failed (the retry backoff grows with it). Written when a table finishes,
-- never when it starts: a table cut off by a crash stays due and the next run picks it up.
CREATE TABLE exact_sync.table_syncs (
  connection_id integer NOT NULL REFERENCES exact_sync.connections (id) ON DELETE CASCADE,
  division integer NOT NULL,
  table_name text NOT NULL,
  last_attempt_at timestamptz NOT NULL,
  last_status text NOT NULL CHECK (last_status IN ('succeeded', 'failed')),
  last_success_at timestamptz,
  failures integer NOT NULL DEFAULT 0,
  PRIMARY KEY (connection_id, division, table_name)
);

-- When system/Divisions was last read for the connection (the list, and DivisionMoveDate changes).
ALTER TABLE exact_sync.connections ADD COLUMN divisions_listed_at timestamptz;

-- A division whose daily API budget is spent waits for Exact's reset before the scheduler tries it again.
ALTER TABLE exact_sync.divisions ADD COLUMN paused_until timestamptz;

-- A run whose process stopped (killed, shut down) before it finished: the next run of the division marks it.
ALTER TABLE exact_sync.runs DROP CONSTRAINT runs_status_check;
ALTER TABLE exact_sync.runs ADD CONSTRAINT runs_status_check
  CHECK (status IN ('running', 'succeeded', 'failed', 'daily_limit', 'reauth_required', 'interrupted'));
