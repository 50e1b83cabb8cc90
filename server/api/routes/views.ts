import { z } from 'zod';
import { getSavedQuery } from '../../query/savedQueries.ts';
import { STARTER_MODELS } from '../../query/starterModels.ts';
import {
  getView,
  listViews,
  publishStarter,
  publishView,
  refreshView,
  unpublishView,
  viewWarehouse,
} from '../../query/views.ts';
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
        const w = await viewWarehouse(s.pool, body.connection ?? saved?.connectionId);
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
      handle: async ({ params }) => refreshView(s.pool, params.name ?? ''),
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
        const w = await viewWarehouse(s.pool, body.connection);
        return publishStarter(s.pool, s.query, s.queryLimits, params.name ?? '', {
          connectionId: w.connectionId,
          schema: w.schema,
          materialized: body.materialized ?? false,
        });
      },
    }),
  ];
}
