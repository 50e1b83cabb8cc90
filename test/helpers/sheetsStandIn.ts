import { createVerify, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';

/**
 * A local stand-in of the Google Sheets API v4 endpoints the writeback uses (spreadsheets.get,
 * spreadsheets.batchUpdate, values.batchGet, values.batchUpdate, values.batchClear), with Google's rules:
 * - errors in Google's shape ({error: {code, message, status}});
 * - OAuth 2.0 for a service account (Google, "Using OAuth 2.0 for Server to Server Applications"): POST
 *   /token takes a JWT assertion (grant_type jwt-bearer) signed RS256 by a key it knows (by kid), with
 *   iss, scope, aud = this token URL and at most an hour's life, and answers an access token; every API
 *   call needs `Bearer` with a token it issued (or one a test registered): anything else is 401;
 * - every sheet has a grid (rows × columns; a new sheet 1000 × 26, AddSheetRequest's defaults as the
 *   Sheets UI and API make them); writing, clearing or formatting past it is refused with Google's
 *   "Range (…) exceeds grid limits. Max rows: 1000, max columns: 26" (reported in pygsheets #124 and
 *   home-assistant #104198); updateSheetProperties (gridProperties.rowCount/columnCount, by field mask)
 *   and appendDimension change the grid, shrinking drops what is cut off;
 * - a spreadsheet holds at most 10,000,000 cells, counted as grid cells of all its sheets (Google Drive
 *   help, "Files you can store in Google Drive": "up to 10 million cells ... for spreadsheets");
 * - "All Sheets requests are applied atomically": a batch with one bad request changes nothing
 *   (developers.google.com/sheets/api/limits);
 * - write requests (update, clear, batchUpdate) are counted per minute: past `writesPerMinute` (Google:
 *   60 per minute per user per project) they get 429 RESOURCE_EXHAUSTED until the window refills
 *   (developers.google.com/sheets/api/limits); `now` gives the stand-in a test's virtual clock (a client
 *   whose backoff sleeps advance it), `windowMs` a shorter minute;
 * - a 10 MB request limit here (Google recommends 2 MB and names no hard limit: the stricter side);
 * - injectable failures (429, 5xx, a dropped connection) on the next requests.
 */

export const REQUEST_LIMIT = 10 * 1024 * 1024;
export const CELL_LIMIT = 10_000_000;
export const NEW_SHEET_ROWS = 1000;
export const NEW_SHEET_COLUMNS = 26;

export interface StandInSheet {
  sheetId: number;
  title: string;
  cells: Map<string, unknown>;
  formats: Map<number, string>;
  frozen: number;
  /** The grid; absent: a new sheet's 1000 × 26. */
  rowCount?: number;
  columnCount?: number;
}
interface Book {
  sheets: StandInSheet[];
  /** The spreadsheet's time zone (properties.timeZone; a new spreadsheet gets its creator's). */
  timeZone?: string;
}

const googleError = (res: express.Response, code: number, status: string, message: string) =>
  res.status(code).json({ error: { code, message, status } });

class Refusal extends Error {
  readonly code: number;
  readonly status: string;
  constructor(message: string, code = 400, status = 'INVALID_ARGUMENT') {
    super(message);
    this.code = code;
    this.status = status;
  }
}

export const gridOf = (s: StandInSheet) => ({
  rows: s.rowCount ?? NEW_SHEET_ROWS,
  columns: s.columnCount ?? NEW_SHEET_COLUMNS,
});

function parseA1(range: string): { title: string; r0: number; c0: number; r1: number; c1: number } {
  const m = /^'((?:[^']|'')+)'!([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?$/.exec(range);
  if (!m) throw new Refusal(`Unable to parse range: ${range}`);
  const col = (s: string) => [...s].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
  return {
    title: m[1]!.replace(/''/g, "'"),
    r0: Number(m[3]),
    c0: col(m[2]!),
    r1: Number(m[5] ?? m[3]),
    c1: col(m[4] ?? m[2]!),
  };
}

export interface SheetsStandIn {
  url: string;
  books: Map<string, Book>;
  forbidden: Set<string>;
  /** Failures to answer with, in order, on the next requests whose path matches (0: the connection dropped). */
  failNext: { path: RegExp; status: number }[];
  /** Size of each request body, and whether it was a write. */
  requests: { path: string; bytes: number; write: boolean; status?: number }[];
  /** The Authorization header of the last request (a self-signed JWT from a service account). */
  lastAuthorization?: string | undefined;
  /** Service-account public keys by key id (what Google knows of each key), and the tokens issued. */
  serviceAccounts: Map<string, { email: string; publicKey: string }>;
  tokens: Set<string>;
  /** Google's per-minute write quota: the writes a window takes, and the window's length. */
  quota: { writesPerMinute: number; windowMs: number };
  values(id: string, title: string): unknown[][];
  sheet(id: string, title: string): StandInSheet;
  close(): Promise<void>;
}

export async function startSheetsStandIn(
  quota: { writesPerMinute?: number; windowMs?: number; now?: () => number } = {},
): Promise<SheetsStandIn> {
  const books = new Map<string, Book>();
  const state: Omit<SheetsStandIn, 'url' | 'close'> = {
    books,
    forbidden: new Set(),
    failNext: [],
    requests: [],
    serviceAccounts: new Map(),
    tokens: new Set(),
    quota: { writesPerMinute: quota.writesPerMinute ?? 60, windowMs: quota.windowMs ?? 60_000 },
    sheet(id, title) {
      const s = books.get(id)?.sheets.find((x) => x.title === title);
      if (!s) throw new Error(`no sheet ${title} in ${id}`);
      return s;
    },
    values(id, title) {
      const sheet = state.sheet(id, title);
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
  let url = '';
  app.post('/token', express.urlencoded({ extended: false }), (req, res) =>
    tokenExchange(state, `${url}/token`, req, res),
  );
  app.use(express.raw({ type: '*/*', limit: REQUEST_LIMIT * 2 }));
  app.use(gatekeeper(state, quota.now ?? Date.now));
  app.get(/^\/v4\/spreadsheets\/[^/:]+$/, (req, res) => {
    res.json({
      properties: { timeZone: book(books, req).timeZone ?? 'America/Los_Angeles' },
      sheets: book(books, req).sheets.map((s) => ({
        properties: {
          sheetId: s.sheetId,
          title: s.title,
          gridProperties: { rowCount: gridOf(s).rows, columnCount: gridOf(s).columns },
        },
      })),
    });
  });
  app.get(/^\/v4\/spreadsheets\/[^/:]+\/values:batchGet$/, (req, res) =>
    atomic(res, () => batchGet(book(books, req), req)),
  );
  // Values requests check every range before changing any; batchUpdate runs on a copy kept only when all succeeded.
  app.post(/^\/v4\/spreadsheets\/[^/:]+\/values:batchUpdate$/, (req, res) =>
    atomic(res, () => valuesBatchUpdate(book(books, req), req)),
  );
  app.post(/^\/v4\/spreadsheets\/[^/:]+\/values:batchClear$/, (req, res) =>
    atomic(res, () => valuesBatchClear(book(books, req), req)),
  );
  app.post(/^\/v4\/spreadsheets\/[^/:]+:batchUpdate$/, (req, res) =>
    atomic(res, () => batchUpdate(book(books, req), req), book(books, req)),
  );
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  return Object.assign(state, {
    url,
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

/** Runs a request on a copy of the spreadsheet, kept only when every part succeeded (Google's atomic batches). */
function atomic(res: express.Response, run: () => unknown, b?: Book): void {
  const before = b ? b.sheets.map((s) => ({ ...s, cells: new Map(s.cells), formats: new Map(s.formats) })) : undefined;
  try {
    res.json(run());
  } catch (err) {
    if (b && before) b.sheets = before;
    if (err instanceof Refusal) googleError(res, err.code, err.status, err.message);
    else throw err;
  }
}

/** Every request: recorded, authenticated, within the size limit and the write quota, failed on request, its spreadsheet found. */
function gatekeeper(state: Omit<SheetsStandIn, 'url' | 'close'>, now: () => number): express.RequestHandler {
  const books = state.books;
  const window = { start: now(), writes: 0 };
  return (req, res, next) => {
    const bytes = (req.body as Buffer | undefined)?.length ?? 0;
    const write = req.method === 'POST';
    const record = { path: req.path, bytes, write } as SheetsStandIn['requests'][number];
    state.requests.push(record);
    res.on('finish', () => (record.status = res.statusCode));
    state.lastAuthorization = req.headers.authorization;
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !state.tokens.has(token))
      return googleError(
        res,
        401,
        'UNAUTHENTICATED',
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
      );
    if (bytes > REQUEST_LIMIT)
      return googleError(res, 400, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit: 10485760 bytes.');
    const index = state.failNext.findIndex((f) => f.path.test(req.path));
    const fail = index < 0 ? undefined : state.failNext.splice(index, 1)[0]!.status;
    if (fail === 0) return req.socket.destroy();
    if (fail) return injected(res, fail);
    if (write) {
      if (now() - window.start >= state.quota.windowMs) Object.assign(window, { start: now(), writes: 0 });
      if (++window.writes > state.quota.writesPerMinute) return injected(res, 429);
    }
    const id = /^\/v4\/spreadsheets\/([^/:]+)/.exec(req.path)?.[1];
    if (id && state.forbidden.has(id))
      return googleError(res, 403, 'PERMISSION_DENIED', 'The caller does not have permission');
    if (id && !books.has(id)) return googleError(res, 404, 'NOT_FOUND', 'Requested entity was not found.');
    (req as unknown as { json: unknown }).json = bytes ? JSON.parse((req.body as Buffer).toString('utf8')) : undefined;
    next();
  };
}

/** The jwt-bearer grant: the assertion checked as Google checks it, an access token in return. */
function tokenExchange(
  state: Omit<SheetsStandIn, 'url' | 'close'>,
  audience: string,
  req: express.Request,
  res: express.Response,
) {
  const refuse = (description: string) =>
    res.status(400).json({ error: 'invalid_grant', error_description: description });
  const body = req.body as Record<string, string>;
  if (body.grant_type !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
    return res.status(400).json({ error: 'unsupported_grant_type', error_description: 'Invalid grant_type' });
  const [head, claims, signature] = String(body.assertion ?? '').split('.');
  let h: { alg?: string; kid?: string };
  let c: { iss?: string; scope?: string; aud?: string; iat?: number; exp?: number };
  try {
    h = JSON.parse(Buffer.from(head!, 'base64url').toString());
    c = JSON.parse(Buffer.from(claims!, 'base64url').toString());
  } catch {
    return refuse('Invalid JWT.');
  }
  const account = state.serviceAccounts.get(h.kid ?? '');
  if (h.alg !== 'RS256' || !account) return refuse('Invalid JWT Signature.');
  const verified = createVerify('RSA-SHA256')
    .update(`${head}.${claims}`)
    .verify(account.publicKey, Buffer.from(signature ?? '', 'base64url'));
  if (!verified) return refuse('Invalid JWT Signature.');
  const now = Math.floor(Date.now() / 1000);
  if (c.iss !== account.email) return refuse('Invalid email or User ID');
  if (c.aud !== audience)
    return refuse(
      'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.',
    );
  if (!c.iat || !c.exp || c.exp - c.iat > 3600 || c.exp < now || c.iat > now + 300)
    return refuse('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
  if (!c.scope?.split(' ').includes('https://www.googleapis.com/auth/spreadsheets'))
    return res
      .status(400)
      .json({ error: 'invalid_scope', error_description: 'Invalid OAuth scope or ID token audience provided.' });
  const token = `ya29.${randomBytes(24).toString('base64url')}`;
  state.tokens.add(token);
  res.json({ access_token: token, expires_in: 3599, token_type: 'Bearer' });
}

function injected(res: express.Response, status: number) {
  return googleError(
    res,
    status,
    status === 429 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE',
    status === 429
      ? "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com'."
      : 'The service is currently unavailable.',
  );
}

/** The sheet a range names, the range checked against its grid. */
function inGrid(b: Book, range: string) {
  const r = parseA1(range);
  const sheet = b.sheets.find((s) => s.title === r.title);
  if (!sheet) throw new Refusal(`Unable to parse range: ${range}`);
  const grid = gridOf(sheet);
  if (r.r1 > grid.rows || r.c1 > grid.columns)
    throw new Refusal(`Range (${range}) exceeds grid limits. Max rows: ${grid.rows}, max columns: ${grid.columns}`);
  return { r, sheet };
}

/** values.batchGet: each range's cells as rows (trailing empty rows and cells left out, as Google does). */
function batchGet(b: Book, req: express.Request) {
  const ranges = ([] as string[]).concat((req.query.ranges as string | string[] | undefined) ?? []);
  return {
    valueRanges: ranges.map((range) => {
      const { r, sheet } = inGrid(b, range);
      const rows = Array.from({ length: r.r1 - r.r0 + 1 }, (_, i) =>
        Array.from({ length: r.c1 - r.c0 + 1 }, (_, j) => sheet.cells.get(`${r.r0 + i},${r.c0 + j}`) ?? ''),
      ).map((row) => {
        while (row.length && row.at(-1) === '') row.pop();
        return row;
      });
      while (rows.length && rows.at(-1)!.length === 0) rows.pop();
      return { range, majorDimension: 'ROWS', ...(rows.length ? { values: rows } : {}) };
    }),
  };
}

/** values.batchUpdate: each range written; refused (all of them) past its declared size or the sheet's grid. */
function valuesBatchUpdate(b: Book, req: express.Request) {
  const data = body(req).data as { range: string; values: unknown[][] }[];
  const checked = data.map((d) => {
    const { r, sheet } = inGrid(b, d.range);
    if (d.values.length > r.r1 - r.r0 + 1 || d.values.some((row) => row.length > r.c1 - r.c0 + 1))
      throw new Refusal(
        `Requested writing within range [${d.range}], but tried writing to row [${r.r0 + d.values.length - 1}]`,
      );
    return { d, r, sheet };
  });
  for (const { d, r, sheet } of checked)
    d.values.forEach((row, i) => row.forEach((v, j) => sheet.cells.set(`${r.r0 + i},${r.c0 + j}`, v)));
  return { spreadsheetId: 'x', totalUpdatedRows: data.reduce((n, d) => n + d.values.length, 0) };
}

/** values.batchClear: every cell of each range emptied (all ranges checked first). */
function valuesBatchClear(b: Book, req: express.Request) {
  const checked = (body(req).ranges as string[]).map((range) => inGrid(b, range));
  for (const { r, sheet } of checked)
    for (let i = r.r0; i <= r.r1; i++) for (let j = r.c0; j <= r.c1; j++) sheet.cells.delete(`${i},${j}`);
  return { clearedRanges: body(req).ranges };
}

/** Grid cells of every sheet: Google's 10-million-cell limit counts these. */
export const gridCells = (b: Book) => b.sheets.reduce((n, s) => n + gridOf(s).rows * gridOf(s).columns, 0);

/**
 * spreadsheets.batchUpdate: addSheet, repeatCell (number formats), updateSheetProperties (frozen rows,
 * grid size by field mask), appendDimension, copyPaste (formulas, relative references moved).
 */
function batchUpdate(b: Book, req: express.Request) {
  const replies = (body(req).requests as Record<string, any>[]).map((r) => {
    const kind = Object.keys(r)[0]!;
    const handler = REQUESTS[kind];
    if (!handler) throw new Refusal(`Unsupported request: ${kind}`);
    return handler(b, r[kind]);
  });
  if (gridCells(b) > CELL_LIMIT)
    throw new Refusal(
      `This action would increase the number of cells in the workbook above the limit of ${CELL_LIMIT} cells.`,
    );
  return { replies };
}

const sheetById = (b: Book, id: number) => {
  const s = b.sheets.find((x) => x.sheetId === id);
  if (!s) throw new Refusal(`No grid with id: ${id}`);
  return s;
};

/** Drops what lies outside a sheet's grid once it shrank. */
function cutToGrid(s: StandInSheet) {
  const grid = gridOf(s);
  for (const k of [...s.cells.keys()]) {
    const [r, c] = k.split(',').map(Number) as [number, number];
    if (r > grid.rows || c > grid.columns) s.cells.delete(k);
  }
}

const REQUESTS: Record<string, (b: Book, r: any) => unknown> = {
  addSheet(b, r) {
    const g = r.properties.gridProperties ?? {};
    if (b.sheets.some((s) => s.title.toLowerCase() === String(r.properties.title).toLowerCase()))
      throw new Refusal(`A sheet with the name "${r.properties.title}" already exists. Please enter another name.`);
    const sheet: StandInSheet = {
      sheetId: Math.max(99, ...b.sheets.map((s) => s.sheetId)) + 1,
      title: r.properties.title,
      cells: new Map(),
      formats: new Map(),
      frozen: 0,
      rowCount: g.rowCount ?? NEW_SHEET_ROWS,
      columnCount: g.columnCount ?? NEW_SHEET_COLUMNS,
    };
    b.sheets.push(sheet);
    const grid = gridOf(sheet);
    return {
      addSheet: {
        properties: {
          sheetId: sheet.sheetId,
          title: sheet.title,
          gridProperties: { rowCount: grid.rows, columnCount: grid.columns },
        },
      },
    };
  },
  repeatCell(b, r) {
    const sheet = sheetById(b, r.range.sheetId);
    const grid = gridOf(sheet);
    if ((r.range.endRowIndex ?? 0) > grid.rows || (r.range.endColumnIndex ?? 0) > grid.columns)
      throw new Refusal(
        `Invalid requests[0].repeatCell: the range exceeds grid limits. Max rows: ${grid.rows}, max columns: ${grid.columns}`,
      );
    sheet.formats.set(r.range.startColumnIndex, r.cell.userEnteredFormat.numberFormat.pattern);
    return {};
  },
  updateSheetProperties(b, r) {
    const sheet = sheetById(b, r.properties.sheetId);
    const fields = String(r.fields).split(',');
    const g = r.properties.gridProperties ?? {};
    if (fields.includes('gridProperties.frozenRowCount')) sheet.frozen = g.frozenRowCount;
    if (fields.includes('gridProperties.rowCount')) sheet.rowCount = g.rowCount;
    if (fields.includes('gridProperties.columnCount')) sheet.columnCount = g.columnCount;
    if (sheet.frozen >= gridOf(sheet).rows) throw new Refusal("You can't freeze all visible rows on the sheet.");
    cutToGrid(sheet);
    return {};
  },
  appendDimension(b, r) {
    const sheet = sheetById(b, r.sheetId);
    const grid = gridOf(sheet);
    if (r.dimension === 'ROWS') sheet.rowCount = grid.rows + r.length;
    else sheet.columnCount = grid.columns + r.length;
    return {};
  },
  copyPaste(b, r) {
    const from = sheetById(b, r.source.sheetId);
    const to = sheetById(b, r.destination.sheetId);
    const grid = gridOf(to);
    if (r.destination.endRowIndex > grid.rows || r.destination.endColumnIndex > grid.columns)
      throw new Refusal(`Invalid copyPaste: the destination exceeds grid limits. Max rows: ${grid.rows}`);
    const h = r.source.endRowIndex - r.source.startRowIndex;
    const w = r.source.endColumnIndex - r.source.startColumnIndex;
    for (let i = r.destination.startRowIndex; i < r.destination.endRowIndex; i++)
      for (let j = r.destination.startColumnIndex; j < r.destination.endColumnIndex; j++) {
        const si = r.source.startRowIndex + ((i - r.destination.startRowIndex) % h);
        const sj = r.source.startColumnIndex + ((j - r.destination.startColumnIndex) % w);
        const v = from.cells.get(`${si + 1},${sj + 1}`);
        // A relative reference to a row moves with the paste (=A2*2 pasted one row down is =A3*2).
        const moved =
          typeof v === 'string' && v.startsWith('=')
            ? v.replace(/(\$?[A-Z]{1,3})(\d+)/g, (m, c: string, row: string) =>
                c.endsWith('$') ? m : `${c}${Number(row) + (i - si)}`,
              )
            : v;
        if (moved === undefined) to.cells.delete(`${i + 1},${j + 1}`);
        else to.cells.set(`${i + 1},${j + 1}`, moved);
      }
    return {};
  },
};
