-- One row per Exact Online connection: one Exact user's consent for this app, on one country host.
-- Tokens are sealed with SECRET_KEY (server/lib/crypto.ts, context "connection:<id>:<column>").
CREATE TABLE exact_sync.connections (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  country text NOT NULL,
  base_url text NOT NULL,
  exact_user_id uuid,
  exact_user_name text,
  access_token text,
  refresh_token text,
  access_expires_at timestamptz,
  token_refreshed_at timestamptz,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'reauth_required', 'disabled')),
  state_message text,
  warehouse_schema text NOT NULL DEFAULT 'exact_online',
  start_year integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (base_url, exact_user_id)
);
