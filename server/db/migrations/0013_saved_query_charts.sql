-- A saved query's chart (issue 21): which kind, and which of its result's columns go where, as the
-- console drew it. NULL: no chart. Validated by the API (server/api/routes/queries.ts) before it is stored.
ALTER TABLE exact_sync.saved_queries ADD COLUMN chart jsonb;
