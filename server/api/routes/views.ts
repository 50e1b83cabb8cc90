import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { getSavedQuery } from '../../query/savedQueries.ts';
import { STARTER_MODELS } from '../../query/starterModels.ts';
import { getView, listViews, publishStarter, publishView, refreshView, unpublishView } from '../../query/views.ts';
import { warehouseOf } from '../../state/connections.ts';
import { route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';
import type { PublishViewRequest } from '../types.ts';

/**
 * /api/v1/views: saved queries published as views in the `reports` schema (server/query/views.ts).
 * Reading the list takes a read key; publishing, refreshing and removing one an admin key.
 */

const publishBody: z.ZodType<PublishViewRequest> = z
  .strictObject({
    name: z.string().min(1).max(63),
    savedQueryId: z.number().int().positive().optional(),
    sql: z.string().trim().min(1).max(100_000).optional(),
    connection: z.number().int().positive().optional(),
    materialized: z.boolean().optional(),
  })
  .refine((b) => (b.savedQueryId === undefined) !== (b.sql === undefined), {
    message: 'give savedQueryId or sql (one of them)',
  });

/** The connection's warehouse (the first connection's when none is named); a view needs one. */
async function knownWarehouse(s: Services, connection: number | undefined) {
  const w = await warehouseOf(s.pool, connection);
  if (w.connectionId === null)
    throw new AppError('connection_not_found', 'Connect Exact Online first: a view reads a connection’s warehouse.', {
      status: 404,
    });
  return { connectionId: w.connectionId, schema: w.schema };
}

export function viewRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/views',
      scope: 'read',
      summary: 'The published views (reports schema), each with its status: ok, or broken and why',
      query: z.object({ connection: z.coerce.number().int().positive().optional() }),
      handle: async ({ query }) => ({ views: await listViews(s.pool, query.connection) }),
    }),
    route({
      method: 'post',
      path: '/views',
      scope: 'admin',
      summary: 'Publish a saved query (or SQL) as a view in the reports schema, optionally materialized',
      status: 201,
      body: publishBody,
      handle: async ({ body }) => {
        if (s.query instanceof Error) throw s.query;
        const saved =
          body.savedQueryId !== undefined ? await getSavedQuery(s.pool, String(body.savedQueryId)) : undefined;
        const w = await warehouseOf(s.pool, body.connection ?? saved?.connectionId ?? undefined);
        if (w.connectionId === null)
          throw new AppError(
            'connection_not_found',
            'Connect Exact Online first: a view reads a connection’s warehouse.',
            {
              status: 404,
            },
          );
        return publishView(s.pool, s.query, s.queryLimits, {
          name: body.name,
          sql: saved?.sql ?? body.sql!,
          connectionId: w.connectionId,
          schema: w.schema,
          savedQueryId: saved?.id ?? null,
          materialized: body.materialized ?? false,
        });
      },
    }),
    route({
      method: 'get',
      path: '/views/:name',
      scope: 'read',
      summary: 'One published view',
      handle: async ({ params }) => getView(s.pool, params.name ?? ''),
    }),
    route({
      method: 'post',
      path: '/views/:name/refresh',
      scope: 'admin',
      summary: 'Refresh a materialized view now, or make a broken view again from its SQL',
      handle: async ({ params }) =>
        refreshView(s.pool, params.name ?? '', async (id) => (await warehouseOf(s.pool, id)).schema),
    }),
    route({
      method: 'delete',
      path: '/views/:name',
      scope: 'admin',
      summary: 'Remove a published view (drops it from the reports schema)',
      handle: async ({ params }) => {
        await unpublishView(s.pool, params.name ?? '');
        return undefined;
      },
    }),
  ];
}

/** /api/v1/starter-models: the views a finance team needs first, published on request. */
export function starterRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/starter-models',
      scope: 'read',
      summary: 'The starter models (P&L, balance, ageing, revenue per customer) and whether each is published',
      handle: async () => {
        const published = new Set((await listViews(s.pool)).map((v) => v.name));
        return {
          starters: STARTER_MODELS.map((m) => ({
            name: m.name,
            title: m.title,
            description: m.description,
            tables: [...m.tables],
            published: published.has(m.name),
          })),
        };
      },
    }),
    route({
      method: 'post',
      path: '/starter-models/:name',
      scope: 'admin',
      summary: 'Publish a starter model as a view in the reports schema (409 names the tables to sync first)',
      status: 201,
      body: z.strictObject({
        connection: z.number().int().positive().optional(),
        materialized: z.boolean().optional(),
      }),
      handle: async ({ params, body }) => {
        if (s.query instanceof Error) throw s.query;
        const w = await knownWarehouse(s, body.connection);
        return publishStarter(s.pool, s.query, s.queryLimits, params.name ?? '', {
          connectionId: w.connectionId,
          schema: w.schema,
          materialized: body.materialized ?? false,
        });
      },
    }),
  ];
}
