import { csvField } from '../lib/csv.ts';
import type { Writable } from 'node:stream';
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
      // own JSON writes it (the COPY path); without a zone, none.
      return type === 'timestamptz'
        ? (v) => (v.endsWith('+00') ? `"${v.slice(0, 10)}T${v.slice(11, -3)}+00:00"` : JSON.stringify(v))
        : (v) => `"${v.slice(0, 10)}T${v.slice(11)}"`;
    case 'json':
      return (v) => v;
    default:
      return (v) => JSON.stringify(v);
  }
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
  let encoders: Encode[] = [];
  let names: string[] = [];
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
      encoders = columns.map((c) => jsonEncoder(c.kind, c.type));
      names = columns.map((c) => JSON.stringify(c.name));
      if (format === 'json') await write(`{"columns":${JSON.stringify(columns)},"rows":[`);
      else if (format === 'csv') await write(`${columns.map((c) => csvField(c.name)).join(',')}\n`);
    },
    async rows(batch) {
      let text = '';
      if (format === 'csv') {
        for (const row of batch) text += `${row.map(csvField).join(',')}\n`;
      } else if (format === 'json') {
        for (const row of batch) {
          let line = first ? '[' : ',[';
          first = false;
          for (let i = 0; i < row.length; i++) {
            const v = row[i];
            line += (i ? ',' : '') + (v === null || v === undefined ? 'null' : encoders[i]!(v));
          }
          text += `${line}]`;
        }
      } else {
        for (const row of batch) {
          let line = '{';
          for (let i = 0; i < row.length; i++) {
            const v = row[i];
            line += `${i ? ',' : ''}${names[i]}:${v === null || v === undefined ? 'null' : encoders[i]!(v)}`;
          }
          text += `${line}}\n`;
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

/**
 * Writes `text`, and when the stream asks to wait, waits for it to drain or to close, whichever comes
 * first: a client that goes away never drains, and waiting for that alone held the query's connection
 * (and its transaction) forever.
 */
export async function writeOrWait(out: Writable, text: string): Promise<void> {
  if (out.destroyed) throw new Error('the client went away');
  if (out.write(text)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (gone: boolean) => {
      out.off('drain', drained);
      out.off('close', closed);
      if (gone) reject(new Error('the client went away'));
      else resolve();
    };
    const drained = () => done(false);
    const closed = () => done(true);
    out.on('drain', drained);
    out.on('close', closed);
  });
}
