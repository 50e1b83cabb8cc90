import { z } from 'zod';
import { AppError, isAppError, messageOf } from '../../lib/errors.ts';
import { CONTENT_TYPES, formatSink, type Format } from '../../query/formats.ts';
import type { QueryRunner, ResultColumn } from '../../query/runner.ts';
import type { Response } from 'express';
import { warehouseOf } from '../../state/connections.ts';
import { route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';
import type { QueryRequest } from '../types.ts';

/**
 * POST /api/v1/query: SQL with parameters, run under the read-only role (server/query/runner.ts), the
 * result streamed as JSON, CSV or NDJSON (server/query/formats.ts) while PostgreSQL produces it.
 */

const FORMATS = ['json', 'csv', 'ndjson'] as const;

const body: z.ZodType<QueryRequest> = z.strictObject({
  sql: z.string().trim().min(1, 'sql is empty').max(100_000),
  params: z
    .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .max(1000)
    .optional(),
  connection: z.number().int().positive().optional(),
  format: z.enum(FORMATS).optional(),
});

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

export function runner(s: Services): QueryRunner {
  if (s.query instanceof Error) throw s.query;
  return s.query;
}

/** The warehouse schema a query reads (see warehouseOf). */
export async function schemaFor(s: Services, connection: number | undefined): Promise<string> {
  return (await warehouseOf(s.pool, connection)).schema;
}

/** Runs SQL into the response in `format`; errors before the first row are ordinary error responses. */
export async function streamQuery(
  s: Services,
  res: Response,
  o: { sql: string; params: readonly (string | number | boolean | null)[]; schema: string; format: Format },
): Promise<void> {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const sink = formatSink(o.format, res, (columns) => {
    res.status(200).setHeader('Content-Type', CONTENT_TYPES[o.format]);
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
  s: Services,
  res: Response,
  signal: AbortSignal,
  o: { sql: string; schema: string; format: 'csv' | 'json' },
): Promise<boolean> {
  // Headers are set here and go out with the first byte PostgreSQL sends.
  const start = (columns: readonly ResultColumn[]) => {
    res.status(200).setHeader('Content-Type', CONTENT_TYPES[o.format]);
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

export function queryRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'post',
      path: '/query',
      scope: 'read',
      summary: 'Run a read-only SQL query on the warehouse; the result streams as JSON, CSV or NDJSON',
      body,
      handle: async ({ body, req, res }) => {
        const format = chooseFormat(body.format, req.query.format, req.headers.accept);
        await streamQuery(s, res, {
          sql: body.sql,
          params: body.params ?? [],
          schema: await schemaFor(s, body.connection),
          format,
        });
        return undefined;
      },
    }),
  ];
}
