import { exactDateMs, int64, localToUtc, type ExactRow } from '../exact/values.ts';
import { AppError } from '../lib/errors.ts';
import { csvRows, csvText, type CsvBuffers, type CsvRows, type Value } from '../warehouse/csv.ts';
import type { CatalogTable, Column } from '../catalog/tables.ts';

/**
 * Exact's rows as the warehouse stores them. `toWarehouse` converts one value (for code that needs the
 * value itself); `rowEncoder` turns a whole row straight into its CSV line for COPY, without an array of
 * values in between — the sync's hot path (a million rows of 70 fields). Both give the same result;
 * test/sync/encode.test.ts holds them to it.
 */

/** One Exact value as the warehouse stores it. */
export function toWarehouse(c: Column, value: unknown, timeZone: string): Value {
  if (value === null || value === undefined) return null;
  switch (c.type) {
    case 'timestamptz':
      return isoInstant(c, value, timeZone);
    case 'date':
      return calendarDay(c, value);
    case 'bigint':
      return int64(value);
    case 'text':
      return c.trim ? String(value).trim() : String(value);
    case 'boolean':
      return Boolean(value);
    default:
      return value as Value;
  }
}

function isoInstant(c: Column, value: unknown, timeZone: string): string {
  const ms = exactDateMs(value);
  if (ms === undefined)
    throw new AppError('exact_unexpected_value', `${c.field}: expected /Date(ms)/, got ${JSON.stringify(value)}`);
  return pgInstant(localToUtc(ms, timeZone));
}

const DAY_MS = 86_400_000;

/** Called with a date-only field's value that is not at local midnight (encode.ts calendarDay). */
export type OffMidnight = (c: Column, value: unknown) => void;

/**
 * A date-only field's calendar day: Exact's milliseconds are its local wall clock written as if UTC
 * (docs/exact-online.md 4.6), so the day Exact shows is the UTC day of the milliseconds, in any zone. A
 * value that is not at midnight (a field taken for a date that holds a time) is reported, and its day kept.
 */
export function calendarDay(c: Column, value: unknown, offMidnight?: OffMidnight): string {
  const ms = exactDateMs(value);
  if (ms === undefined)
    throw new AppError('exact_unexpected_value', `${c.field}: expected /Date(ms)/, got ${JSON.stringify(value)}`);
  if (((ms % DAY_MS) + DAY_MS) % DAY_MS !== 0) offMidnight?.(c, value);
  const day = pgInstant(Math.floor(ms / DAY_MS) * DAY_MS);
  return day.endsWith(' BC') ? `${day.slice(0, 10)} BC` : day.slice(0, 10);
}

/**
 * An instant as PostgreSQL reads it. ISO 8601 except before year 1, which PostgreSQL writes with BC (it has
 * no year 0): Exact's DateTime.MinValue, 0001-01-01 local time, is still 1 BC in UTC east of Greenwich.
 */
export function pgInstant(ms: number): string {
  const d = new Date(ms);
  const iso = d.toISOString();
  const year = d.getUTCFullYear();
  if (year >= 1) return iso;
  return `${String(1 - year).padStart(4, '0')}${iso.slice(iso.indexOf('-', 1))} BC`;
}

/** A row's values in the warehouse's column order (server/warehouse/load.ts loadColumns). */
export function rowValues(
  table: CatalogTable,
  division: number,
  row: ExactRow,
  timeZone: string,
  extractedAt: string,
): Value[] {
  const out: Value[] = [division];
  for (const c of table.columns) if (c.name !== 'division') out.push(toWarehouse(c, row[c.field], timeZone));
  out.push(extractedAt);
  return out;
}

/** Rows of one division as CSV, through the values (small tables; the reference for `rowEncoder`). */
export function valuesCsv(
  table: CatalogTable,
  division: number,
  rows: readonly ExactRow[],
  timeZone: string,
  extractedAt: string,
): CsvRows {
  return csvRows(rows.map((r) => rowValues(table, division, r, timeZone, extractedAt)));
}

type FieldEncoder = (value: unknown) => string;

/** Converted instants by their `/Date(…)/` text: dates repeat a lot (every line of an entry has its date). */
const CACHE_LIMIT = 50_000;
/** Lookups after which a column's cache is dropped when under a tenth of them were hits. */
const CACHE_TRIAL = 2_000;

function fieldEncoder(c: Column, timeZone: string, offMidnight?: OffMidnight): FieldEncoder {
  switch (c.type) {
    case 'date': {
      // Few distinct days, many rows: always worth a cache.
      const cache = new Map<unknown, string>();
      return (v) => {
        if (v === null || v === undefined) return '';
        let day = cache.get(v);
        if (day === undefined) {
          day = calendarDay(c, v, offMidnight);
          if (cache.size >= CACHE_LIMIT) cache.clear();
          cache.set(v, day);
        }
        return day;
      };
    }
    case 'timestamptz': {
      let cache: Map<unknown, string> | undefined = new Map();
      let lookups = 0;
      let hits = 0;
      return (v) => {
        if (v === null || v === undefined) return '';
        if (cache) {
          const hit = cache.get(v);
          lookups++;
          if (hit !== undefined) {
            hits++;
            return hit;
          }
          // A column whose values do not repeat (Created, Modified: one per row) is not worth a cache
          // that only fills, churns and leaves garbage for V8's old generation.
          if (lookups === CACHE_TRIAL && hits < CACHE_TRIAL / 10) cache = undefined;
        }
        const iso = isoInstant(c, v, timeZone);
        if (cache) {
          if (cache.size >= CACHE_LIMIT) cache.clear();
          cache.set(v, iso);
        }
        return iso;
      };
    }
    case 'bigint':
      return (v) => (v === null || v === undefined ? '' : int64(v)!);
    case 'text':
      return c.trim
        ? (v) => (v === null || v === undefined ? '' : csvText(String(v).trim()))
        : (v) => (v === null || v === undefined ? '' : typeof v === 'string' ? csvText(v) : csvText(String(v)));
    case 'boolean':
      return (v) => (v === null || v === undefined ? '' : v ? 't' : 'f');
    default:
      return (v) => {
        if (v === null || v === undefined) return '';
        if (typeof v === 'number') return String(v);
        if (typeof v === 'boolean') return v ? 't' : 'f';
        return csvText(String(v));
      };
  }
}

export interface RowEncoder {
  /**
   * Rows of one page as CSV lines for COPY, in the warehouse's column order: written into `buffers` when
   * given (release them after the COPY), else as one string.
   */
  page(rows: readonly ExactRow[], division: number, extractedAt: string, buffers?: CsvBuffers): CsvRows;
}

/**
 * An encoder for one table in one time zone (its date cache lives as long as it does: one sync of a table).
 * `offMidnight` hears of date-only values that hold a time, once per column.
 */
export function rowEncoder(table: CatalogTable, timeZone: string, offMidnight?: OffMidnight): RowEncoder {
  const columns = table.columns.filter((c) => c.name !== 'division');
  const fields = columns.map((c) => c.field);
  const told = new Set<string>();
  const once: OffMidnight | undefined =
    offMidnight &&
    ((c, v) => {
      if (told.has(c.name)) return;
      told.add(c.name);
      offMidnight(c, v);
    });
  const encoders = columns.map((c) => fieldEncoder(c, timeZone, once));
  const n = fields.length;
  return {
    page(rows, division, extractedAt, buffers) {
      if (rows.length === 0) return { chunks: [], count: 0 };
      const head = `${division},`;
      const tail = `,${extractedAt}`;
      const line = (row: ExactRow) => {
        let text = head;
        for (let i = 0; i < n; i++)
          text += i === 0 ? encoders[i]!(row[fields[i]!]) : `,${encoders[i]!(row[fields[i]!])}`;
        return text + tail;
      };
      if (buffers) {
        const writer = buffers.writer();
        for (const row of rows) writer.line(line(row));
        return writer.done();
      }
      return { chunks: [`${rows.map(line).join('\n')}\n`], count: rows.length };
    },
  };
}
