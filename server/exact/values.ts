import { AppError } from '../lib/errors.ts';

/**
 * Exact's JSON into plain values: both collection shapes, `/Date(ms)/` holding local wall-clock time,
 * Int64 as strings (docs/exact-online.md 4.2, 4.6).
 */

export type ExactRow = Record<string, unknown>;

export interface CollectionPage {
  rows: ExactRow[];
  /** Absolute URL of the next page, to be followed verbatim. */
  next: string | undefined;
  count: number | undefined;
}

export function unwrapCollection(body: unknown, what: string): CollectionPage {
  const d = (body as { d?: unknown } | null)?.d;
  if (Array.isArray(d)) return { rows: d as ExactRow[], next: undefined, count: undefined };
  if (d && typeof d === 'object' && Array.isArray((d as { results?: unknown }).results)) {
    const o = d as { results: ExactRow[]; __next?: string; __count?: string };
    return { rows: o.results, next: o.__next, count: o.__count === undefined ? undefined : Number(o.__count) };
  }
  throw new AppError(
    'exact_unexpected_response',
    `Exact answered ${what} with neither {"d":[…]} nor {"d":{"results":[…]}}`,
    { status: 502 },
  );
}

/** One entity: `{"d":{…}}`, or the one-row results form that current/Me uses. */
export function unwrapEntity(body: unknown, what: string): ExactRow {
  const d = (body as { d?: unknown } | null)?.d;
  // One entity comes as {d:{…}}, {d:{results:[…]}} (current/Me) or {d:[…]} (docs/exact-online.md 4.2).
  const rows = Array.isArray(d) ? d : (d as { results?: unknown } | undefined)?.results;
  if (Array.isArray(rows)) {
    if (rows.length !== 1)
      throw new AppError(
        'exact_unexpected_response',
        `Exact answered ${what} with ${rows.length} rows instead of one`,
        {
          status: 502,
        },
      );
    return rows[0] as ExactRow;
  }
  if (d && typeof d === 'object') return d as ExactRow;
  throw new AppError('exact_unexpected_response', `Exact answered ${what} without an entity in "d"`, { status: 502 });
}

/** The milliseconds in `/Date(ms)/`, or undefined for anything else. */
export function exactDateMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(value);
  return m ? Number(m[1]) : undefined;
}

const zoneFormatters = new Map<string, Intl.DateTimeFormat>();

const HOUR = 3_600_000;
/** Offsets per (zone, UTC hour): zones change offset only on whole hours, and dates repeat a lot. */
const offsetCache = new Map<string, Map<number, number>>();

/** Seconds east of UTC in `timeZone` at the UTC instant `utcMs`. */
export function zoneOffsetSeconds(timeZone: string, utcMs: number): number {
  let byHour = offsetCache.get(timeZone);
  if (!byHour) offsetCache.set(timeZone, (byHour = new Map()));
  const hour = Math.floor(utcMs / HOUR);
  let offset = byHour.get(hour);
  if (offset === undefined) {
    offset = computeOffset(timeZone, hour * HOUR);
    if (byHour.size > 200_000) byHour.clear();
    byHour.set(hour, offset);
  }
  return offset;
}

function computeOffset(timeZone: string, utcMs: number): number {
  let f = zoneFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    zoneFormatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(utcMs)).map((x) => [x.type, x.value]));
  // Not Date.UTC(year, …): it reads years 0–99 as 1900–1999, and Exact writes DateTime.MinValue (year 1).
  const wall = new Date(0);
  // Year 1 in an offset east of UTC begins in 1 BC in UTC: astronomical years (1 BC is year 0).
  const year = p.era === 'BC' ? 1 - Number(p.year) : Number(p.year);
  wall.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
  wall.setUTCHours(Number(p.hour), Number(p.minute), Number(p.second));
  const asUtc = wall.getTime();
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 1000);
}

/**
 * Exact-local wall-clock milliseconds (as written in `/Date(ms)/`) to the UTC instant, in the
 * administration's time zone. The offset is the one in force at that wall-clock time, so dates on either
 * side of a daylight-saving change convert correctly (a second guess settles the hour around the switch).
 */
export function localToUtc(localMs: number, timeZone: string): number {
  const first = localMs - zoneOffsetSeconds(timeZone, localMs) * 1000;
  return localMs - zoneOffsetSeconds(timeZone, first) * 1000;
}

/** UTC instant → the wall-clock text Exact's `datetime'…'` filters expect. */
export function utcToLocalLiteral(utcMs: number, timeZone: string): string {
  return new Date(utcMs + zoneOffsetSeconds(timeZone, utcMs) * 1000).toISOString().slice(0, 19);
}

/** An Edm.Int64 as a decimal string (it arrives as a JSON string; a number is accepted only when exact). */
export function int64(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw new AppError('exact_unexpected_response', `Expected an Int64, got ${JSON.stringify(value)}`, { status: 502 });
}

/** Time zone of an Exact country's administrations. */
export const COUNTRY_TIME_ZONES: Record<string, string> = {
  nl: 'Europe/Amsterdam',
  be: 'Europe/Brussels',
  de: 'Europe/Berlin',
  fr: 'Europe/Paris',
  es: 'Europe/Madrid',
  'co.uk': 'Europe/London',
  com: 'America/New_York',
};

const utcOffsetText = (seconds: number) => {
  const m = Math.round(Math.abs(seconds) / 60);
  return `UTC${seconds < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
};

/**
 * current/Me's ServerUtcOffset (seconds east of UTC, 7200 in a Dutch summer: docs/exact-online.md 4.6)
 * against the zone exact-sync reads this administration's times in; a sentence for the admin when they
 * differ at `atMs`, undefined when they agree (or Exact gave no offset).
 */
export function clockMismatch(timeZone: string, serverUtcOffset: unknown, atMs: number): string | undefined {
  const server = typeof serverUtcOffset === 'number' ? serverUtcOffset : Number(serverUtcOffset);
  if (serverUtcOffset === null || serverUtcOffset === undefined || !Number.isFinite(server)) return undefined;
  const ours = zoneOffsetSeconds(timeZone, atMs);
  if (Math.abs(server - ours) < 60) return undefined;
  return `Exact's server says its clock is ${utcOffsetText(server)}, but exact-sync reads this administration's times as ${timeZone} (${utcOffsetText(ours)} now): times of day (Created, Modified, …) may be off by the difference. Calendar dates (invoice, due and booking dates) are not affected.`;
}
