import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { getConnection } from '../../state/connections.ts';
import { syncHealth } from '../../state/health.ts';
import {
  listSubscriptions,
  SAFETY_NET_HOURS,
  setSafetyNetHours,
  webhookSettings,
  webhookStats,
} from '../../state/webhookSubscriptions.ts';
import { webhookCalls } from '../../schedule/schedules.ts';
import { idParam, route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';
import { webhookCallbackUrl } from '../../sync/webhookSubscriptions.ts';

/**
 * Watching a connection: its sync health (calls per day, failing tables, rows changed) and near-real-time
 * (webhook subscriptions at Exact, events received).
 */
export function connectionWatchRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/connections/:id/webhooks',
      scope: 'admin',
      summary:
        'Near-real-time: whether webhooks are on, the safety-net interval, the subscriptions at Exact, events received (last day, latest, lag) and the API calls they saved',
      handle: async ({ params }) => {
        const id = idParam(params, 'id', 'connection');
        await getConnection(s.pool, id);
        return {
          ...(await webhookSettings(s.pool, id)),
          callbackUrl: webhookCallbackUrl(s.publicUrl),
          subscriptions: await listSubscriptions(s.pool, id),
          events: await webhookStats(s.pool, id),
          calls: await webhookCalls(s.pool, id, new Date()),
        };
      },
    }),
    route({
      method: 'put',
      path: '/connections/:id/webhooks',
      scope: 'admin',
      summary:
        'Near-real-time on (one subscription at Exact per selected division and topic of a synced table) or off (removes them); safetyNetHours: how often the tables webhooks cover are still polled (1–168, 24 by default)',
      body: z.strictObject({
        enabled: z.boolean(),
        safetyNetHours: z.number().int().min(SAFETY_NET_HOURS.min).max(SAFETY_NET_HOURS.max).optional(),
      }),
      handle: async ({ params, body }) => {
        const id = idParam(params, 'id', 'connection');
        await getConnection(s.pool, id);
        if (body.enabled && !s.app.webhookSecret)
          throw new AppError(
            'webhooks_off',
            "Set EXACT_WEBHOOK_SECRET (the app's Webhook secret in Exact's App Center) first: without it Exact's deliveries cannot be told from forgeries.",
            { status: 409 },
          );
        const outcome = await s.sync.setWebhooks(id, body.enabled, webhookCallbackUrl(s.publicUrl));
        // After Exact agreed: a refused subscription changes nothing.
        if (body.safetyNetHours !== undefined) await setSafetyNetHours(s.pool, id, body.safetyNetHours);
        return { ...outcome, ...(await webhookSettings(s.pool, id)) };
      },
    }),
    route({
      method: 'get',
      path: '/connections/:id/health',
      scope: 'admin',
      summary:
        'Sync health of the last 14 days: Exact API calls per day and division, tables whose latest attempt failed, rows changed per table and day',
      handle: async ({ params }) => {
        const id = idParam(params, 'id', 'connection');
        await getConnection(s.pool, id);
        return syncHealth(s.pool, id, new Date());
      },
    }),
  ];
}
