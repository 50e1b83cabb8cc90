import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import express, { type Express } from 'express';
import type pg from 'pg';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../lib/logger.ts';
import { errorBody, errorHandler, notFound } from './errors.ts';
import { healthzRoute } from './routes/healthz.ts';

export interface AppDeps {
  log: Logger;
  pool: pg.Pool;
  version: string;
  /** Built add-in files (webpack output), served at /addin. */
  addinDir: string;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.use(
    pinoHttp({
      logger: deps.log,
      // A caller's X-Request-Id is kept when it is sane, so a request can be followed across services.
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use(express.json({ limit: '15mb' }));

  app.use(healthzRoute(deps));

  app.use('/addin', (_req, res, next) => {
    if (existsSync(deps.addinDir)) return next();
    res.status(503).json(errorBody('addin_not_built', 'The add-in files are not built: run `npm run build` (npm install does it too)'));
  }, express.static(deps.addinDir, { index: false, fallthrough: true }));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
