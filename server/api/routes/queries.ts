import { z } from 'zod';
import {
  createSavedQuery,
  deleteSavedQuery,
  getSavedQuery,
  listSavedQueries,
  updateSavedQuery,
} from '../../query/savedQueries.ts';
import { warehouseOf } from '../../state/connections.ts';
import { idParam, route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';
import type { SavedQueryRequest } from '../types.ts';
import { CHART_TYPES } from '../../query/types.ts';
import { callerOf } from '../../query/runner.ts';
import { chooseFormat, streamQuery } from '../../query/stream.ts';

/**
 * /api/v1/queries: saved queries shared by every client; GET …/:id/run streams one's result. Reading and
 * running them takes a read key; saving, changing and deleting them an admin key: they are shared (the
 * server's Sheets pushes run them), so a read key must not be able to change what a report shows.
 */

const fields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  sql: z.string().trim().min(1).max(100_000),
  connectionId: z.number().int().positive().nullable().optional(),
  chart: z
    .strictObject({
      type: z.enum(CHART_TYPES),
      x: z.string().min(1).max(1000),
      y: z.string().min(1).max(1000),
      series: z.string().min(1).max(1000).optional(),
    })
    .nullable()
    .optional(),
};
const createBody: z.ZodType<SavedQueryRequest> = z.strictObject(fields);
const patchBody: z.ZodType<Partial<SavedQueryRequest>> = z.strictObject({
  name: fields.name.optional(),
  description: fields.description,
  sql: fields.sql.optional(),
  connectionId: fields.connectionId,
  chart: fields.chart,
});

/** ?params=[2026,"x",null]: the values of $1, $2, … as a JSON array (strings, numbers, booleans, null). */
const paramsInQuery = z
  .string()
  .optional()
  .transform((text, ctx) => {
    if (text === undefined) return undefined;
    try {
      const parsed = z
        .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
        .max(1000)
        .safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'params must be a JSON array of strings, numbers, booleans or null' });
    return z.NEVER;
  });

export function savedQueryRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/queries',
      scope: 'read',
      summary: 'The saved queries',
      handle: async () => ({ queries: await listSavedQueries(s.pool) }),
    }),
    route({
      method: 'post',
      path: '/queries',
      scope: 'admin',
      summary: 'Save a query (name, description, SQL)',
      status: 201,
      body: createBody,
      handle: async ({ body }) => createSavedQuery(s.pool, body),
    }),
    route({
      method: 'get',
      path: '/queries/:id',
      scope: 'read',
      summary: 'One saved query, by id or by name',
      handle: async ({ params }) => getSavedQuery(s.pool, params.id ?? ''),
    }),
    route({
      method: 'patch',
      path: '/queries/:id',
      scope: 'admin',
      summary: 'Change a saved query',
      body: patchBody,
      handle: async ({ params, body }) => updateSavedQuery(s.pool, idParam(params, 'id', 'saved query'), body),
    }),
    route({
      method: 'delete',
      path: '/queries/:id',
      scope: 'admin',
      summary: 'Delete a saved query',
      handle: async ({ params }) => {
        await deleteSavedQuery(s.pool, idParam(params, 'id', 'saved query'));
        return undefined;
      },
    }),
    route({
      method: 'get',
      path: '/queries/:id/run',
      scope: 'read',
      summary:
        'Run a saved query (by id or name): ?format=json|csv|ndjson or Accept; ?maxRows=N caps the rows; ?params=[…] (JSON) for $1, $2, …',
      query: z.object({
        format: z.string().optional(),
        maxRows: z.coerce.number().int().positive().optional(),
        params: paramsInQuery,
      }),
      handle: async ({ params, query, req, res }) => {
        const q = await getSavedQuery(s.pool, params.id ?? '');
        const format = chooseFormat(undefined, query.format, req.headers.accept);
        await streamQuery(s, res, {
          sql: q.sql,
          params: query.params ?? [],
          schema: (await warehouseOf(s.pool, q.connectionId ?? undefined)).schema,
          format,
          caller: callerOf(req.caller!),
          maxRows: query.maxRows,
        });
        return undefined;
      },
    }),
  ];
}
