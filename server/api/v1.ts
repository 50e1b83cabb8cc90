import { Router } from 'express';
import { requireCaller } from './auth.ts';
import { mount, type ApiRoute } from './route.ts';
import { apiKeyRoutes } from './routes/apiKeys.ts';
import { catalogRoutes } from './routes/catalog.ts';
import { connectionRoutes } from './routes/connections.ts';
import { connectionDivisionRoutes } from './routes/connectionDivisions.ts';
import { runRoutes } from './routes/runs.ts';
import { connectionSyncRoutes } from './routes/connectionSync.ts';
import { queryRoutes } from './routes/query.ts';
import { savedQueryRoutes } from './routes/queries.ts';
import { starterRoutes, viewRoutes } from './routes/views.ts';
import { connectionWatchRoutes } from './routes/connectionWatch.ts';
import { biUserRoutes } from './routes/biUsers.ts';
import { tableRoutes } from './routes/tables.ts';
import { sheetTargetRoutes } from './routes/sheetTargets.ts';
import { documentRoutes } from './routes/documents.ts';
import { connectionTableRoutes } from './routes/connectionTables.ts';
import type { Services } from './services.ts';
import { openApiRoute } from './openapi.ts';
import packageJson from '../../package.json' with { type: 'json' };

const VERSION: string = packageJson.version;

/** Every /api/v1 route, as data (see route.ts). */
export function apiRoutes(s: Services): ApiRoute[] {
  const routes: ApiRoute[] = [
    openApiRoute(() => routes, VERSION),
    ...apiKeyRoutes(s),
    ...catalogRoutes(),
    ...connectionRoutes(s),
    ...connectionDivisionRoutes(s),
    ...connectionTableRoutes(s),
    ...connectionSyncRoutes(s),
    ...runRoutes(s),
    ...queryRoutes(s),
    ...savedQueryRoutes(s),
    ...viewRoutes(s),
    ...connectionWatchRoutes(s),
    ...starterRoutes(s),
    ...biUserRoutes(s),
    ...tableRoutes(s),
    ...sheetTargetRoutes(s),
    ...documentRoutes(s),
  ];
  return routes;
}

/** /api/v1: every route authenticated (API key or console session), then checked for its scope. */
export function apiV1(s: Services): Router {
  const router = Router();
  router.use(requireCaller(s.pool));
  mount(router, apiRoutes(s));
  return router;
}
