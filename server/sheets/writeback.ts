import type { sheets_v4 } from '@googleapis/sheets';
import { utf8Length, type ResultData } from '../../client-contract/cells.ts';
import {
  a1,
  chunkRows,
  clearPlan,
  gridCheck,
  planSheet,
  sheetRows,
  type SheetPlan,
  type SheetValue,
} from '../../client-contract/sheetsPlan.ts';
import { AppError } from '../lib/errors.ts';
import type { WriteBudget } from '../state/sheetsBudget.ts';

/**
 * Server-side writeback: a query result into one sheet of a Google spreadsheet with the Sheets API v4
 * (the googleapis client; a service account in production, a stand-in in tests, reached through rootUrl).
 * The same plan as the Apps Script module: header in row 1, values written in as few requests as the
 * 2 MB guideline allows (values.batchUpdate, RAW), dates as serial numbers with a date format.
 *
 * Google's rules it keeps (docs/google-sheets.md):
 * - the grid: a sheet has rows × columns (a new one 1000 × 26) and a write past it is refused, so the grid
 *   is sized first — a sheet exact-sync adds gets exactly what it needs, an existing one only grows;
 * - 10 million cells a spreadsheet, counted as the grid cells of all its sheets: checked before anything
 *   is written;
 * - it owns only what it wrote (the extent of the previous push): growing into cells in use is refused
 *   before anything is written, a column the user added beside the data with a formula on every row has
 *   that formula filled down to new rows, and only the old extent is cleared;
 * - 60 write requests a minute for the service account: every write takes one from the shared budget,
 *   and 429, 5xx and dropped connections are retried with exponential backoff up to 64 s a wait
 *   (Retry-After honoured) for as long as `maxWaitMs` (two quota minutes by default).
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
export interface PushOptions {
  sleep?: (ms: number) => Promise<void>;
  /** The shared write budget (absent: no budget, only the retries). */
  budget?: WriteBudget;
  /** How long retries may wait in all before the push gives up. */
  maxWaitMs?: number;
}

/** Google's advice: exponential backoff, each wait at most 64 s (developers.google.com/sheets/api/limits). */
const MAX_BACKOFF_MS = 64_000;
const DEFAULT_MAX_WAIT_MS = 150_000;
const NETWORK = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

export function googleErrorMessage(err: unknown): { status: number; message: string; retryAfterMs?: number } {
  const e = err as {
    status?: number;
    code?: number | string;
    response?: {
      status?: number;
      headers?: Record<string, string> | { get?(k: string): string | null };
      data?: { error?: { message?: string; status?: string } };
    };
    message?: string;
  };
  const status = Number(e.response?.status ?? e.status ?? (typeof e.code === 'number' ? e.code : 0));
  const headers = e.response?.headers as { get?: (k: string) => string | null } & Record<string, string>;
  const retryAfter = Number(typeof headers?.get === 'function' ? headers.get('retry-after') : headers?.['retry-after']);
  return {
    status,
    message: e.response?.data?.error?.message ?? e.message ?? String(err),
    ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  };
}

/** A dropped or refused connection, a timeout: worth another try, like a 5xx. */
function isNetworkError(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: string };
  return (
    NETWORK.has(String(e.code)) || NETWORK.has(String(e.cause?.code)) || /socket hang up|network/i.test(e.message ?? '')
  );
}

/**
 * Runs a Sheets call; 429, 5xx and network errors are tried again after 1 s, 2 s, 4 s … (at most 64 s, or
 * what Retry-After says, with jitter) until `maxWaitMs` of waiting is spent.
 */
export async function withRetry<T>(
  fn: () => Promise<T>,
  counters: { retries: number },
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  maxWaitMs = DEFAULT_MAX_WAIT_MS,
): Promise<T> {
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const { status, retryAfterMs } = googleErrorMessage(err);
      // exact-sync's own errors (a refused key, say) are final; Google's 429, 5xx and the network's are not.
      const retryable =
        !(err instanceof AppError) && (status === 429 || status >= 500 || (status === 0 && isNetworkError(err)));
      const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (attempt - 1)) * (0.8 + 0.4 * Math.random());
      const wait = Math.max(retryAfterMs ?? 0, backoff);
      if (!retryable || waited + wait > maxWaitMs) throw err;
      counters.retries++;
      waited += wait;
      await sleep(wait);
    }
  }
}

type Call = <T>(fn: () => Promise<T>, o?: { write?: boolean }) => Promise<T>;

export async function pushToSheet(
  api: sheets_v4.Sheets,
  target: PushTarget,
  result: ResultData,
  previous: { rows: number; columns: number } | undefined,
  options: PushOptions = {},
): Promise<PushOutcome> {
  const counters = { retries: 0, requests: 0 };
  const call: Call = (fn, o = {}) => {
    counters.requests++;
    return withRetry(
      async () => {
        if (o.write) await options.budget?.take();
        return fn();
      },
      counters,
      options.sleep,
      options.maxWaitMs,
    );
  };
  const plan = planSheet(result);
  // Everything is read and checked first: an error here has written nothing.
  const { sheets: meta, timeZone } = await spreadsheetOf(api, target, call);
  // Instants shown on the spreadsheet's clock; dates stay their calendar day in every zone.
  const rows = sheetRows(plan, timeZone);
  const need = { rows: rows.length + 1, columns: plan.header.length };
  const found = meta.find((s) => s.properties?.title === target.sheet)?.properties;
  const grid = found
    ? { rows: found.gridProperties?.rowCount ?? 0, columns: found.gridProperties?.columnCount ?? 0 }
    : undefined;
  const others = meta
    .filter((s) => s.properties?.title !== target.sheet)
    .reduce(
      (n, s) => n + (s.properties?.gridProperties?.rowCount ?? 0) * (s.properties?.gridProperties?.columnCount ?? 0),
      0,
    );
  const check = gridCheck(need, grid, others);
  if ('error' in check) throw new AppError('too_many_cells', check.error, { status: 400 });
  const extent = previous ?? { rows: 0, columns: 0 };
  const user = grid ? await userArea(api, target, extent, need, grid, call) : { fill: [] };

  const sheetId = found?.sheetId ?? (await addSheet(api, target, check.grid, call));
  await call(
    () =>
      api.spreadsheets.batchUpdate({
        spreadsheetId: target.spreadsheetId,
        requestBody: { requests: gridRequests(sheetId, check.grid, grid) },
      }),
    { write: true },
  );
  await writeValues(api, target, plan.header, rows, call);
  const requests = [...formatsOf(plan, sheetId, rows.length), ...fillDown(sheetId, user.fill, extent.rows, need.rows)];
  if (requests.length)
    await call(() => api.spreadsheets.batchUpdate({ spreadsheetId: target.spreadsheetId, requestBody: { requests } }), {
      write: true,
    });
  const clears = clearPlan(need.rows, need.columns, extent.rows, extent.columns).map((c) =>
    a1(target.sheet, c.row, c.column, c.rows, c.columns),
  );
  if (clears.length)
    await call(
      () =>
        api.spreadsheets.values.batchClear({ spreadsheetId: target.spreadsheetId, requestBody: { ranges: clears } }),
      { write: true },
    );
  return { rows: rows.length, columns: need.columns, requests: counters.requests, retries: counters.retries };
}

/** The spreadsheet's time zone and sheets (title, id, grid); clear errors for a missing spreadsheet or a refused permission. */
async function spreadsheetOf(api: sheets_v4.Sheets, target: PushTarget, call: Call) {
  try {
    const meta = await call(() =>
      api.spreadsheets.get({
        spreadsheetId: target.spreadsheetId,
        fields: 'properties.timeZone,sheets.properties(sheetId,title,gridProperties(rowCount,columnCount))',
      }),
    );
    return { sheets: meta.data.sheets ?? [], timeZone: meta.data.properties?.timeZone ?? undefined };
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
}

/** Adds the sheet with the grid it needs (not Google's 1000 × 26: wider than needed counts against 10M cells). */
async function addSheet(
  api: sheets_v4.Sheets,
  target: PushTarget,
  grid: { rows: number; columns: number },
  call: Call,
): Promise<number | undefined> {
  const added = await call(
    () =>
      api.spreadsheets.batchUpdate({
        spreadsheetId: target.spreadsheetId,
        requestBody: {
          requests: [
            {
              addSheet: {
                properties: { title: target.sheet, gridProperties: { rowCount: grid.rows, columnCount: grid.columns } },
              },
            },
          ],
        },
      }),
    { write: true },
  );
  return added.data.replies?.[0]?.addSheet?.properties?.sheetId ?? undefined;
}

/** The grid as the plan wants it (only what changes), and the frozen header. */
function gridRequests(
  sheetId: number | undefined,
  want: { rows: number; columns: number },
  had: { rows: number; columns: number } | undefined,
): sheets_v4.Schema$Request[] {
  const fields = ['gridProperties.frozenRowCount'];
  if (had && want.rows !== had.rows) fields.push('gridProperties.rowCount');
  if (had && want.columns !== had.columns) fields.push('gridProperties.columnCount');
  return [
    {
      updateSheetProperties: {
        properties: {
          sheetId,
          gridProperties: { frozenRowCount: 1, rowCount: want.rows, columnCount: want.columns },
        },
        fields: fields.join(','),
      },
    },
  ];
}

/**
 * What lies beyond the previous push's extent, where this one writes: it must be empty (else the push is
 * refused before writing, naming the cells). And the user's columns right of the extent that hold a
 * formula on every data row: those are filled down to the new rows.
 */
async function userArea(
  api: sheets_v4.Sheets,
  target: PushTarget,
  extent: { rows: number; columns: number },
  need: { rows: number; columns: number },
  grid: { rows: number; columns: number },
  call: Call,
): Promise<{ fill: number[] }> {
  const ranges: string[] = [];
  const rowsIn = Math.min(need.rows, grid.rows);
  // To the right of the old extent, where this push's columns now reach.
  if (need.columns > extent.columns)
    ranges.push(a1(target.sheet, 1, extent.columns + 1, rowsIn, Math.min(need.columns, grid.columns) - extent.columns));
  // Below the old extent, in the old columns.
  if (need.rows > extent.rows && extent.columns > 0 && extent.rows < grid.rows)
    ranges.push(a1(target.sheet, extent.rows + 1, 1, rowsIn - extent.rows, Math.min(extent.columns, need.columns)));
  // The user's columns beside the old data (to fill their formulas down).
  const besides =
    extent.columns > 0 && extent.rows > 1 && extent.columns < grid.columns && need.columns <= extent.columns;
  if (besides) ranges.push(a1(target.sheet, 2, extent.columns + 1, extent.rows - 1, grid.columns - extent.columns));
  if (ranges.length === 0) return { fill: [] };
  const got = await call(() =>
    api.spreadsheets.values.batchGet({ spreadsheetId: target.spreadsheetId, ranges, valueRenderOption: 'FORMULA' }),
  );
  const blocks = got.data.valueRanges ?? [];
  const checked = besides ? blocks.slice(0, -1) : blocks;
  checked.forEach((b, i) => {
    if ((b.values ?? []).some((r) => r.some((v) => v !== '' && v !== null)))
      throw new AppError(
        'cells_in_use',
        `The result needs the cells ${ranges[i]}, and some are in use: move them (or empty them), then push again. Nothing was written.`,
        { status: 409 },
      );
  });
  if (!besides) return { fill: [] };
  const values = blocks.at(-1)?.values ?? [];
  const width = Math.max(0, ...values.map((r) => r.length));
  const fill = Array.from({ length: width }, (_, j) => j).filter((j) =>
    Array.from({ length: extent.rows - 1 }, (_, i) => values[i]?.[j]).every(
      (v) => typeof v === 'string' && v.startsWith('='),
    ),
  );
  return { fill: fill.map((j) => extent.columns + j) };
}

/** Copies each user formula column's last old row down to the new rows (Google moves relative references). */
function fillDown(
  sheetId: number | undefined,
  columns: number[],
  oldRows: number,
  newRows: number,
): sheets_v4.Schema$Request[] {
  if (newRows <= oldRows) return [];
  return columns.map((c) => ({
    copyPaste: {
      source: { sheetId, startRowIndex: oldRows - 1, endRowIndex: oldRows, startColumnIndex: c, endColumnIndex: c + 1 },
      destination: {
        sheetId,
        startRowIndex: oldRows,
        endRowIndex: newRows,
        startColumnIndex: c,
        endColumnIndex: c + 1,
      },
      pasteType: 'PASTE_NORMAL',
    },
  }));
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
    await call(
      () =>
        api.spreadsheets.values.batchUpdate({
          spreadsheetId: target.spreadsheetId,
          requestBody: { valueInputOption: 'RAW', data },
        }),
      { write: true },
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
