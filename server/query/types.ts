/**
 * The shapes of the read side as clients see them (query results, warehouse tables). No imports: the
 * add-in, the console and the Apps Script module `import type` them through server/api/types.ts.
 */

export type ColumnKind = 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'text' | 'json';

/** Where published views live (server/query/views.ts); on every reader's search_path after the warehouse schema. */
export const REPORTS_SCHEMA = 'reports';

/** A saved query published as a view in the reports schema (server/query/views.ts). */
export interface PublishedView {
  id: number;
  name: string;
  sql: string;
  connectionId: number;
  savedQueryId: number | null;
  materialized: boolean;
  status: 'ok' | 'broken';
  error: string | null;
  publishedAt: Date;
  refreshedAt: Date | null;
}

/** The charts the console draws of a result (console/src/chart.ts). */
export const CHART_TYPES = ['bar', 'line', 'area', 'pie', 'donut', 'pivot'] as const;
export type ChartType = (typeof CHART_TYPES)[number];

/**
 * A saved query's chart: `x` the category or period column, `y` the numeric column summed, `series`
 * (optional) the column that splits it (a pivot's columns).
 */
export interface SavedChart {
  type: ChartType;
  x: string;
  y: string;
  series?: string | undefined;
}

export interface ResultColumn {
  name: string;
  /** PostgreSQL's name of the type. */
  type: string;
  /** How a client should treat the values: numbers, dates, text… */
  kind: ColumnKind;
}

/** A table of a warehouse schema as clients browse it (GET /api/v1/tables). */
export interface WarehouseTable {
  name: string;
  title: string | null;
  columns: ResultColumn[];
  primaryKey: string[];
  rows: number;
  rowsEstimated: boolean;
  /** The last time a sync wrote to it (any division); for a materialized view, its last refresh. */
  lastSyncAt: Date | null;
  /** Set for a published view (in the reports schema): plain, or materialized. Its rows are not counted (0). */
  view?: 'view' | 'materialized';
}
