import { z } from 'zod';
import { callerOf } from '../../query/runner.ts';
import { chooseFormat, FORMATS, streamQuery } from '../../query/stream.ts';
import { warehouseOf } from '../../state/connections.ts';
import { route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';
import type { QueryRequest } from '../types.ts';

/**
 * POST /api/v1/query: SQL with parameters, run under the read-only role (server/query/runner.ts), the
 * result streamed as JSON, CSV or NDJSON (server/query/stream.ts) while PostgreSQL produces it.
 */

const body: z.ZodType<QueryRequest> = z.strictObject({
  sql: z.string().trim().min(1, 'sql is empty').max(100_000),
  params: z
    .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .max(1000)
    .optional(),
  connection: z.number().int().positive().optional(),
  format: z.enum(FORMATS).optional(),
  maxRows: z.number().int().positive().optional(),
});

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
          schema: (await warehouseOf(s.pool, body.connection)).schema,
          format,
          caller: callerOf(req.caller!),
          maxRows: body.maxRows,
        });
        return undefined;
      },
    }),
    route({
      method: 'post',
      path: '/query/columns',
      scope: 'read',
      summary:
        "A query's columns (name, type, kind) without its rows: what X-Columns says, for any names and any number",
      body,
      handle: async ({ body, req }) => {
        if (s.query instanceof Error) throw s.query;
        const columns = await s.query.describe({
          sql: body.sql,
          params: body.params ?? [],
          schema: (await warehouseOf(s.pool, body.connection)).schema,
          limits: s.queryLimits,
          caller: callerOf(req.caller!),
        });
        return { columns };
      },
    }),
  ];
}
