import { Writable } from 'node:stream';
import { writeOrWait } from './backpressure.ts';
import { rowTooLarge } from './guard.ts';
import type { ResultColumn } from './types.ts';
import { BACKSLASH, csvEncoder, NEWLINE, TAB, UNESCAPED } from './copyTextCsv.ts';

/**
 * PostgreSQL's COPY text format turned into the JSON or NDJSON rows of a result, in Node.
 *
 * PostgreSQL renders a row as text about twice as fast as it renders it as JSON (`json_build_array`
 * 1.7×, `row_to_json` 2.4–2.7× the time of the same rows as CSV; BENCHMARKS.md, issue 24). So for
 * JSON and NDJSON PostgreSQL sends text, its fastest output, and this transform writes the JSON while
 * PostgreSQL produces the next rows: the two run on two cores instead of one.
 *
 * The text format (PostgreSQL manual, COPY, "Text Format"): one line per row ended by a newline,
 * columns separated by a tab, NULL as `\N`, and in a value a backslash, newline, carriage return, tab,
 * backspace, form feed and vertical tab written as `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, `\v`. "COPY TO
 * will never emit an octal or hex-digits backslash sequence", so those are all the escapes there are,
 * and a raw tab or newline is always a separator.
 *
 * It works on bytes, in one pass: the separators and escapes are ASCII, and every byte of a multi-byte
 * UTF-8 character is ≥ 0x80, which JSON leaves as it is, so UTF-8 passes through without being decoded.
 * The bytes are exactly those the cursor path writes with formats.ts's `rowEncoder` (JSON.stringify's
 * escapes; the tests compare the two on every kind of value).
 */

const NUMBER = 0;
const BOOLEAN = 1;
const STRING = 2;
const JSON_VALUE = 3;
const TIMESTAMPTZ = 4;
const TIMESTAMP = 5;

function kindOf(c: ResultColumn): number {
  switch (c.kind) {
    case 'integer':
    case 'number':
      return NUMBER;
    case 'boolean':
      return BOOLEAN;
    case 'json':
      return JSON_VALUE;
    case 'datetime':
      return c.type === 'timestamptz' ? TIMESTAMPTZ : TIMESTAMP;
    default:
      return STRING;
  }
}

const QUOTE = 34;

/** How JSON.stringify writes a byte below 0x20, a quote and a backslash (undefined: as it is). */
const JSON_ESCAPES: (Uint8Array | undefined)[] = Array.from({ length: 256 }, (_, b) =>
  b < 0x20 || b === QUOTE || b === BACKSLASH
    ? Buffer.from(JSON.stringify(String.fromCharCode(b)).slice(1, -1))
    : undefined,
);

/** Bytes that are not copied as they are: in a JSON string, the escaped ones and a backslash; in a json value, a backslash. */
const SPECIAL_IN_STRING = Uint8Array.from({ length: 256 }, (_, b) => (JSON_ESCAPES[b] ? 1 : 0));
const SPECIAL_IN_JSON = Uint8Array.from({ length: 256 }, (_, b) => (b === BACKSLASH ? 1 : 0));

/** The most bytes one input byte can become (a control character as \u00XX). */
const MAX_GROWTH = 6;

/** Encodes the whole rows of input[0, end]; answers the output (grown when needed) and its length, or an error. */
type RowsEncoder = (input: Buffer, end: number, out: Buffer, first: boolean) => { out: Buffer; length: number } | Error;

function rowsEncoder(format: Format, columns: readonly ResultColumn[], maxRowBytes: number): RowsEncoder {
  if (format === 'csv') return csvEncoder(columns.length, maxRowBytes);
  const kinds = columns.map(kindOf);
  const width = columns.length;
  const names =
    format === 'ndjson' ? columns.map((c, i) => Buffer.from(`${i ? ',' : '{'}${JSON.stringify(c.name)}:`)) : undefined;
  // What a row adds besides its values' bytes: names, brackets, commas, quotes, `null` for `\N`, `false` for `f`.
  const rowOverhead = (names ?? []).reduce((sum, n) => sum + n.length, 0) + 10 * width + 4;
  return (input, end, out, first) => {
    let o = 0;
    let at = 0;
    while (at <= end) {
      const lineEnd = input.indexOf(NEWLINE, at);
      if (lineEnd - at > maxRowBytes) return rowTooLarge(maxRowBytes);
      const need = o + (lineEnd - at) * MAX_GROWTH + rowOverhead;
      if (need > out.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, out.length * 2));
        out.copy(bigger, 0, 0, o);
        out = bigger;
      }
      if (names === undefined) {
        if (!first) out[o++] = 44; // ,
        out[o++] = 91; // [
      } else if (width === 0) out[o++] = 123; // {
      for (let i = 0; i < width; i++) {
        if (names) o = put(out, o, names[i]!);
        else if (i) out[o++] = 44;
        let stop = at;
        while (stop < lineEnd && input[stop] !== TAB) stop++;
        if (stop === lineEnd ? i !== width - 1 : i === width - 1)
          return new Error(`COPY text row without ${width} columns`);
        o = writeValue(input, at, stop, kinds[i]!, out, o);
        at = stop + 1;
      }
      if (width === 0) at = lineEnd + 1;
      out[o++] = names === undefined ? 93 : 125; // ] or }
      if (names) out[o++] = NEWLINE;
      first = false;
    }
    return { out, length: o };
  };
}

/** Output buffers: written whole to the client, then used again. */
const OUT_SIZE = 1 << 18;

type Format = 'json' | 'ndjson' | 'csv';

/**
 * A Writable taking COPY text and writing the JSON, NDJSON or CSV rows (after `prefix`, also for no rows: for
 * JSON its opening, for CSV the header) into `to`,
 * which it never ends, waiting whenever `to` asks to. A row whose text passes `maxRowBytes` fails it
 * with `value_too_large` as soon as it has (nothing of the row was written; before the first row,
 * nothing at all).
 *
 * Output goes out of a few buffers used again once `to` has written them (its write callback): a fresh
 * buffer per chunk is garbage V8 collects only when its own heap asks, and with little JS garbage
 * (this writes bytes, not strings) that was +40–50 MB of dead buffers at a million rows (measured).
 */
export function copyTextTo(
  format: Format,
  columns: readonly ResultColumn[],
  prefix: string,
  to: Writable,
  maxRowBytes: number,
): Writable {
  const encode = rowsEncoder(format, columns, maxRowBytes);
  const free: Buffer[] = [];
  // The start of a row not ended yet, in the pieces it came in (joined once it ends).
  let rest: Buffer[] = [];
  let restBytes = 0;
  // Where that start and the chunk that ends it are joined: one buffer used again, not a new one per chunk
  // (dead buffers outside V8's heap are what raised the server's memory on a million rows).
  let join = Buffer.allocUnsafe(0);
  const joined = (chunk: Buffer): Buffer => {
    const need = restBytes + chunk.length;
    if (join.length < need) join = Buffer.allocUnsafe(Math.max(need, 2 * join.length, 1 << 16));
    let o = 0;
    for (const piece of rest) o += piece.copy(join, o);
    chunk.copy(join, o);
    return join.subarray(0, need);
  };
  let first = true;
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      const ends = chunk.lastIndexOf(NEWLINE);
      if (ends < 0) {
        rest.push(chunk);
        restBytes += chunk.length;
        done(restBytes > maxRowBytes ? rowTooLarge(maxRowBytes) : undefined);
        return;
      }
      const input = restBytes > 0 ? joined(chunk) : chunk;
      const end = restBytes + ends;
      // A view of the chunk, not a copy: the chunk is PostgreSQL's, never written again.
      rest = ends + 1 < chunk.length ? [chunk.subarray(ends + 1)] : [];
      restBytes = chunk.length - ends - 1;
      const encoded = encode(input, end, free.pop() ?? Buffer.allocUnsafe(OUT_SIZE), first);
      if (encoded instanceof Error) {
        done(encoded);
        return;
      }
      const { out, length } = encoded;
      const reuse = () => {
        if (out.length <= 4 * OUT_SIZE) free.push(out);
      };
      const prefixSent = first ? writeOrWait(to, prefix) : Promise.resolve();
      first = false;
      prefixSent.then(() => writeOrWait(to, out.subarray(0, length), reuse)).then(() => done(), done);
    },
    final(done) {
      if (restBytes > 0) {
        done(new Error('COPY text ended in the middle of a row'));
        return;
      }
      if (!first) done();
      else writeOrWait(to, prefix).then(() => done(), done);
    },
  });
}

/** Writes the value input[at, stop) as JSON into `out` at `o`; answers where it ended. */
function writeValue(input: Uint8Array, at: number, stop: number, kind: number, out: Uint8Array, o: number): number {
  const length = stop - at;
  if (length === 2 && input[at] === BACKSLASH && input[at + 1] === 78) return put(out, o, NULL);
  switch (kind) {
    case NUMBER:
      // NaN and ±Infinity (numeric, float) are not JSON numbers.
      if (length > 0 && input[stop - 1]! >= 48 && input[stop - 1]! <= 57) return copy(input, at, stop, out, o);
      break;
    case BOOLEAN:
      return put(out, o, input[at] === 116 ? TRUE : FALSE);
    case JSON_VALUE:
      return unescapeInto(input, at, stop, out, o, false);
    case TIMESTAMPTZ:
      // "2026-01-04 10:00:00.123+00" (UTC, DateStyle ISO) → "2026-01-04T10:00:00.123+00:00", as PostgreSQL's
      // own JSON writes it. Anything else ("infinity", a BC date) as a string.
      if (
        length > 13 &&
        input[at + 10] === 32 &&
        input[stop - 3] === 43 &&
        input[stop - 2] === 48 &&
        input[stop - 1] === 48
      ) {
        out[o++] = QUOTE;
        o = copy(input, at, at + 10, out, o);
        out[o++] = 84; // T
        o = copy(input, at + 11, stop, out, o);
        return put(out, o, ZONE_END);
      }
      break;
    case TIMESTAMP:
      if (length > 11 && input[at + 10] === 32 && input[stop - 1]! <= 57) {
        out[o++] = QUOTE;
        o = copy(input, at, at + 10, out, o);
        out[o++] = 84; // T
        o = copy(input, at + 11, stop, out, o);
        out[o++] = QUOTE;
        return o;
      }
      break;
  }
  out[o++] = QUOTE;
  o = unescapeInto(input, at, stop, out, o, true);
  out[o++] = QUOTE;
  return o;
}

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const NULL = bytes('null');
const TRUE = bytes('true');
const FALSE = bytes('false');
const ZONE_END = bytes(':00"');

/** Values are short: a loop beats Buffer.copy's call. */
function copy(input: Uint8Array, at: number, stop: number, out: Uint8Array, o: number): number {
  for (let p = at; p < stop; p++) out[o++] = input[p]!;
  return o;
}

function put(out: Uint8Array, o: number, what: Uint8Array): number {
  for (let i = 0; i < what.length; i++) out[o++] = what[i]!;
  return o;
}

/** Copies input[at, stop) into out at o with COPY's escapes undone, and (`asString`) JSON's applied; answers the end. */
function unescapeInto(
  input: Uint8Array,
  at: number,
  stop: number,
  out: Uint8Array,
  o: number,
  asString: boolean,
): number {
  const special = asString ? SPECIAL_IN_STRING : SPECIAL_IN_JSON;
  for (let p = at; p < stop; p++) {
    let b = input[p]!;
    if (special[b] === 0) {
      out[o++] = b;
      continue;
    }
    if (b === BACKSLASH && p + 1 < stop) b = UNESCAPED[input[++p]!]!;
    const escaped = asString ? JSON_ESCAPES[b] : undefined;
    if (escaped === undefined) out[o++] = b;
    else o = put(out, o, escaped);
  }
  return o;
}
