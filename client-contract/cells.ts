/**
 * The client contract: how a query result of exact-sync's API becomes spreadsheet cells. One module for
 * every writer — the Excel add-in, the Apps Script module and the server's Sheets writeback — so the
 * three put the same values in the same cells. Runtime-free: plain data in, plain data out; no Node,
 * browser, Office or Apps Script API (it is bundled into each, down to Apps Script's ES2019).
 */

/** The kinds of column the API reports (server/query/types.ts ColumnKind). */
export type ColumnKind = 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'text' | 'json';

export type Cell = string | number | boolean;

/** A query result as the API's JSON format sends it. */
export interface ResultData {
  columns: readonly { name: string; kind: string; type?: string }[];
  rows: readonly (readonly unknown[])[];
}

const DAY_MS = 86_400_000;
/** Days from the spreadsheet epoch (1899-12-30, Excel's and Google's) to 1970-01-01. */
const EPOCH_OFFSET_DAYS = 25_569;

/**
 * The date serial Excel and Google Sheets share: days since 1899-12-30, time as the fraction of a day.
 * A date (`YYYY-MM-DD`) is that day at midnight, in every time zone; a date-time is an instant, shown
 * as the wall-clock time of `timeZone` (the spreadsheet's, or the computer's for Excel; UTC without
 * one). Undefined for what is not a date.
 */
export function dateSerial(iso: string, timeZone?: string): number | undefined {
  // A date, or a date-time without an offset (PostgreSQL's timestamp): a wall-clock value, the same everywhere.
  const wall = iso.length === 10 || !/([zZ]|[+-]\d\d(:?\d\d)?)$/.test(iso);
  const ms = Date.parse(iso.length === 10 ? `${iso}T00:00:00Z` : wall ? `${iso}Z` : iso);
  if (Number.isNaN(ms)) return undefined;
  // An instant (timestamptz) shown in a time zone: its wall-clock time there.
  const shifted = wall || !timeZone ? ms : ms + safeOffset(ms, timeZone);
  return shifted / DAY_MS + EPOCH_OFFSET_DAYS;
}

/** The zone's offset, or none for a zone this runtime does not know (the instant is then shown in UTC). */
function safeOffset(ms: number, timeZone: string): number {
  try {
    return zoneOffsetMs(ms, timeZone);
  } catch {
    return 0;
  }
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** How far `timeZone`'s wall clock is ahead of UTC at the instant `ms` (summer time included), from Intl. */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  let f = zoneFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hour12: false,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    zoneFormats.set(timeZone, f);
  }
  const part = (parts: Intl.DateTimeFormatPart[], type: string) => Number(parts.find((p) => p.type === type)!.value);
  const parts = f.formatToParts(new Date(ms));
  const wall = Date.UTC(
    part(parts, 'year'),
    part(parts, 'month') - 1,
    part(parts, 'day'),
    // hour12: false gives "24" for midnight in some engines.
    part(parts, 'hour') % 24,
    part(parts, 'minute'),
    part(parts, 'second'),
  );
  return wall - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The day (`YYYY-MM-DD`), or the day and time (`YYYY-MM-DDTHH:MM:SS`, when the serial has a fraction
 * of a day), a date serial stands for: dateSerial's inverse, as the API takes dates.
 */
export function isoOfSerial(serial: number): string {
  const iso = new Date(Math.round((serial - EPOCH_OFFSET_DAYS) * DAY_MS)).toISOString();
  return Number.isInteger(serial) ? iso.slice(0, 10) : iso.slice(0, 19);
}

/**
 * Whether a numeric column holds money, read from its name: Exact's amount fields (AmountDC,
 * VATAmountFC, UnitPrice, CostPriceStandard, RevenueCurrentYear, ClosingBalanceFC, …; the warehouse
 * keeps them lower-cased) and the usual aliases of a query (revenue, total_amount). Quantities, rates,
 * percentages, counts, hours and factors are not, even when a money word is in the name
 * (QuantityInvoiced, ExchangeRate, AmountPrecision, OverdueReceivableInvoiceCount); "discount" alone is a
 * fraction in Exact. Spreadsheets show money with two decimals and thousands separators.
 */
export function isMoneyColumn(name: string): boolean {
  const n = name.toLowerCase().replace(/discount/g, '');
  return (
    /amount|price|cost|revenue|balance|budget|wage|capital|debit|credit|total/.test(n) &&
    !/percent|quantit|count|rate|hour|precision|factor|weight|size|day|stock|number/.test(n)
  );
}

const isDateKind = (kind: string) => kind === 'date' || kind === 'datetime';

/**
 * One value as a cell: empty for NULL, numbers as numbers (text when not a number: a numeric beyond
 * what a double holds stays exact as text), booleans as booleans, JSON as its text. Dates become serials
 * with `dates: 'serial'`; with `'text'` they stay the API's ISO text for a writer that makes dates itself.
 */
export function toCell(kind: string, v: unknown, dates: 'serial' | 'text', timeZone?: string): Cell {
  if (v === null || v === undefined) return '';
  if (kind === 'integer' || kind === 'number')
    return typeof v === 'number' ? v : Number.isFinite(Number(v)) ? Number(v) : String(v);
  if (kind === 'boolean') return Boolean(v);
  if (kind === 'json') return JSON.stringify(v);
  if (isDateKind(kind) && dates === 'serial') return dateSerial(String(v), timeZone) ?? String(v);
  return String(v);
}

/** The header, the rows as cells, and which columns hold dates or date-times. */
export function resultCells(
  result: ResultData,
  dates: 'serial' | 'text',
  timeZone?: string,
): { header: string[]; rows: Cell[][]; dateColumns: number[] } {
  const kinds = result.columns.map((c) => c.kind);
  return {
    header: result.columns.map((c) => c.name),
    rows: result.rows.map((r) => kinds.map((k, i) => toCell(k, r[i], dates, timeZone))),
    dateColumns: kinds.flatMap((k, i) => (isDateKind(k) ? [i] : [])),
  };
}

/** Bytes of `s` in UTF-8 (what a request body carries), without TextEncoder, which Apps Script lacks. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair: 4 bytes for 2 UTF-16 units.
      n += 2;
      i++;
    } else if (c >= 0x800) n += 2;
    else if (c >= 0x80) n += 1;
  }
  return n;
}

/**
 * Rows [start, end) per write: each under `maxBytes` of JSON in UTF-8 (plus `rowOverhead` bytes a row, for what is
 * sent beside the values) and `maxCells`. A single row over the limit still goes alone.
 */
export function chunkRows(
  rows: readonly (readonly unknown[])[],
  maxBytes: number,
  maxCells: number,
  rowOverhead = 0,
): [number, number][] {
  const chunks: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const size = utf8Length(JSON.stringify(rows[i])) + 1 + rowOverhead;
    if (i > start && (bytes + size > maxBytes || (i - start + 1) * Math.max(1, rows[i]!.length) > maxCells)) {
      chunks.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < rows.length) chunks.push([start, rows.length]);
  return chunks;
}
