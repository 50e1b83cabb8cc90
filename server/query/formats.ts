import { csvField } from '../lib/csv.ts';
import type { Writable } from 'node:stream';
import { writeOrWait } from './backpressure.ts';
import type { ColumnKind, ResultColumn, ResultSink } from './runner.ts';

/**
 * Query results written as they arrive, in three formats:
 *
 * - `json`: `{"columns":[{name,type,kind}],"rows":[[…],…],"rowCount":n}`: compact, for the add-ins.
 *   Values as PostgreSQL's JSON writes them: numbers as JSON numbers (NaN and Infinity as strings),
 *   booleans true/false, timestamps ISO 8601 in UTC (+00:00), json columns inline, the rest strings.
 * - `csv`: a header row, then PostgreSQL's text of each value, quoted only where CSV needs it, NULL as
 *   nothing: what `psql \copy … csv` writes.
 * - `ndjson`: one JSON object per row (column name → value as in `json`).
 *
 * Nothing is sent until the first batch arrived (so an error before it gets a proper status). An error
 * after that cannot change the status: `json` ends with an "error" member, `ndjson` with an error line,
 * and `csv` (which has no place for one) is cut off, so a client never mistakes it for the whole result.
 */

export type Format = 'json' | 'csv' | 'ndjson';

export const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

type Encode = (raw: string) => string;

/** A value as JSON text, from PostgreSQL's text of it. */
export function jsonEncoder(kind: ColumnKind, type: string): Encode {
  switch (kind) {
    case 'integer':
    case 'number':
      // NaN and ±Infinity (numeric, float) are not JSON numbers.
      return (v) => (v.charCodeAt(v.length - 1) >= 48 && v.charCodeAt(v.length - 1) <= 57 ? v : JSON.stringify(v));
    case 'boolean':
      return (v) => (v === 't' ? 'true' : 'false');
    case 'datetime':
      // "2026-01-04 10:00:00.123+00" (UTC, DateStyle ISO) → "2026-01-04T10:00:00.123+00:00", as PostgreSQL's
      // own JSON writes it; without a zone, none. Anything else ("infinity", a BC date) as it is.
      return type === 'timestamptz'
        ? (v) =>
            v.endsWith('+00') && v[10] === ' ' ? `"${v.slice(0, 10)}T${v.slice(11, -3)}+00:00"` : JSON.stringify(v)
        : (v) =>
            v[10] === ' ' && v.charCodeAt(v.length - 1) <= 57
              ? `"${v.slice(0, 10)}T${v.slice(11)}"`
              : JSON.stringify(v);
    case 'json':
      return (v) => v;
    default:
      return (v) => JSON.stringify(v);
  }
}

/**
 * One row of values (PostgreSQL's text of each, null for NULL) as JSON text: `[…]` for `json` (with a
 * comma before it unless it is the first), `{name: value, …}` and a newline for `ndjson`. The cursor
 * path writes rows with it; the COPY path (copyText.ts) writes the same bytes from PostgreSQL's text,
 * which its tests check against this.
 */
export type RowEncoder = (row: readonly (string | null | undefined)[], first: boolean) => string;

export function rowEncoder(format: 'json' | 'ndjson', columns: readonly ResultColumn[]): RowEncoder {
  const encoders = columns.map((c) => jsonEncoder(c.kind, c.type));
  if (format === 'json')
    return (row, first) => {
      let line = first ? '[' : ',[';
      for (let i = 0; i < row.length; i++) {
        const v = row[i];
        line += (i ? ',' : '') + (v === null || v === undefined ? 'null' : encoders[i]!(v));
      }
      return `${line}]`;
    };
  const names = columns.map((c, i) => `${i ? ',' : '{'}${JSON.stringify(c.name)}:`);
  return (row) => {
    let line = '';
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      line += names[i]! + (v === null || v === undefined ? 'null' : encoders[i]!(v));
    }
    return `${line || '{'}}\n`;
  };
}

export interface FormatSink extends ResultSink {
  /** After the last row (rowCount) or an error: closes the document as the format allows. */
  finish(outcome: { rows: number } | { error: { code: string; message: string } }): Promise<void>;
  /** Whether anything was sent yet (else an error can still be a plain error response). */
  readonly started: boolean;
}

/**
 * A sink writing `format` to `out`. `start` is called with the columns before the first byte, to set the
 * status and headers.
 */
export function formatSink(
  format: Format,
  out: Writable,
  start: (columns: readonly ResultColumn[]) => void,
): FormatSink {
  let encodeRow: RowEncoder | undefined;
  let started = false;
  let first = true;
  const write = (text: string) => writeOrWait(out, text);
  return {
    get started() {
      return started;
    },
    async columns(columns) {
      start(columns);
      started = true;
      if (format !== 'csv') encodeRow = rowEncoder(format, columns);
      if (format === 'json') await write(`{"columns":${JSON.stringify(columns)},"rows":[`);
      else if (format === 'csv') await write(`${columns.map((c) => csvField(c.name)).join(',')}\n`);
    },
    async rows(batch) {
      let text = '';
      if (format === 'csv') {
        for (const row of batch) text += `${row.map(csvField).join(',')}\n`;
      } else {
        for (const row of batch) {
          text += encodeRow!(row, first);
          first = false;
        }
      }
      await write(text);
    },
    async finish(outcome) {
      if ('error' in outcome) {
        if (format === 'json') await write(`],"error":${JSON.stringify(outcome.error)}}`);
        else if (format === 'ndjson') await write(`${JSON.stringify({ error: outcome.error })}\n`);
        else {
          out.destroy(new Error(outcome.error.message));
          return;
        }
      } else if (format === 'json') {
        await write(`],"rowCount":${outcome.rows}}`);
      }
      out.end();
    },
  };
}
