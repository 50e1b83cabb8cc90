import type { sheets_v4 } from '@googleapis/sheets';
import { utf8Length, type ResultData } from '../../client-contract/cells.ts';
import {
  a1,
  checkSize,
  chunkRows,
  clearPlan,
  planSheet,
  sheetRows,
  type SheetPlan,
  type SheetValue,
} from '../../client-contract/sheetsPlan.ts';
import { AppError } from '../lib/errors.ts';

/**
 * Server-side writeback: a query result into one sheet of a Google spreadsheet with the Sheets API v4
 * (the googleapis client; a service account in production, a stand-in in tests, reached through rootUrl).
 * The same plan as the Apps Script module (apps-script/src/plan.ts): header in row 1, values written in
 * as few requests as the 2 MB guideline allows (values.batchUpdate, RAW), dates as serial numbers with a
 * date format, what the previous push left below or to the right cleared. 429 and 5xx are retried with
 * backoff; a missing spreadsheet or a refused permission ends with a clear error before anything is written.
 */

export interface PushTarget {
  spreadsheetId: string;
  sheet: string;
}
export interface PushOutcome {
  rows: number;
  columns: number;
  requests: number;
  retries: number;
}

const RETRIES = 5;

export function googleErrorMessage(err: unknown): { status: number; message: string } {
  const e = err as {
    status?: number;
    code?: number | string;
    response?: { status?: number; data?: { error?: { message?: string; status?: string } } };
    message?: string;
  };
  const status = Number(e.response?.status ?? e.status ?? (typeof e.code === 'number' ? e.code : 0));
  return { status, message: e.response?.data?.error?.message ?? e.message ?? String(err) };
}

/** Runs a Sheets call, retrying 429 and 5xx with exponential backoff (0.5 s, 1 s, 2 s … with jitter). */
export async function withRetry<T>(
  fn: () => Promise<T>,
  counters: { retries: number },
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const { status } = googleErrorMessage(err);
      if (attempt > RETRIES || !(status === 429 || status >= 500)) throw err;
      counters.retries++;
      await sleep(Math.min(30_000, 500 * 2 ** (attempt - 1)) * (0.8 + 0.4 * Math.random()));
    }
  }
}

export async function pushToSheet(
  api: sheets_v4.Sheets,
  target: PushTarget,
  result: ResultData,
  previous: { rows: number; columns: number } | undefined,
  options: { sleep?: (ms: number) => Promise<void> } = {},
): Promise<PushOutcome> {
  const counters = { retries: 0, requests: 0 };
  const call = <T>(fn: () => Promise<T>) => {
    counters.requests++;
    return withRetry(fn, counters, options.sleep);
  };
  const plan = planSheet(result);
  const width = plan.header.length;
  const tooBig = checkSize(plan.rows.length, width);
  if (tooBig) throw new AppError('too_many_cells', tooBig, { status: 400 });

  // The spreadsheet and the sheet: found first, so an error here has touched nothing.
  const sheetId = await sheetIdOf(api, target, call);

  const rows = sheetRows(plan);
  await writeValues(api, target, plan.header, rows, call);

  // Number formats per column, and what the previous push left over.
  const formatRequests = formatsOf(plan, sheetId, rows.length);
  formatRequests.push({
    updateSheetProperties: {
      properties: { sheetId, gridProperties: { frozenRowCount: 1 } },
      fields: 'gridProperties.frozenRowCount',
    },
  });
  await call(() =>
    api.spreadsheets.batchUpdate({ spreadsheetId: target.spreadsheetId, requestBody: { requests: formatRequests } }),
  );
  const clears = clearPlan(rows.length + 1, width, previous?.rows ?? 0, previous?.columns ?? 0).map((c) =>
    a1(target.sheet, c.row, c.column, c.rows, c.columns),
  );
  if (clears.length)
    await call(() =>
      api.spreadsheets.values.batchClear({ spreadsheetId: target.spreadsheetId, requestBody: { ranges: clears } }),
    );
  return { rows: rows.length, columns: width, requests: counters.requests, retries: counters.retries };
}

type Call = <T>(fn: () => Promise<T>) => Promise<T>;

/** The sheet's id, the sheet added when the spreadsheet has none of that name; clear errors for the spreadsheet. */
async function sheetIdOf(api: sheets_v4.Sheets, target: { spreadsheetId: string; sheet: string }, call: Call) {
  let meta;
  try {
    meta = await call(() =>
      api.spreadsheets.get({ spreadsheetId: target.spreadsheetId, fields: 'sheets.properties(sheetId,title)' }),
    );
  } catch (err) {
    const { status, message } = googleErrorMessage(err);
    if (status === 404)
      throw new AppError(
        'spreadsheet_not_found',
        `Google has no spreadsheet ${target.spreadsheetId} (or it is in a trash): ${message}`,
        { status: 404 },
      );
    if (status === 403)
      throw new AppError(
        'spreadsheet_forbidden',
        `The service account may not open spreadsheet ${target.spreadsheetId}: share it with the service account's e-mail address as an editor. (${message})`,
        { status: 403 },
      );
    throw new AppError('sheets_failed', `Google Sheets refused: ${message}`, { status: 502 });
  }
  let sheetId: number | undefined =
    meta.data.sheets?.find((s) => s.properties?.title === target.sheet)?.properties?.sheetId ?? undefined;
  if (sheetId === undefined) {
    const added = await call(() =>
      api.spreadsheets.batchUpdate({
        spreadsheetId: target.spreadsheetId,
        requestBody: { requests: [{ addSheet: { properties: { title: target.sheet } } }] },
      }),
    );
    sheetId = added.data.replies?.[0]?.addSheet?.properties?.sheetId ?? undefined;
  }
  return sheetId;
}

/** Header and rows, chunked by size, several ranges per values.batchUpdate under Google's 2 MB guideline. */
async function writeValues(
  api: sheets_v4.Sheets,
  target: { spreadsheetId: string; sheet: string },
  header: string[],
  rows: SheetValue[][],
  call: Call,
): Promise<void> {
  const width = header.length;
  const blocks: sheets_v4.Schema$ValueRange[] = [{ range: a1(target.sheet, 1, 1, 1, width), values: [header] }];
  for (const [a, b] of chunkRows(rows))
    blocks.push({ range: a1(target.sheet, 2 + a, 1, b - a, width), values: rows.slice(a, b) });
  let batch: sheets_v4.Schema$ValueRange[] = [];
  let bytes = 0;
  const flush = async () => {
    if (!batch.length) return;
    const data = batch;
    batch = [];
    bytes = 0;
    await call(() =>
      api.spreadsheets.values.batchUpdate({
        spreadsheetId: target.spreadsheetId,
        requestBody: { valueInputOption: 'RAW', data },
      }),
    );
  };
  for (const block of blocks) {
    const size = utf8Length(JSON.stringify(block.values));
    if (bytes + size > 2_000_000) await flush();
    batch.push(block);
    bytes += size;
  }
  await flush();
}

/** A number format per column (text as text, dates as dates), on the rows written. */
function formatsOf(plan: SheetPlan, sheetId: number | undefined, rowCount: number): sheets_v4.Schema$Request[] {
  return plan.formats.flatMap((pattern, i) =>
    pattern && rowCount
      ? [
          {
            repeatCell: {
              range: {
                sheetId,
                startRowIndex: 1,
                endRowIndex: 1 + rowCount,
                startColumnIndex: i,
                endColumnIndex: i + 1,
              },
              cell: {
                userEnteredFormat: {
                  numberFormat: {
                    type: pattern === '@' ? 'TEXT' : plan.dateColumns.includes(i) ? 'DATE_TIME' : 'NUMBER',
                    pattern,
                  },
                },
              },
              fields: 'userEnteredFormat.numberFormat',
            },
          },
        ]
      : [],
  );
}
