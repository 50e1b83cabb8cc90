import type { ServerResponse } from 'node:http';
import { AppError, isAppError, messageOf } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import { CONTENT_TYPES, formatSink, type Format } from './formats.ts';
import type { QueryLimits, QueryRunner, ResultColumn } from './runner.ts';

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

/** Runs SQL into the response in `format`; errors before the first row are ordinary error responses. */
export async function streamQuery(
  s: StreamDeps,
  res: ServerResponse,
  o: { sql: string; params: readonly (string | number | boolean | null)[]; schema: string; format: Format },
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const sink = formatSink(o.format, res, (columns) => {
    res.statusCode = 200;
    res.setHeader('Content-Type', CONTENT_TYPES[o.format]);
    res.setHeader('Cache-Control', 'no-store');
    if (o.format !== 'json') res.setHeader('X-Columns', JSON.stringify(columns));
  });
  try {
    // Without parameters PostgreSQL writes CSV and the JSON rows itself (COPY), as fast as psql \copy;
    // with parameters (COPY takes none), the cursor path below.
    if (o.params.length === 0 && (o.format === 'csv' || o.format === 'json')) {
      const copied = await copyPath(s, res, abort.signal, { sql: o.sql, schema: o.schema, format: o.format });
      if (copied) return;
    }
    const outcome = await runner(s).run(
      { sql: o.sql, params: o.params, schema: o.schema, limits: s.queryLimits, signal: abort.signal },
      sink,
    );
    await sink.finish(outcome);
  } catch (err) {
    if (!sink.started) throw err;
    s.log.warn({ err }, 'query failed while its result was being sent');
    await sink
      .finish({ error: { code: isAppError(err) ? err.code : 'query_failed', message: messageOf(err) } })
      .catch(() => undefined);
  }
}

/**
 * The COPY path; false when the result cannot take it (over 100 columns for JSON) and nothing was sent.
 * After the first byte an error cuts the response off (JSON: ends it with an error member when the rows
 * were complete, i.e. past the row cap).
 */
async function copyPath(
  s: StreamDeps,
  res: ServerResponse,
  signal: AbortSignal,
  o: { sql: string; schema: string; format: 'csv' | 'json' },
): Promise<boolean> {
  // Headers are set here and go out with the first byte PostgreSQL sends.
  const start = (columns: readonly ResultColumn[]) => {
    res.statusCode = 200;
    res.setHeader('Content-Type', CONTENT_TYPES[o.format]);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Columns', JSON.stringify(columns));
    return `{"columns":${JSON.stringify(columns)},"rows":[`;
  };
  const options = { sql: o.sql, schema: o.schema, limits: s.queryLimits, signal };
  try {
    const outcome =
      o.format === 'csv'
        ? await runner(s).copyCsv(options, start, res)
        : await runner(s).copyJsonRows(options, start, res);
    res.end(o.format === 'json' ? `],"rowCount":${outcome.rows}}` : undefined);
  } catch (err) {
    if (!res.headersSent) {
      res.removeHeader('X-Columns');
      if (isAppError(err) && err.code === 'too_many_columns') return false;
      throw err;
    }
    s.log.warn({ err }, 'query failed while its result was being sent');
    // Past the row cap every row was sent whole: the JSON can still say so. Anything else cuts it off.
    if (o.format === 'json' && isAppError(err) && err.code === 'row_limit')
      res.end(`],"error":${JSON.stringify({ code: err.code, message: err.message })}}`);
    else res.destroy();
  }
  return true;
}
