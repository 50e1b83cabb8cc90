/**
 * The shapes the state modules return and /api/v1 sends (as JSON: dates become ISO strings, see Json).
 * No imports: the console and the add-ins `import type` from here without pulling in server code.
 */

export type Json<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Json<U>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

export type Strategy = 'sync' | 'modified' | 'child' | 'full';
export type Scope = 'read' | 'admin';
export type ConnectionState = 'active' | 'reauth_required' | 'disabled';
export type DivisionsMode = 'all' | 'selected';

export interface ConnectionInfo {
  id: number;
  country: string;
  baseUrl: string;
  exactUserName: string | null;
  state: ConnectionState;
  stateMessage: string | null;
  warehouseSchema: string;
  startYear: number | null;
  divisionsMode: DivisionsMode;
  createdAt: Date;
  /** Active divisions the Exact user reaches, and how many of them sync. */
  divisions: number;
  divisionsEnabled: number;
  lastSyncAt: Date | null;
  /** Division runs in progress. */
  running: number;
  /** Division syncs waiting for a worker (set by the API from the job queue; 0 from the state module). */
  queued: number;
  /** When the schedule syncs one of its divisions next (null: one is due now, or nothing syncs; set by the API). */
  nextSyncAt: Date | null;
  /** Fields Exact said an endpoint no longer has: left out of its reads (their columns stay, empty). */
  droppedFields: DroppedField[];
}

/** A field Exact answered an endpoint does not have (drift): left out of that endpoint's `$select`. */
export interface DroppedField {
  /** The endpoint path, e.g. `sync/Financial/TransactionLines`. */
  endpoint: string;
  field: string;
  /** Exact's answer. */
  message: string;
  droppedAt: Date;
}

/** What the admin chose before going to Exact's consent page, kept with the OAuth state until the callback. */
export interface ConnectChoice {
  country: string;
  baseUrl: string;
  startYear: number | null;
  tables: string[] | null;
}

export interface ListedDivision {
  division: number;
  name: string;
  hid: string | null;
  isCurrent: boolean;
  active: boolean;
}

export interface DivisionInfo extends ListedDivision {
  syncEnabled: boolean;
  lastSyncAt: Date | null;
  lastRun: {
    id: number;
    status: string;
    startedAt: Date;
    finishedAt: Date | null;
    apiCalls: number;
    errorMessage: string | null;
  } | null;
  /** A sync of this division is under way. */
  syncing: boolean;
  /** A sync is queued, waiting for a worker (set by the API from the job queue; false from the state module). */
  queued: boolean;
  /** Exact's daily budget is spent: no scheduled sync before this time. */
  pausedUntil: Date | null;
  /** When the schedule syncs it next (null: due now, or the division does not sync; set by the API). */
  nextSyncAt: Date | null;
  /** Exact's daily budget left for this division after its last run (null when unknown or reset since). */
  apiCallsLeftToday: number | null;
  dailyResetAt: Date | null;
}

export interface TableInfo {
  name: string;
  title: string;
  /** Financial, CRM, Sales, Purchase, Documents, Inventory, Projects, HR/Payroll, Manufacturing. */
  area: string;
  entity: string;
  strategy: Strategy;
  /** The lines table synced with this one, if any. */
  lines: string | null;
  enabled: boolean;
  /** Cannot be turned off (deleted: it carries every table's deletes). */
  required: boolean;
  /** null: the default schedule. */
  frequencyMinutes: number | null;
  rows: number;
  rowsEstimated: boolean;
  lastSyncAt: Date | null;
  lastRun: { runId: number; status: string; finishedAt: Date | null; error: string | null } | null;
}

export interface RunInfo {
  id: number;
  connectionId: number;
  division: number;
  divisionName: string | null;
  trigger: string;
  status: string;
  startedAt: Date;
  finishedAt: Date | null;
  apiCalls: number;
  rowsInserted: number;
  rowsUpdated: number;
  rowsDeleted: number;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface RunTableInfo {
  table: string;
  status: string;
  rows: number;
  inserted: number;
  updated: number;
  deleted: number;
  pages: number;
  errorCode: string | null;
  errorMessage: string | null;
}

export interface ApiKeyInfo {
  id: number;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A connection's sync health (server/state/health.ts). */
export interface CallsOnDay {
  /** UTC day, YYYY-MM-DD (Exact's daily budget resets at midnight, Exact's servers' time; UTC is close). */
  day: string;
  division: number;
  calls: number;
}

export interface FailingTable {
  division: number;
  table: string;
  errorCode: string | null;
  errorMessage: string | null;
  failedAt: Date;
  runId: number;
}

export interface RowsOnDay {
  day: string;
  table: string;
  changed: number;
}

export interface SyncHealth {
  days: number;
  callsPerDay: CallsOnDay[];
  failingTables: FailingTable[];
  rowsPerDay: RowsOnDay[];
}

/** One event of an Exact webhook delivery, verified (server/exact/webhookSignature.ts). */
export interface WebhookEvent {
  topic: string;
  clientId: string;
  division: number;
  action: 'Update' | 'Delete';
  key: string;
  endpoint: string;
  eventCreatedOn: string;
}
