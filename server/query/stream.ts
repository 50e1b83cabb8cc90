import type { ServerResponse } from 'node:http';
import { AppError, isAppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { CONTENT_TYPES, formatSink, type Format } from './formats.ts';
import type { QueryLimits, QueryOptions, QueryRunner, ResultColumn } from './runner.ts';

/**
 * A read-only query streamed into an HTTP response as JSON, CSV or NDJSON while PostgreSQL produces it:
 * what POST /api/v1/query, a saved query's run and a table's rows all answer with.
 */

export const FORMATS = ['json', 'csv', 'ndjson'] as const;

/** What streaming needs: the read-only runner (or why there is none), the limits, and a log. */
export interface StreamDeps {
  query: QueryRunner | Error;
  queryLimits: QueryLimits;
  log: Logger;
}

function runner(s: Pick<StreamDeps, 'query'>): QueryRunner {
  if (s.query instanceof Error) throw s.query;
  return s.query;
}

/** The format asked for: the body's, else ?format=, else the Accept header, else JSON. */
export function chooseFormat(given: string | undefined, queryFormat: unknown, accept: string | undefined): Format {
  const pick = given ?? (typeof queryFormat === 'string' ? queryFormat : undefined);
  if (pick !== undefined) {
    if (!(FORMATS as readonly string[]).includes(pick))
      throw new AppError(
        'invalid_format',
        `format must be one of ${FORMATS.join(', ')} (got ${JSON.stringify(pick)})`,
        { status: 400 },
      );
    return pick as Format;
  }
  if (accept?.includes('text/csv')) return 'csv';
  if (accept?.includes('ndjson')) return 'ndjson';
  return 'json';
}

/**
 * The X-Columns header: the columns as JSON with every non-ASCII character escaped (\uXXXX, so any
 * Unicode name travels in a header, which carries Latin-1 at most), or undefined past 4 KB (a proxy's
 * header buffer is often 4 or 8 KB in all). The JSON format always has them in its body, and
 * POST /api/v1/query/columns answers them for any query.
 */
export function columnsHeader(columns: readonly ResultColumn[]): string | undefined {
  const text = JSON.stringify(columns).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return text.length <= COLUMNS_HEADER_MAX ? text : undefined;
}

const COLUMNS_HEADER_MAX = 4096;
/** After QUERY_TIMEOUT_SECONDS, how long a response may take to end before it is cut off. */
const RESPONSE_GRACE_MS = 5000;

/** Status and headers of a result, set before its first byte. */
function startResponse(res: ServerResponse, format: Format, columns: readonly ResultColumn[]): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', CONTENT_TYPES[format]);
  res.setHeader('Cache-Control', 'no-store');
  const header = columnsHeader(columns);
  if (header !== undefined) res.setHeader('X-Columns', header);
}

/**
 * Runs SQL into the response in `format`; errors before the first row are ordinary error responses.
 * The whole response has a deadline (QUERY_TIMEOUT_SECONDS and a grace): a client that reads too
 * slowly to finish in time is cut off, and its query's connection with it.
 */
export async function streamQuery(
  s: StreamDeps,
  res: ServerResponse,
  o: {
    sql: string;
    params: readonly (string | number | boolean | null)[];
    schema: string;
    format: Format;
    caller?: string;
    /** Fewer rows than QUERY_MAX_ROWS: past them the result ends with row_limit (e.g. what a worksheet holds). */
    maxRows?: number | undefined;
  },
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const cutOff = setTimeout(() => {
    if (!res.writableFinished) res.destroy();
  }, s.queryLimits.timeoutMs + RESPONSE_GRACE_MS);
  const sink = formatSink(o.format, res, (columns) => startResponse(res, o.format, columns));
  const run = {
    sql: o.sql,
    params: o.params,
    schema: o.schema,
    limits:
      o.maxRows !== undefined && o.maxRows < s.queryLimits.maxRows
        ? { ...s.queryLimits, maxRows: o.maxRows, maxRowsAsked: true }
        : s.queryLimits,
    signal: abort.signal,
    ...(o.caller ? { caller: o.caller } : {}),
  };
  try {
    // Without parameters PostgreSQL sends its COPY output (CSV, or text that becomes JSON here), as fast as
    // psql \copy; with parameters (COPY takes none), the cursor path below.
    if (o.params.length === 0) return await copyPath(s, res, run, o.format);
    const outcome = await runner(s).run(run, sink);
    await sink.finish(outcome);
  } catch (err) {
    if (!sink.started) throw err;
    s.log.warn({ err }, 'query failed while its result was being sent');
    await sink
      .finish({ error: { code: isAppError(err) ? err.code : 'query_failed', message: messageOf(err) } })
      .catch(() => undefined);
  } finally {
    clearTimeout(cutOff);
  }
}

/**
 * The COPY path. After the first byte an error cuts the response off (JSON and NDJSON: end it with an error when the
 * rows sent were whole, i.e. past the row cap).
 */
async function copyPath(s: StreamDeps, res: ServerResponse, run: QueryOptions, format: Format): Promise<void> {
  // Headers are set here and go out with the first byte PostgreSQL sends.
  const start = (columns: readonly ResultColumn[]) => {
    startResponse(res, format, columns);
    return `{"columns":${JSON.stringify(columns)},"rows":[`;
  };
  try {
    const outcome = await runner(s).copy(run, format, start, res);
    res.end(format === 'json' ? `],"rowCount":${outcome.rows}}` : undefined);
  } catch (err) {
    if (!res.headersSent) {
      res.removeHeader('X-Columns');
      throw err;
    }
    s.log.warn({ err }, 'query failed while its result was being sent');
    // Past the row cap every row was sent whole: JSON and NDJSON can still say so. Anything else cuts it off.
    const error = isAppError(err) && err.code === 'row_limit' ? { code: err.code, message: err.message } : undefined;
    if (error && format === 'json') res.end(`],"error":${JSON.stringify(error)}}`);
    else if (error && format === 'ndjson') res.end(`${JSON.stringify({ error })}\n`);
    else res.destroy();
  }
}
