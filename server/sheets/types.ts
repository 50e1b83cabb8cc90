/**
 * The shape of a Google Sheets writeback target. No imports: /api/v1's types (server/api/types.ts) take
 * it from here for the console.
 */

/** A target: what is pushed (a table, a saved query or SQL) into which sheet, how often, and its last push. */
export interface SheetTarget {
  id: number;
  name: string;
  spreadsheetId: string;
  sheetName: string;
  sourceKind: 'table' | 'query' | 'sql';
  source: string;
  connectionId: number | null;
  frequencyMinutes: number | null;
  enabled: boolean;
  lastPush: {
    id: number;
    status: string;
    startedAt: Date;
    finishedAt: Date | null;
    rows: number | null;
    error: string | null;
  } | null;
}
