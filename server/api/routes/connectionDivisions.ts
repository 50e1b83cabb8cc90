import { z } from 'zod';
import { getConnection } from '../../state/connections.ts';
import { listDivisions, selectDivisions, setDivisionEnabled } from '../../state/divisions.ts';
import type { DivisionInfo, DivisionSelectionRequest, DivisionsResponse, Json } from '../types.ts';
import { idParam, route, type ApiRoute } from '../route.ts';
import { divisionNextSync } from '../../schedule/decide.ts';
import { divisionSchedules } from '../../schedule/schedules.ts';
import type { Services } from '../services.ts';

/** /api/v1/connections/:id/divisions: which administrations a connection syncs. */

const selection: z.ZodType<DivisionSelectionRequest> = z.discriminatedUnion('mode', [
  z.strictObject({ mode: z.literal('all') }),
  z.strictObject({ mode: z.literal('selected'), divisions: z.array(z.number().int().positive()).max(10_000) }),
]);

/** Adds what the job queue and the schedule know: a sync waiting for or taken by a worker, and when the next one is due. */
async function withSchedule(
  s: Services,
  connectionId: number,
  divisions: DivisionInfo[],
): Promise<Json<DivisionInfo>[]> {
  const [pending, schedules] = await Promise.all([
    s.sync.pending(connectionId),
    divisionSchedules(s.pool, { connectionId }),
  ]);
  const next = new Map(schedules.map((d) => [d.division, divisionNextSync(d)]));
  return divisions.map((d) => {
    const nextSyncAt = next.get(d.division) ?? null;
    // A job a worker has taken counts as syncing from that moment, before its run is recorded.
    return {
      ...d,
      syncing: d.syncing || pending.get(d.division) === 'active',
      queued: pending.get(d.division) === 'queued',
      nextSyncAt,
    };
  }) as unknown as Json<DivisionInfo>[];
}

export function connectionDivisionRoutes(s: Services): ApiRoute[] {
  const answer = async (id: number, search?: string): Promise<DivisionsResponse> => ({
    mode: (await getConnection(s.pool, id)).divisionsMode,
    divisions: await withSchedule(s, id, await listDivisions(s.pool, id, search === undefined ? {} : { search })),
  });
  return [
    route({
      method: 'get',
      path: '/connections/:id/divisions',
      scope: 'admin',
      summary: 'The divisions the connection reaches, whether each syncs, and its last run',
      query: z.object({ search: z.string().max(200).optional() }),
      handle: async ({ params, query }) => answer(idParam(params, 'id', 'connection'), query.search),
    }),
    route({
      method: 'put',
      path: '/connections/:id/divisions',
      scope: 'admin',
      summary: 'Choose the divisions to sync: all (new ones included) or exactly a list',
      body: selection,
      handle: async ({ params, body }) => {
        const id = idParam(params, 'id', 'connection');
        await selectDivisions(s.pool, id, body);
        return answer(id);
      },
    }),
    route({
      method: 'patch',
      path: '/connections/:id/divisions/:division',
      scope: 'admin',
      summary: 'Turn syncing of one division on or off, or sync it now (syncNow: true)',
      body: z
        .strictObject({ syncEnabled: z.boolean().optional(), syncNow: z.literal(true).optional() })
        .refine((b) => b.syncEnabled !== undefined || b.syncNow !== undefined, {
          error: 'Give syncEnabled (true or false) or syncNow: true.',
        }),
      handle: async ({ params, body }) => {
        const id = idParam(params, 'id', 'connection');
        const division = idParam(params, 'division', 'division');
        if (body.syncEnabled !== undefined) await setDivisionEnabled(s.pool, id, division, body.syncEnabled);
        if (body.syncNow) await s.sync.requestSync({ connectionId: id, divisions: [division], trigger: 'manual' });
        return answer(id);
      },
    }),
  ];
}
