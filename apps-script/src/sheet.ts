import type { QueryResult } from '../../server/api/types.ts';
import { checkSize, chunkRows, clearPlan, planSheet, sheetRows } from '../../client-contract/sheetsPlan.ts';

/**
 * Writing a result into a sheet with SpreadsheetApp: the header (bold, frozen), the rows in chunks,
 * a number format per column, dates as dates, what the previous pull left below or to the right cleared,
 * and a note on A1 saying when and from what the data was pulled. What each sheet came from is kept in
 * the document's properties, so "Refresh all" knows.
 */

export interface SheetSource {
  kind: 'table' | 'query';
  table?: string;
  queryId?: number;
  sql?: string;
  label: string;
}

const SOURCE_PREFIX = 'exact-sync.sheet.';

export function writeResult(
  sheet: GoogleAppsScript.Spreadsheet.Sheet,
  result: QueryResult,
  source: SheetSource,
): number {
  const plan = planSheet(result);
  const width = plan.header.length;
  const tooBig = checkSize(plan.rows.length, width);
  if (tooBig) throw new Error(tooBig);
  const oldRows = sheet.getLastRow();
  const oldColumns = sheet.getLastColumn();
  // Dates as serial numbers with a date format, as the server's writeback and Excel write them: a serial
  // is the same day in every spreadsheet time zone, where a Date object (new Date('2024-01-01') is UTC
  // midnight) would show the previous day west of Greenwich.
  const rows = sheetRows(plan);
  sheet.getRange(1, 1, 1, width).setValues([plan.header]).setFontWeight('bold');
  sheet.setFrozenRows(1);
  if (rows.length) {
    plan.formats.forEach((f, i) => {
      if (f) sheet.getRange(2, i + 1, rows.length, 1).setNumberFormat(f);
    });
    for (const [a, b] of chunkRows(plan.rows)) sheet.getRange(2 + a, 1, b - a, width).setValues(rows.slice(a, b));
  }
  for (const c of clearPlan(rows.length + 1, width, oldRows, oldColumns))
    sheet.getRange(c.row, c.column, c.rows, c.columns).clearContent();
  sheet
    .getRange(1, 1)
    .setNote(
      `Pulled from exact-sync (${source.label}) on ${new Date().toISOString().replace('T', ' ').slice(0, 16)} UTC: ${rows.length} rows. Exact Online → Refresh this sheet pulls it again.`,
    );
  PropertiesService.getDocumentProperties().setProperty(SOURCE_PREFIX + sheet.getSheetId(), JSON.stringify(source));
  return rows.length;
}

export function sourceOf(sheet: GoogleAppsScript.Spreadsheet.Sheet): SheetSource | undefined {
  const text = PropertiesService.getDocumentProperties().getProperty(SOURCE_PREFIX + sheet.getSheetId());
  return text ? (JSON.parse(text) as SheetSource) : undefined;
}

/** A sheet name not in use: `wanted`, or `wanted (2)`, …, at most 100 characters. */
export function freeSheetName(spreadsheet: GoogleAppsScript.Spreadsheet.Spreadsheet, wanted: string): string {
  const base = wanted.slice(0, 90) || 'exact-sync';
  if (!spreadsheet.getSheetByName(base)) return base;
  for (let n = 2; ; n++) if (!spreadsheet.getSheetByName(`${base} (${n})`)) return `${base} (${n})`;
}
