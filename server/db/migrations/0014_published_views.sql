-- Saved queries published as views in the `reports` schema (issue 21), so BI tools, Excel, Sheets and
-- the query API read them as tables. The SQL is kept here as published, so a view that is gone or no
-- longer compiles is reported (status, error) and can be made again, never lost.
CREATE TABLE exact_sync.published_views (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  sql text NOT NULL,
  connection_id integer NOT NULL REFERENCES exact_sync.connections (id) ON DELETE CASCADE,
  saved_query_id integer REFERENCES exact_sync.saved_queries (id) ON DELETE SET NULL,
  materialized boolean NOT NULL,
  -- 'ok', or 'broken' with what PostgreSQL said when it was last made or refreshed.
  status text NOT NULL DEFAULT 'ok',
  error text,
  published_at timestamptz NOT NULL DEFAULT now(),
  refreshed_at timestamptz
);
