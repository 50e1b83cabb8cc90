import { rowTooLarge } from './guard.ts';
import type { ResultColumn } from './types.ts';

/**
 * PostgreSQL's COPY text format turned into the CSV PostgreSQL itself writes (COPY … WITH (FORMAT csv,
 * HEADER)), byte for byte (the tests compare the two on awkward values).
 *
 * Why not ask PostgreSQL for CSV: it renders a row as CSV with about a fifth more CPU than as text
 * (BENCHMARKS.md, query-stream: 2.9–3.0 against 2.4 CPU-seconds a million rows), and PostgreSQL is the
 * slower half of the pipeline; this conversion runs on the other core while it produces the next rows,
 * as the JSON one does (copyText.ts).
 *
 * The text format (PostgreSQL manual, COPY, "Text Format"): columns separated by a tab, rows by a
 * newline, NULL as `\N`, and a backslash, newline, carriage return, tab, backspace, form feed and
 * vertical tab in a value written `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, `\v` (never octal or hex).
 * CSV (manual, "CSV Format", and copyto.c's CopyAttributeOutCSV): values separated by commas, rows by a
 * newline, NULL as nothing, and a value quoted when it holds a comma, a quote, a newline or a carriage
 * return, when it is the empty string (which would read as NULL), or when it is `\.` alone on its line
 * (a one-column row, which would read as the end of data); a quote inside is doubled.
 */

export const TAB = 9;
export const NEWLINE = 10;
export const BACKSLASH = 92;
const QUOTE = 34;
const COMMA = 44;
const N = 78;
const DOT = 46;

/** The byte a COPY text escape `\c` stands for. */
export const UNESCAPED = new Uint8Array(256).map((_, c) => c);
for (const [c, b] of [
  ['b', 8],
  ['f', 12],
  ['n', 10],
  ['r', 13],
  ['t', 9],
  ['v', 11],
] as const)
  UNESCAPED[c.charCodeAt(0)] = b;

/** Bytes of the text that need a closer look: an escape, or what CSV quotes. */
const CAREFUL = Uint8Array.from({ length: 256 }, (_, b) => (b === BACKSLASH || b === COMMA || b === QUOTE ? 1 : 0));

/** The header line: the column names as CSV values. */
export function csvHeader(columns: readonly ResultColumn[]): string {
  const one = columns.length === 1;
  const cell = (name: string) =>
    /[",\n\r]/.test(name) || name === '' || (one && name === '\\.') ? `"${name.replace(/"/g, '""')}"` : name;
  return `${columns.map((c) => cell(c.name)).join(',')}\n`;
}

/** Encodes the whole rows of input[0, end] as CSV into `out` (grown when needed). */
export function csvEncoder(width: number, maxRowBytes: number) {
  return (input: Buffer, end: number, out: Buffer): { out: Buffer; length: number } | Error => {
    let o = 0;
    let at = 0;
    while (at <= end) {
      const lineEnd = input.indexOf(NEWLINE, at);
      if (lineEnd - at > maxRowBytes) return rowTooLarge(maxRowBytes);
      // At most: every byte a doubled quote, two quotes and a comma a value, the newline.
      const need = o + (lineEnd - at) * 2 + 3 * width + 1;
      if (need > out.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, out.length * 2));
        out.copy(bigger, 0, 0, o);
        out = bigger;
      }
      for (let i = 0; i < width; i++) {
        if (i) out[o++] = COMMA;
        let stop = at;
        let plain = true;
        for (; stop < lineEnd && input[stop] !== TAB; stop++) if (CAREFUL[input[stop]!] === 1) plain = false;
        if (stop === lineEnd ? i !== width - 1 : i === width - 1)
          return new Error(`COPY text row without ${width} columns`);
        if (stop === at) {
          out[o++] = QUOTE; // the empty string; NULL is \N
          out[o++] = QUOTE;
        } else if (plain) for (let p = at; p < stop; p++) out[o++] = input[p]!;
        else if (!(stop - at === 2 && input[at] === BACKSLASH && input[at + 1] === N))
          o = writeCareful(input, at, stop, out, o, width === 1);
        at = stop + 1;
      }
      if (width === 0) at = lineEnd + 1;
      out[o++] = NEWLINE;
    }
    return { out, length: o };
  };
}

/** A value with an escape, a comma or a quote: unescaped, and quoted when CSV needs it. */
function writeCareful(input: Buffer, at: number, stop: number, out: Buffer, o: number, alone: boolean): number {
  let quoted =
    alone && stop - at === 3 && input[at] === BACKSLASH && input[at + 1] === BACKSLASH && input[at + 2] === DOT;
  for (let p = at; p < stop && !quoted; p++) {
    const b = input[p]!;
    if (b === COMMA || b === QUOTE) quoted = true;
    else if (b === BACKSLASH) {
      const c = UNESCAPED[input[++p]!]!;
      if (c === NEWLINE || c === 13) quoted = true;
    }
  }
  if (quoted) out[o++] = QUOTE;
  for (let p = at; p < stop; p++) {
    let b = input[p]!;
    if (b === BACKSLASH) b = UNESCAPED[input[++p]!]!;
    else if (b === QUOTE && quoted) out[o++] = QUOTE;
    out[o++] = b;
  }
  if (quoted) out[o++] = QUOTE;
  return o;
}
