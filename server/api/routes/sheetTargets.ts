import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import {
  createTarget,
  deleteTarget,
  getTarget,
  listPushes,
  listTargets,
  pushTarget,
  updateTarget,
  type TargetInput,
  type TargetPatch,
} from '../../sheets/targets.ts';
import { idParam, route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';

/** /api/v1/sheets/targets: Google Sheets writeback targets (admin), their pushes, and push now. */

/** The fields a target is added with; a change (PATCH) takes the ones it may change, each optional. */
const fields = {
  name: z.string().trim().min(1).max(200),
  spreadsheetId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,200}$/, 'the spreadsheet id is the part of its URL after /d/'),
  sheetName: z.string().trim().min(1).max(100),
  frequencyMinutes: z
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .nullable(),
};

const body: z.ZodType<TargetInput> = z.strictObject({
  ...fields,
  sourceKind: z.enum(['table', 'query', 'sql']),
  source: z.string().trim().min(1).max(100_000),
  connectionId: z.number().int().positive().nullable().optional(),
  frequencyMinutes: fields.frequencyMinutes.optional(),
});

const patch: z.ZodType<TargetPatch> = z.strictObject({
  ...z.object(fields).partial().shape,
  enabled: z.boolean().optional(),
});

export function sheetTargetRoutes(s: Services): ApiRoute[] {
  const pushes = () => {
    if (!s.pushes)
      throw new AppError(
        'query_roles_unavailable',
        'Pushes run their SQL under the read-only query role, which is not available (see the server log).',
        { status: 503 },
      );
    return s.pushes;
  };
  return [
    route({
      method: 'get',
      path: '/sheets/targets',
      scope: 'admin',
      summary: 'The Google Sheets writeback targets, each with its last push',
      handle: async () => ({ targets: await listTargets(s.pool) }),
    }),
    route({
      method: 'post',
      path: '/sheets/targets',
      scope: 'admin',
      summary: 'Add a target: push a table, saved query or SQL into spreadsheet Y, sheet Z, once or every N minutes',
      status: 201,
      body,
      handle: async ({ body }) => createTarget(s.pool, body),
    }),
    route({
      method: 'get',
      path: '/sheets/targets/:id',
      scope: 'admin',
      summary: 'One target',
      handle: async ({ params }) => getTarget(s.pool, idParam(params, 'id', 'target')),
    }),
    route({
      method: 'patch',
      path: '/sheets/targets/:id',
      scope: 'admin',
      summary:
        'Change a target: name, spreadsheet, sheet, frequencyMinutes (null: on request), enabled (off: the schedule skips it)',
      body: patch,
      handle: async ({ params, body }) => updateTarget(s.pool, idParam(params, 'id', 'target'), body),
    }),
    route({
      method: 'delete',
      path: '/sheets/targets/:id',
      scope: 'admin',
      summary: 'Remove a target (the spreadsheet is not touched)',
      handle: async ({ params }) => {
        await deleteTarget(s.pool, idParam(params, 'id', 'target'));
        return undefined;
      },
    }),
    route({
      method: 'post',
      path: '/sheets/targets/:id/push',
      scope: 'admin',
      summary: 'Push now and answer how it went (rows, or the error recorded)',
      handle: async ({ params }) =>
        pushTarget(pushes(), (await getTarget(s.pool, idParam(params, 'id', 'target'))).id, 'manual'),
    }),
    route({
      method: 'get',
      path: '/sheets/targets/:id/pushes',
      scope: 'admin',
      summary: 'The pushes of a target, newest first',
      handle: async ({ params }) => {
        const id = idParam(params, 'id', 'target');
        await getTarget(s.pool, id);
        return { pushes: await listPushes(s.pool, id) };
      },
    }),
  ];
}
