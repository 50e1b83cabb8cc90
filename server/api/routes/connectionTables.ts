import { z } from 'zod';
import { getConnection } from '../../state/connections.ts';
import {
  DEFAULT_FREQUENCY_MINUTES,
  listTables,
  MAX_FREQUENCY_MINUTES,
  MIN_FREQUENCY_MINUTES,
  updateTable,
} from '../../state/tableSettings.ts';
import type { ConnectionTablesResponse, Json, TableInfo, TablePatch } from '../types.ts';
import { dailyCostOf } from '../../schedule/schedules.ts';
import { idParam, route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';

/** /api/v1/connections/:id/tables: which tables a connection syncs, how often, and how many rows they hold. */

const patchBody: z.ZodType<TablePatch> = z.strictObject({
  enabled: z.boolean().optional(),
  frequencyMinutes: z.number().int().min(MIN_FREQUENCY_MINUTES).max(MAX_FREQUENCY_MINUTES).nullable().optional(),
});

export function connectionTableRoutes(s: Services): ApiRoute[] {
  const answer = async (connection: { id: number; warehouseSchema: string }): Promise<ConnectionTablesResponse> => ({
    defaultFrequencyMinutes: DEFAULT_FREQUENCY_MINUTES,
    dailyCost: await dailyCostOf(s.pool, connection.id),
    tables: (await listTables(s.pool, connection.id, connection.warehouseSchema)) as unknown as Json<TableInfo>[],
  });
  return [
    route({
      method: 'get',
      path: '/connections/:id/tables',
      scope: 'admin',
      summary:
        'The tables of a connection: enabled, frequency, rows, last sync and last run, and the estimated daily API calls of the schedule',
      handle: async ({ params }) => answer(await getConnection(s.pool, idParam(params, 'id', 'connection'))),
    }),
    route({
      method: 'patch',
      path: '/connections/:id/tables/:name',
      scope: 'admin',
      summary: 'Enable or disable a table, or set its sync frequency (minutes; null for the default)',
      body: patchBody,
      handle: async ({ params, body }) => {
        // Read first: a 404 for an unknown connection rather than a foreign-key error from the update.
        const connection = await getConnection(s.pool, idParam(params, 'id', 'connection'));
        await updateTable(s.pool, connection.id, params.name ?? '', {
          ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
          ...(body.frequencyMinutes !== undefined ? { frequencyMinutes: body.frequencyMinutes } : {}),
        });
        return answer(connection);
      },
    }),
  ];
}
