import { z } from 'zod';
import { getRun, listRuns } from '../../state/runs.ts';
import { idParam, queryInt, route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';

/** /api/v1/runs: the sync history, newest first, with per-table results. */

const filter = z.object({
  connection: queryInt(1, 2 ** 31 - 1).optional(),
  division: queryInt(1, 2 ** 31 - 1).optional(),
  status: z.enum(['running', 'succeeded', 'failed', 'daily_limit', 'reauth_required']).optional(),
  before: queryInt(1, Number.MAX_SAFE_INTEGER).optional(),
  limit: queryInt(1, 500).optional(),
});

export function runRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/runs',
      scope: 'admin',
      summary: 'Sync runs, newest first (filters: connection, division, status; paging: before, limit)',
      query: filter,
      handle: async ({ query }) => ({
        runs: await listRuns(s.pool, {
          ...(query.connection ? { connectionId: query.connection } : {}),
          ...(query.division ? { division: query.division } : {}),
          ...(query.status ? { status: query.status } : {}),
          ...(query.before ? { before: query.before } : {}),
          ...(query.limit ? { limit: query.limit } : {}),
        }),
      }),
    }),
    route({
      method: 'get',
      path: '/runs/:id',
      scope: 'admin',
      summary: 'One run with its per-table results and errors',
      handle: async ({ params }) => getRun(s.pool, idParam(params, 'id', 'run')),
    }),
  ];
}
