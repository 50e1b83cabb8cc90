import { Router } from 'express';
import type pg from 'pg';

export interface HealthzResponse {
  status: 'ok' | 'unavailable';
  database: 'ok' | 'unreachable';
  version: string;
}

/** `GET /healthz`, unauthenticated: 200 when the process can reach its database, 503 otherwise. */
export function healthzRoute(deps: { pool: pg.Pool; version: string }): Router {
  const router = Router();
  router.get('/healthz', async (req, res) => {
    let database: HealthzResponse['database'] = 'ok';
    try {
      await deps.pool.query('SELECT 1');
    } catch (err) {
      req.log.warn({ err }, 'health check: database unreachable');
      database = 'unreachable';
    }
    const body: HealthzResponse = { status: database === 'ok' ? 'ok' : 'unavailable', database, version: deps.version };
    res
      .status(database === 'ok' ? 200 : 503)
      .set('Cache-Control', 'no-store')
      .json(body);
  });
  return router;
}
