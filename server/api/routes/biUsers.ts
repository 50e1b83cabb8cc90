import { z } from 'zod';
import { createBiUser, listBiUsers, loginUrl, reachNote, revokeBiUser } from '../../query/biUsers.ts';
import { idParam, route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';
import type { BiUserCreated, BiUserCreateRequest } from '../types.ts';

/** /api/v1/bi-users: read-only PostgreSQL logins for BI tools; the password is in the POST answer only. */

const createBody: z.ZodType<BiUserCreateRequest> = z.strictObject({ name: z.string().trim().min(1).max(40) });

export function biUserRoutes(s: Services): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/bi-users',
      scope: 'admin',
      summary: 'The BI users (never their passwords)',
      handle: async () => ({ biUsers: await listBiUsers(s.pool) }),
    }),
    route({
      method: 'post',
      path: '/bi-users',
      scope: 'admin',
      summary: 'Create a BI user: host, port, database, user and password, shown once',
      status: 201,
      body: createBody,
      handle: async ({ body }) => {
        const u = await createBiUser(s.pool, body.name, s.readerLimits.bi);
        const a = s.databaseAddress;
        const answer: Omit<BiUserCreated, 'createdAt' | 'revokedAt'> & { createdAt: Date; revokedAt: Date | null } = {
          ...u,
          host: a.host,
          port: a.port,
          database: a.database,
          url: loginUrl(a, u),
        };
        const note = reachNote(a, s.databaseEmbedded);
        if (note) answer.note = note;
        return answer;
      },
    }),
    route({
      method: 'delete',
      path: '/bi-users/:id',
      scope: 'admin',
      summary: 'Revoke a BI user: its login is dropped and its sessions ended',
      handle: async ({ params }) => revokeBiUser(s.pool, idParam(params, 'id', 'BI user')),
    }),
  ];
}
