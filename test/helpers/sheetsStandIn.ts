import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

/**
 * A local stand-in of the Google Sheets API v4 endpoints the writeback uses (spreadsheets.get,
 * spreadsheets.batchUpdate, values.batchUpdate, values.batchClear), with Google's error shapes
 * ({error: {code, message, status}}), its 10-million-cell limit per spreadsheet and a 10 MB request limit,
 * a bearer token required, and injectable failures (429, 5xx) on the next requests.
 */

export const REQUEST_LIMIT = 10 * 1024 * 1024;

interface Sheet {
  sheetId: number;
  title: string;
  cells: Map<string, unknown>;
  formats: Map<number, string>;
  frozen: number;
}
interface Book {
  sheets: Sheet[];
}

const googleError = (res: express.Response, code: number, status: string, message: string) =>
  res.status(code).json({ error: { code, message, status } });

function parseA1(range: string): { title: string; r0: number; c0: number; r1: number; c1: number } {
  const m = /^'((?:[^']|'')+)'!([A-Z]+)(\d+):([A-Z]+)(\d+)$/.exec(range);
  if (!m) throw new Error(`Unable to parse range: ${range}`);
  const col = (s: string) => [...s].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
  return { title: m[1]!.replace(/''/g, "'"), r0: Number(m[3]), c0: col(m[2]!), r1: Number(m[5]), c1: col(m[4]!) };
}

export interface SheetsStandIn {
  url: string;
  books: Map<string, Book>;
  forbidden: Set<string>;
  /** Failures to answer with, in order, on the next requests whose path matches. */
  failNext: { path: RegExp; status: number }[];
  /** Size of each request body. */
  requests: { path: string; bytes: number }[];
  /** The Authorization header of the last request (a self-signed JWT from a service account). */
  lastAuthorization?: string | undefined;
  values(id: string, title: string): unknown[][];
  close(): Promise<void>;
}

export async function startSheetsStandIn(): Promise<SheetsStandIn> {
  const books = new Map<string, Book>();
  const state: Omit<SheetsStandIn, 'url' | 'close'> = {
    books,
    forbidden: new Set(),
    failNext: [],
    requests: [],
    values(id, title) {
      const sheet = books.get(id)!.sheets.find((s) => s.title === title)!;
      let rows = 0;
      let cols = 0;
      for (const [k, v] of sheet.cells)
        if (v !== '') {
          const [r, c] = k.split(',').map(Number) as [number, number];
          rows = Math.max(rows, r);
          cols = Math.max(cols, c);
        }
      return Array.from({ length: rows }, (_, r) =>
        Array.from({ length: cols }, (_, c) => sheet.cells.get(`${r + 1},${c + 1}`) ?? ''),
      );
    },
  };
  const app = express();
  app.use(express.raw({ type: '*/*', limit: REQUEST_LIMIT * 2 }));
  app.use(gatekeeper(state));
  app.get(/^\/v4\/spreadsheets\/[^/:]+$/, (req, res) => {
    res.json({ sheets: book(books, req).sheets.map((s) => ({ properties: { sheetId: s.sheetId, title: s.title } })) });
  });
  app.post(/^\/v4\/spreadsheets\/[^/:]+\/values:batchUpdate$/, (req, res) =>
    valuesBatchUpdate(book(books, req), req, res),
  );
  app.post(/^\/v4\/spreadsheets\/[^/:]+\/values:batchClear$/, (req, res) =>
    valuesBatchClear(book(books, req), req, res),
  );
  app.post(/^\/v4\/spreadsheets\/[^/:]+:batchUpdate$/, (req, res) => batchUpdate(book(books, req), req, res));
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  });
}

const book = (books: Map<string, Book>, req: express.Request) =>
  books.get(/^\/v4\/spreadsheets\/([^/:]+)/.exec(req.path)![1]!)!;
const body = (req: express.Request) => (req as unknown as { json: Record<string, unknown> }).json;
const cellCount = (b: Book) => b.sheets.reduce((n, s) => n + s.cells.size, 0);

/** Every request: recorded, authenticated, within the size limit, failed on request, and its spreadsheet found. */
function gatekeeper(state: Omit<SheetsStandIn, 'url' | 'close'>): express.RequestHandler {
  const books = state.books;
  return (req, res, next) => {
    const bytes = (req.body as Buffer | undefined)?.length ?? 0;
    state.requests.push({ path: req.path, bytes });
    state.lastAuthorization = req.headers.authorization;
    if (!/^Bearer .+/.test(req.headers.authorization ?? ''))
      return googleError(res, 401, 'UNAUTHENTICATED', 'Request is missing required authentication credential.');
    if (bytes > REQUEST_LIMIT)
      return googleError(res, 400, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit: 10485760 bytes.');
    const index = state.failNext.findIndex((f) => f.path.test(req.path));
    const fail = index < 0 ? undefined : state.failNext.splice(index, 1)[0]!.status;
    if (fail)
      return googleError(
        res,
        fail,
        fail === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE',
        fail === 429
          ? "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user'."
          : 'The service is currently unavailable.',
      );
    const id = /^\/v4\/spreadsheets\/([^/:]+)/.exec(req.path)?.[1];
    if (id && state.forbidden.has(id))
      return googleError(res, 403, 'PERMISSION_DENIED', 'The caller does not have permission');
    if (id && !books.has(id)) return googleError(res, 404, 'NOT_FOUND', 'Requested entity was not found.');
    (req as unknown as { json: unknown }).json = bytes ? JSON.parse((req.body as Buffer).toString('utf8')) : undefined;
    next();
  };
}

/** values.batchUpdate: each range written, refused past its declared size or the 10-million-cell limit. */
function valuesBatchUpdate(b: Book, req: express.Request, res: express.Response) {
  const data = body(req).data as { range: string; values: unknown[][] }[];
  for (const d of data) {
    const r = parseA1(d.range);
    const sheet = b.sheets.find((s) => s.title === r.title);
    if (!sheet) return googleError(res, 400, 'INVALID_ARGUMENT', `Unable to parse range: ${d.range}`);
    if (d.values.length > r.r1 - r.r0 + 1 || d.values.some((row) => row.length > r.c1 - r.c0 + 1))
      return googleError(
        res,
        400,
        'INVALID_ARGUMENT',
        `Requested writing within range [${d.range}], but tried writing to row [${r.r0 + d.values.length - 1}]`,
      );
    d.values.forEach((row, i) => row.forEach((v, j) => sheet.cells.set(`${r.r0 + i},${r.c0 + j}`, v)));
    if (cellCount(b) > 10_000_000)
      return googleError(
        res,
        400,
        'INVALID_ARGUMENT',
        'This action would increase the number of cells in the workbook above the limit of 10000000 cells.',
      );
  }
  res.json({ spreadsheetId: 'x', totalUpdatedRows: data.reduce((n, d) => n + d.values.length, 0) });
}

/** values.batchClear: every cell of each range emptied. */
function valuesBatchClear(b: Book, req: express.Request, res: express.Response) {
  for (const range of body(req).ranges as string[]) {
    const r = parseA1(range);
    const sheet = b.sheets.find((s) => s.title === r.title)!;
    for (let i = r.r0; i <= r.r1; i++) for (let j = r.c0; j <= r.c1; j++) sheet.cells.delete(`${i},${j}`);
  }
  res.json({ clearedRanges: body(req).ranges });
}

/** spreadsheets.batchUpdate: addSheet, repeatCell (number formats), updateSheetProperties (frozen rows). */
function batchUpdate(b: Book, req: express.Request, res: express.Response) {
  const replies: unknown[] = [];
  for (const r of body(req).requests as Record<string, any>[]) {
    if (r.addSheet) {
      const sheet: Sheet = {
        sheetId: b.sheets.length + 100,
        title: r.addSheet.properties.title,
        cells: new Map(),
        formats: new Map(),
        frozen: 0,
      };
      b.sheets.push(sheet);
      replies.push({ addSheet: { properties: { sheetId: sheet.sheetId, title: sheet.title } } });
    } else if (r.repeatCell) {
      const sheet = b.sheets.find((s) => s.sheetId === r.repeatCell.range.sheetId);
      if (!sheet) return googleError(res, 400, 'INVALID_ARGUMENT', `No grid with id: ${r.repeatCell.range.sheetId}`);
      sheet.formats.set(r.repeatCell.range.startColumnIndex, r.repeatCell.cell.userEnteredFormat.numberFormat.pattern);
      replies.push({});
    } else if (r.updateSheetProperties) {
      const sheet = b.sheets.find((s) => s.sheetId === r.updateSheetProperties.properties.sheetId)!;
      sheet.frozen = r.updateSheetProperties.properties.gridProperties.frozenRowCount;
      replies.push({});
    } else return googleError(res, 400, 'INVALID_ARGUMENT', `Unsupported request: ${Object.keys(r)[0]}`);
  }
  res.json({ replies });
}
