-- Google's Sheets API allows 60 write requests a minute per user (the service account) per project,
-- refilled every minute (developers.google.com/sheets/api/limits). Every process that pushes counts its
-- writes here, per minute, so the API server and every worker share one budget (issue 19).
CREATE TABLE exact_sync.sheets_write_budget (
  minute timestamptz PRIMARY KEY,
  writes integer NOT NULL
);
