import { z } from 'zod';
import { getConnection } from '../../state/connections.ts';
import { listDivisions, selectDivisions, setDivisionEnabled } from '../../state/divisions.ts';
import type { DivisionInfo, DivisionSelectionRequest, DivisionsResponse, Json } from '../types.ts';
import { idParam, route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';

/** /api/v1/connections/:id/divisions: which administrations a connection syncs. */

const selection: z.ZodType<DivisionSelectionRequest> = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('all') }),
  z.strictObject({ mode: z.literal('selected'), divisions: z.array(z.number().int().positive()).max(10_000) }),
]);

export function divisionRoutes(s: Services): ApiRoute[] {
  const answer = async (id: number, search?: string): Promise<DivisionsResponse> => ({
    mode: (await getConnection(s.pool, id)).divisionsMode,
    // The sync service knows of a sync the moment it starts, before its run is recorded.
    divisions: (await listDivisions(s.pool, id, search === undefined ? {} : { search }))
      .map((d) => ({ ...d, syncing: d.syncing || s.sync.isRunning(id, d.division) })) as unknown as Json<DivisionInfo>[],
  });
  return [
    route({
      method: 'get', path: '/connections/:id/divisions', scope: 'admin', summary: 'The divisions the connection reaches, whether each syncs, and its last run',
      query: z.object({ search: z.string().max(200).optional() }),
      handle: async ({ params, query }) => answer(idParam(params, 'id', 'connection'), query.search),
    }),
    route({
      method: 'put', path: '/connections/:id/divisions', scope: 'admin', summary: 'Choose the divisions to sync: all (new ones included) or exactly a list',
      body: selection,
      handle: async ({ params, body }) => {
        const id = idParam(params, 'id', 'connection');
        await selectDivisions(s.pool, id, body);
        return answer(id);
      },
    }),
    route({
      method: 'patch', path: '/connections/:id/divisions/:division', scope: 'admin', summary: 'Turn syncing of one division on or off',
      body: z.strictObject({ syncEnabled: z.boolean() }),
      handle: async ({ params, body }) => {
        const id = idParam(params, 'id', 'connection');
        await setDivisionEnabled(s.pool, id, idParam(params, 'division', 'division'), body.syncEnabled);
        return answer(id);
      },
    }),
  ];
}
