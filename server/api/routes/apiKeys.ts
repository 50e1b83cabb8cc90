import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '../../auth/apiKeys.ts';
import type { ApiKeyCreateRequest, MeResponse } from '../types.ts';
import { idParam, route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';

/** /api/v1/api-keys (admin) and /api/v1/me (any key: who am I). */

const createBody: z.ZodType<ApiKeyCreateRequest> = z.strictObject({
  name: z.string().trim().min(1).max(100),
  admin: z.boolean().optional(),
});

export function apiKeyRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/me',
      scope: 'read',
      summary: "Who is calling: the key's scopes (for clients testing their settings)",
      handle: async ({ req }): Promise<MeResponse> => ({
        scopes: req.caller!.scopes,
        via: req.caller!.via,
        keyId: req.caller!.keyId ?? null,
      }),
    }),
    route({
      method: 'get',
      path: '/api-keys',
      scope: 'admin',
      summary: 'The API keys (never the keys themselves)',
      handle: async () => ({ apiKeys: await listApiKeys(s.pool) }),
    }),
    route({
      method: 'post',
      path: '/api-keys',
      scope: 'admin',
      summary: 'Make an API key; the answer holds the key, shown this once',
      status: 201,
      body: createBody,
      handle: async ({ body }) => createApiKey(s.pool, { name: body.name, admin: body.admin ?? false }),
    }),
    route({
      method: 'delete',
      path: '/api-keys/:id',
      scope: 'admin',
      summary: 'Revoke an API key (it stops working at once)',
      handle: async ({ params }) => {
        const key = await revokeApiKey(s.pool, idParam(params, 'id', 'api key'));
        // Its query role goes too: no session of it outlives the key.
        if (!(s.query instanceof Error)) await s.query.forgetCaller(`k${key.id}`);
        return key;
      },
    }),
  ];
}
