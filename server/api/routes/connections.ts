import { z } from 'zod';
import { deleteConnection, getConnection, listConnections, updateConnection } from '../../state/connections.ts';
import { retryDroppedFields } from '../../state/droppedFields.ts';
import type { ConnectionInfo, ConnectionPatch } from '../types.ts';
import { divisionNextSync } from '../../schedule/decide.ts';
import { divisionSchedules } from '../../schedule/schedules.ts';
import { idParam, route, type ApiRoute } from '../route.ts';
import { webhookCallbackUrl } from '../../sync/webhookSubscriptions.ts';
import type { Services } from '../services.ts';

/** /api/v1/connections: the Exact Online connections, their state, starting year, pause and removal. */

const patchBody: z.ZodType<ConnectionPatch> = z.strictObject({
  startYear: z.number().int().min(2000).max(2100).nullable().optional(),
  enabled: z.boolean().optional(),
});

/** Adds what the job queue and the schedule know: syncs waiting for a worker, and the next one due. */
export async function withQueue(s: Services, c: ConnectionInfo): Promise<ConnectionInfo> {
  const [pending, schedules] = await Promise.all([
    s.sync.pending(c.id),
    divisionSchedules(s.pool, { connectionId: c.id }),
  ]);
  const states = [...pending.values()];
  const next = schedules.map(divisionNextSync);
  const nextSyncAt =
    next.length === 0 || next.includes(null) ? null : new Date(Math.min(...next.map((d) => d!.getTime())));
  // A job a worker has taken counts as running from that moment, before its run is recorded.
  return {
    ...c,
    running: Math.max(c.running, states.filter((x) => x === 'active').length),
    queued: states.filter((x) => x === 'queued').length,
    nextSyncAt,
  };
}

export function connectionRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/connections',
      scope: 'admin',
      summary: 'List the Exact Online connections with their state and last sync',
      handle: async () => ({
        connections: await Promise.all((await listConnections(s.pool)).map((c) => withQueue(s, c))),
      }),
    }),
    route({
      method: 'get',
      path: '/connections/:id',
      scope: 'admin',
      summary: 'One connection',
      handle: async ({ params }) => withQueue(s, await getConnection(s.pool, idParam(params, 'id', 'connection'))),
    }),
    route({
      method: 'patch',
      path: '/connections/:id',
      scope: 'admin',
      summary: 'Change the starting year, or pause (enabled: false) and resume a connection',
      body: patchBody,
      handle: async ({ params, body }) => {
        const id = idParam(params, 'id', 'connection');
        // Paused, Exact stops sending (asked while the connection may still call Exact); resumed, it sends
        // again when near-real-time was on.
        if (body.enabled === false) await s.sync.connectionPaused(id, 'paused');
        const updated = await updateConnection(s.pool, id, {
          ...(body.startYear !== undefined ? { startYear: body.startYear } : {}),
          ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        });
        if (body.enabled === true) await s.sync.connectionResumed(id, webhookCallbackUrl(s.publicUrl));
        return withQueue(s, updated);
      },
    }),
    route({
      method: 'post',
      path: '/connections/:id/dropped-fields/retry',
      scope: 'admin',
      summary: 'Ask Exact again, from the next run, for the fields it said an endpoint no longer has',
      handle: async ({ params }) => {
        const id = idParam(params, 'id', 'connection');
        await getConnection(s.pool, id);
        return { retried: await retryDroppedFields(s.pool, id) };
      },
    }),
    route({
      method: 'delete',
      path: '/connections/:id',
      scope: 'admin',
      summary: 'Remove a connection and its tokens (its warehouse tables stay)',
      handle: async ({ params }) => {
        const id = idParam(params, 'id', 'connection');
        await s.sync.connectionPaused(id, 'removed');
        await deleteConnection(s.pool, id);
        return undefined;
      },
    }),
  ];
}
