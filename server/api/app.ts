import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import type pg from 'pg';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../lib/logger.ts';
import { precompressed } from './precompressed.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { WEBHOOK_PATH } from '../sync/webhookSubscriptions.ts';
import { errorBody, errorHandler, notFound } from './errors.ts';
import { connectRoutes } from './routes/connect.ts';
import { healthzRoute } from './routes/healthz.ts';
import { sessionRoutes } from './routes/session.ts';
import type { Services } from './services.ts';
import { apiV1 } from './v1.ts';
import { cors } from './cors.ts';
import { manifestProblem, productionManifest } from './manifest.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AppDeps {
  log: Logger;
  pool: pg.Pool;
  version: string;
  /** Built add-in files (webpack output), served at /addin. */
  addinDir: string;
  /** Built console files (webpack output), served at /. */
  consoleDir: string;
  services: Services;
}

/** Paths of the console's pages: a reload or a link to one of them gets the console's index.html. */
// Every section of the console's menu (console/src/sections.ts; test/app.test.ts checks each is here).
const CONSOLE_PAGES =
  /^\/(?:$|login$|setup$|connections(?:\/.*)?$|data$|sql$|views$|runs(?:\/.*)?$|api-keys$|bi-users$|sheets$)/;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

const smallJson = express.json({ limit: '1mb' });
/** Where a body may be large: a document's attachment upload. */
export const LARGE_BODY_ROUTE = /^\/api\/v1\/documents\/[^/]+\/attachments\/?$/;

/**
 * Headers every answer carries: no MIME sniffing, no Referer beyond this server, and no framing by
 * other sites (clickjacking the console's buttons), except the add-in's pages, which Excel on the web
 * shows in a frame of its own (its host names are Microsoft's to change, so they are not listed).
 * By hand rather than helmet: helmet's defaults (a CSP, cross-origin isolation) would each need
 * switching off for the add-in and for Office.js from Microsoft's CDN, leaving these four lines.
 */
const securityHeaders: express.RequestHandler = (req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  if (!req.path.startsWith('/addin/')) {
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
  }
  next();
};

/** TRUST_PROXY as Express takes it: unset, none; "true"; a hop count; or addresses and subnets. */
export function trustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/**
 * Bodies are parsed small everywhere; the one route that takes files (attachments, base64) parses its
 * large body itself, after the caller was authenticated (server/api/routes/documents.ts), and Exact's
 * webhook deliveries are verified against their raw bytes, so that route reads its own body too.
 */
const parseBodies: RequestHandler = (req, res, next) =>
  LARGE_BODY_ROUTE.test(req.path) || req.path === WEBHOOK_PATH ? next() : smallJson(req, res, next);

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(securityHeaders);
  // X-Forwarded-For names the client only when it comes from a proxy the admin named (TRUST_PROXY):
  // trusting loopback by default gave every request sent through a local port-forward a fresh address,
  // and so a fresh sign-in allowance.
  app.set('trust proxy', trustProxy(deps.services.trustProxy));
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
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );
  app.use(parseBodies);

  app.use(healthzRoute(deps));
  app.use(sessionRoutes(deps.services, deps.version));
  app.use(connectRoutes(deps.services));
  app.use(webhookRoutes(deps.services));
  app.use(
    '/api/v1',
    cors([new URL(deps.services.publicUrl).origin, ...deps.services.corsOrigins]),
    apiV1(deps.services),
  );

  // The add-in manifest for this server: the repository's manifest.xml (which points at the development
  // server, https://localhost:3000) with every URL rewritten to PUBLIC_URL. Sideload this one.
  app.get('/addin/manifest.xml', (_req, res) => {
    const problem = manifestProblem(deps.services.publicUrl);
    if (problem) {
      res.status(409).type('text').send(problem);
      return;
    }
    res
      .type('application/xml')
      .send(
        productionManifest(
          readFileSync(path.join(ROOT, 'manifest.xml'), 'utf8'),
          deps.services.publicUrl,
          deps.version,
        ),
      );
  });
  app.use(
    '/addin',
    (_req, res, next) => {
      if (existsSync(deps.addinDir)) return next();
      res
        .status(503)
        .json(
          errorBody('addin_not_built', 'The add-in files are not built: run `npm run build` (npm install does it too)'),
        );
    },
    // No Cache-Control on the add-in's files: Office shows its default icons when an image host sends one
    // (Microsoft, "Office Add-ins manifest: icons"); ETag and Last-Modified still let browsers revalidate.
    express.static(deps.addinDir, { index: false, fallthrough: true, cacheControl: false }),
  );

  const consoleBuilt = () => existsSync(path.join(deps.consoleDir, 'index.html'));
  app.use(
    precompressed(deps.consoleDir),
    express.static(deps.consoleDir, {
      index: false,
      fallthrough: true,
      // Assets under /static carry their content's hash in their name: a browser keeps them for good.
      setHeaders: (res, file) => {
        if (/[.][0-9a-f]{8}[.]js(?:[.](?:br|gz))?$/.test(file))
          res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      },
    }),
  );
  app.get(CONSOLE_PAGES, (_req, res) => {
    if (!consoleBuilt()) {
      res.status(503).type('text').send('The console is not built: run `npm run build` (npm install does it too).');
      return;
    }
    res.set('Cache-Control', 'no-cache').sendFile(path.join(deps.consoleDir, 'index.html'));
  });

  app.use(notFound);
  app.use(errorHandler);
  return app;
}
