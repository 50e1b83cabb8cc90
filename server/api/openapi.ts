import { z } from 'zod';
import { route, type ApiRoute } from './route.ts';

/**
 * The OpenAPI 3.1 document of /api/v1, made from the same route list and zod schemas that route and
 * validate requests (z.toJSONSchema), so it cannot drift from what the server accepts.
 */

const ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        position: {
          type: 'integer',
          description: 'For SQL PostgreSQL could not run: the 1-based character of the trimmed SQL where it stopped',
        },
      },
    },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
}

const STREAMED = new Set(['/query', '/queries/:id/run', '/tables/:name/rows']);

export function openApiDocument(routes: readonly ApiRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z_]+)/g, '{$1}');
    const parameters: Record<string, unknown>[] = [...r.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (r.query) {
      const q = jsonSchema(r.query) as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {}))
        parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema });
    }
    const ok = STREAMED.has(r.path)
      ? {
          description:
            'The result, streamed: JSON {columns, rows, rowCount} (an "error" member when it failed after rows were sent), CSV or NDJSON',
          content: {
            'application/json': { schema: { type: 'object' } },
            'text/csv': { schema: { type: 'string' } },
            'application/x-ndjson': { schema: { type: 'string' } },
          },
        }
      : r.status === 204 || (r.method === 'delete' && r.path.startsWith('/queries'))
        ? { description: 'Done' }
        : { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } };
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      operationId: `${r.method}${path
        .replace(/[{}]/g, '')
        .split('/')
        .map((p) => p.replace(/(^|[-_])(\w)/g, (_m, _s, c: string) => c.toUpperCase()))
        .join('')}`,
      'x-scope': r.scope,
      ...(parameters.length ? { parameters } : {}),
      ...(r.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } }
        : {}),
      responses: {
        [String(r.status)]: ok,
        400: { description: 'Invalid request', content: { 'application/json': { schema: ERROR } } },
        401: { description: 'No or wrong API key', content: { 'application/json': { schema: ERROR } } },
        403: { description: `The key lacks the ${r.scope} scope`, content: { 'application/json': { schema: ERROR } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'exact-sync API',
      version,
      description:
        'Exact Online data in PostgreSQL: connections, syncs, the warehouse and read-only SQL. Scopes: read (query) and admin (change).',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An exact-sync API key (esk_…)' } },
    },
    paths,
  };
}

/** GET /api/v1/openapi.json (read scope, like every /api/v1 route). */
export function openApiRoute(all: () => readonly ApiRoute[], version: string): ApiRoute {
  let doc: Record<string, unknown> | undefined;
  return route({
    method: 'get',
    path: '/openapi.json',
    scope: 'read',
    summary: 'This API, as an OpenAPI 3.1 document',
    handle: async () => (doc ??= openApiDocument(all(), version)),
  });
}
