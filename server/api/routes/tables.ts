import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import { buildRowsQuery, parseFilter } from '../../query/rowsQuery.ts';
import { listWarehouseTables, tableShape } from '../../query/warehouseTables.ts';
import { warehouseOf } from '../../state/connections.ts';
import { route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';
import { callerOf } from '../../query/runner.ts';
import { chooseFormat, streamQuery } from '../../query/stream.ts';

/**
 * /api/v1/tables: the warehouse as clients browse it (one connection's schema; ?connection=, default the
 * first), and /api/v1/tables/:name/rows: a table's rows with column choice, filters, order and keyset
 * paging, streamed in any format under the read-only role.
 */

const list = (v: unknown) =>
  typeof v === 'string' && v.trim()
    ? v
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;
const many = (v: unknown) => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);

export function tableRoutes(s: Services): ApiRoute[] {
  const connectionParam = z.object({ connection: z.coerce.number().int().positive().optional() });
  return [
    route({
      method: 'get',
      path: '/tables',
      scope: 'read',
      summary: 'The warehouse tables of a connection: columns and types, row counts, last sync',
      query: connectionParam,
      handle: async ({ query }) => {
        const w = await warehouseOf(s.pool, query.connection);
        return { tables: await listWarehouseTables(s.pool, w.schema, w.connectionId) };
      },
    }),
    route({
      method: 'get',
      path: '/tables/:name/rows',
      scope: 'read',
      summary:
        "Rows of a table: columns=a,b  filter=col:op:value (repeatable; eq ne lt le gt ge like ilike in null notnull)  order=col,-col  limit  after (JSON array of the last row's values of the order columns, then of the primary-key columns not among them)  format",
      query: z.object({
        connection: z.coerce.number().int().positive().optional(),
        columns: z.string().optional(),
        order: z.string().optional(),
        after: z.string().optional(),
        format: z.string().optional(),
        limit: z.coerce.number().int().min(0).optional(),
        filter: z.union([z.string(), z.array(z.string())]).optional(),
      }),
      handle: async ({ params, query, req, res }) => {
        const w = await warehouseOf(s.pool, query.connection);
        const table = await tableShape(s.pool, w.schema, params.name ?? '', w.connectionId);
        let after: (string | number | boolean | null)[] | undefined;
        if (query.after !== undefined) {
          try {
            after = JSON.parse(query.after) as (string | number | boolean | null)[];
          } catch {
            after = undefined;
          }
          if (!Array.isArray(after))
            throw new AppError(
              'invalid_after',
              'after is a JSON array: the last row\'s values of the order columns, then of the primary-key columns not among them, e.g. after=["2026-01-01",123456,"3f2e…"].',
              { status: 400 },
            );
        }
        const limit = Math.min(query.limit ?? 1000, s.queryLimits.maxRows);
        const built = buildRowsQuery(table, {
          ...(list(query.columns) ? { columns: list(query.columns)! } : {}),
          filters: many(query.filter).map(parseFilter),
          ...(list(query.order) ? { order: list(query.order)! } : {}),
          ...(after ? { after } : {}),
          limit,
        });
        await streamQuery(s, res, {
          sql: built.sql,
          params: built.params,
          schema: w.schema,
          format: chooseFormat(undefined, query.format, req.headers.accept),
          caller: callerOf(req.caller!),
        });
        return undefined;
      },
    }),
  ];
}
