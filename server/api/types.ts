/**
 * The JSON of /auth and /api/v1, as the console, the add-ins and scripts see it. Only type imports from
 * state/types.ts (which imports nothing): browser code `import type`s from here. The zod schemas in
 * routes/ are declared against these types, so the two cannot drift apart.
 */
import type {
  ApiKeyInfo,
  ConnectionInfo,
  DivisionInfo,
  DivisionsMode,
  DroppedField,
  Json,
  RunInfo,
  RunTableInfo,
  Scope,
  SyncHealth,
  TableInfo,
} from '../state/types.ts';

import type { PublishedView, ResultColumn, SavedChart, WarehouseTable } from '../query/types.ts';
import type { SheetTarget } from '../sheets/types.ts';
export type {
  ApiKeyInfo,
  ConnectionInfo,
  DivisionInfo,
  DivisionsMode,
  DroppedField,
  Json,
  RunInfo,
  RunTableInfo,
  Scope,
  TableInfo,
};

export interface ApiErrorBody {
  /** `position`: for SQL PostgreSQL could not run, the 1-based character of the (trimmed) SQL where it stopped. */
  error: { code: string; message: string; position?: number };
}

export interface SessionResponse {
  signedIn: boolean;
  csrfToken: string | null;
  via: string | null;
  /** No admin password or admin key yet: the console asks for the setup code and a password. */
  setupRequired: boolean;
  demo: boolean;
  version: string;
  publicUrl: string;
}
export interface LoginRequest {
  secret: string;
}
export interface SetupRequest {
  code: string;
  password: string;
}

export interface ConnectionsResponse {
  connections: Json<ConnectionInfo>[];
}
export interface ConnectionPatch {
  startYear?: number | null | undefined;
  enabled?: boolean | undefined;
}

export interface DivisionsResponse {
  mode: DivisionsMode;
  divisions: Json<DivisionInfo>[];
}
export type DivisionSelectionRequest = { mode: 'all' } | { mode: 'selected'; divisions: number[] };

/** Estimated API calls a day per division for the enabled tables at their frequencies, against Exact's daily budget. */
export interface DailyCostInfo {
  total: number;
  budget: number;
  share: number;
  verdict: 'ok' | 'high' | 'exhausts';
  /** Set when the schedule uses much of the budget, or more than all of it. */
  warning: string | null;
  tables: { name: string; callsPerDay: number }[];
}
export interface ConnectionTablesResponse {
  defaultFrequencyMinutes: number;
  dailyCost: DailyCostInfo;
  tables: Json<TableInfo>[];
}
export interface TablePatch {
  enabled?: boolean | undefined;
  frequencyMinutes?: number | null | undefined;
}

export interface SyncNowRequest {
  divisions?: number[] | undefined;
  tables?: string[] | undefined;
  full?: boolean | undefined;
}
export interface SyncNowResponse {
  status: 'started' | 'already_running';
  started: number[];
  alreadyRunning: { division: number; runId: number | null }[];
}

export interface RunsResponse {
  runs: Json<RunInfo>[];
}
export type RunResponse = Json<RunInfo> & { tables: RunTableInfo[] };

export interface ApiKeysResponse {
  apiKeys: Json<ApiKeyInfo>[];
}
export interface ApiKeyCreateRequest {
  name: string;
  admin?: boolean | undefined;
}
/** The key itself is in this answer only. */
export type ApiKeyCreated = Json<ApiKeyInfo> & { key: string };
export interface MeResponse {
  scopes: readonly Scope[];
  via: 'api_key' | 'session';
  keyId: number | null;
}

export interface CatalogResponse {
  tables: {
    name: string;
    title: string;
    entity: string;
    strategy: string;
    lines: string | null;
    required: boolean;
    /** Where it belongs: Financial, CRM, Sales, Purchase, Inventory, Projects, HR/Payroll, Manufacturing, Documents. */
    area: string;
    /** Synced by a connection that did not turn it off. */
    byDefault: boolean;
    /** The Exact endpoint read. */
    path: string;
    /** The key column (with `division`). */
    key: string;
    /** The sync/Deleted entity type whose deletes apply to it. */
    deletedType: number | null;
  }[];
}

/** POST /api/v1/query. */
export interface QueryRequest {
  sql: string;
  params?: (string | number | boolean | null)[] | undefined;
  /** Whose warehouse schema unqualified names resolve in (default: the first connection's). */
  connection?: number | undefined;
  format?: 'json' | 'csv' | 'ndjson' | undefined;
  /** Fewer rows than the server's QUERY_MAX_ROWS: past them the result ends with the error row_limit. */
  maxRows?: number | undefined;
}
export type ResultColumnInfo = ResultColumn;
export type { ChartType, SavedChart } from '../query/types.ts';
/** GET /api/v1/tables */
export type WarehouseTableInfo = Json<WarehouseTable>;
export interface WarehouseTablesResponse {
  tables: WarehouseTableInfo[];
}
/** The JSON format of a query result; `error` is set when it failed after rows were sent. */
export interface QueryResult {
  columns: ResultColumnInfo[];
  rows: unknown[][];
  rowCount?: number;
  error?: { code: string; message: string };
}

export interface BiUserInfo {
  id: number;
  name: string;
  roleName: string;
  createdAt: string;
  revokedAt: string | null;
}
export interface BiUsersResponse {
  biUsers: BiUserInfo[];
}
export interface BiUserCreateRequest {
  name: string;
}
/** The answer to creating a BI user: the only time its password is shown. */
export interface BiUserCreated extends BiUserInfo {
  password: string;
  host: string;
  port: number;
  database: string;
  url: string;
  /** How BI tools elsewhere reach it, when the address is this machine's. */ note?: string;
}

export interface SavedQueryInfo {
  id: number;
  name: string;
  description: string;
  sql: string;
  connectionId: number | null;
  chart: SavedChart | null;
  createdAt: string;
  updatedAt: string;
}
export interface SavedQueriesResponse {
  queries: SavedQueryInfo[];
}
export interface SavedQueryRequest {
  name: string;
  description?: string | undefined;
  sql: string;
  connectionId?: number | null | undefined;
  chart?: SavedChart | null | undefined;
}

export type SheetTargetInfo = Json<SheetTarget>;
export interface SheetTargetsResponse {
  targets: SheetTargetInfo[];
}
export interface SheetPushOutcome {
  pushId: number;
  status: string;
  rows?: number;
  error?: string;
}

export type PublishedViewInfo = Json<PublishedView>;
export interface PublishedViewsResponse {
  views: PublishedViewInfo[];
}
export interface PublishViewRequest {
  /** The view's name in the reports schema. */
  name: string;
  /** Publish this saved query (its SQL and connection), or else `sql` on `connection`. */
  savedQueryId?: number | undefined;
  sql?: string | undefined;
  connection?: number | undefined;
  /** Stored and refreshed after each sync that changed a table it reads (default: a plain view). */
  materialized?: boolean | undefined;
}

export type SyncHealthResponse = Json<SyncHealth>;

export interface StarterModelInfo {
  name: string;
  title: string;
  description: string;
  tables: string[];
  published: boolean;
}
export interface StarterModelsResponse {
  starters: StarterModelInfo[];
}

export interface ConnectionWebhooksResponse {
  enabled: boolean;
  /** With webhooks on, the tables they cover are polled at most this often (hours). */
  safetyNetHours: number;
  callbackUrl: string;
  subscriptions: { division: number; topic: string; exactId: string | null; callbackUrl: string; createdAt: string }[];
  events: { lastDay: number; lastAt: string | null; lagSeconds: { median: number; p95: number } | null };
  /** Exact API calls a day over the connection's divisions (server/schedule/schedules.ts webhookCalls). */
  calls: { pollingPerDay: number; safetyNetPerDay: number; webhookRunsLastDay: number; savedPerDay: number };
}
