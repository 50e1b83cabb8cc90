-- When a table without a delete feed (purchase entries, receivables) last compared its keys with Exact's
-- (issue 16, item 6): a weekly key sweep removes rows Exact no longer has.
ALTER TABLE exact_sync.sync_state ADD COLUMN swept_at timestamptz;
