import { REQUIRED_TABLES } from '../../state/tableSettings.ts';
import { titleOf, TABLES } from '../../catalog/tables.ts';
import { route, type ApiRoute } from '../route.ts';
import type { CatalogResponse } from '../types.ts';

/** GET /api/v1/catalog: the tables exact-sync can sync, whatever any connection chose. */
export function catalogRoutes(): ApiRoute[] {
  return [
    route({
      method: 'get',
      path: '/catalog',
      scope: 'read',
      summary: 'The tables exact-sync offers, with what they hold and how they are read',
      handle: async (): Promise<CatalogResponse> => ({
        tables: TABLES.map((t) => ({
          name: t.name,
          title: titleOf(t.name) ?? t.entity.name,
          entity: t.entity.name,
          strategy: t.strategy,
          lines: t.children?.table.name ?? null,
          required: REQUIRED_TABLES.has(t.name),
          area: t.area,
          byDefault: t.byDefault,
          path: t.path,
          key: t.key.name,
          deletedType: t.deletedType ?? null,
        })),
      }),
    }),
  ];
}
