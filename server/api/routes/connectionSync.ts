import { z } from 'zod';
import { idParam, route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';
import type { SyncNowRequest, SyncNowResponse } from '../types.ts';

/**
 * POST /api/v1/connections/:id/sync: sync now. 202 with the divisions started; a division already
 * syncing is not started twice: it is listed under alreadyRunning with its run id (200 when nothing new started).
 */

const body: z.ZodType<SyncNowRequest> = z.strictObject({
  divisions: z.array(z.number().int().positive()).min(1).max(10_000).optional(),
  tables: z.array(z.string()).min(1).optional(),
  full: z.boolean().optional(),
});

export function connectionSyncRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'post',
      path: '/connections/:id/sync',
      scope: 'admin',
      summary: 'Sync now: all selected divisions, or the ones listed',
      status: 202,
      body,
      handle: async ({ params, body, res }) => {
        const start = await s.sync.requestSync({
          connectionId: idParam(params, 'id', 'connection'),
          trigger: 'manual',
          ...(body.divisions ? { divisions: body.divisions } : {}),
          ...(body.tables ? { tables: body.tables } : {}),
          ...(body.full ? { full: true } : {}),
        });
        const nothingNew = start.started.length === 0 && start.alreadyRunning.length > 0;
        const answer: SyncNowResponse = {
          status: nothingNew ? 'already_running' : 'started',
          started: start.started,
          alreadyRunning: start.alreadyRunning,
        };
        res.status(nothingNew ? 200 : 202).json(answer);
        return undefined;
      },
    }),
  ];
}
