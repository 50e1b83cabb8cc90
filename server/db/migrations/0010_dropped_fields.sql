-- Fields Exact said an endpoint does not have (issue 16, drift): not asked for again until retried.
CREATE TABLE exact_sync.dropped_fields (
  connection_id integer NOT NULL REFERENCES exact_sync.connections (id) ON DELETE CASCADE,
  -- The endpoint path as read, e.g. sync/Financial/TransactionLines
  endpoint text NOT NULL,
  field text NOT NULL,
  -- Exact's words, e.g. "Type '…TransactionLineSync' does not have a property named 'ShopOrder'."
  message text NOT NULL,
  dropped_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, endpoint, field)
);
