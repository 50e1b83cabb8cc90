import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { handleGet, handleMe, handleSyncTimestamp, handleWrite, resolve, send, sendError, type Ctx } from './api.ts';
import { controlRoutes } from './control.ts';
import { loginPage } from './loginPage.ts';
import { exactError, ODataError } from './odata.ts';
import { rateLimitHeaders } from './rateLimit.ts';
import type { Sandbox } from './sandbox.ts';
import { MAX_BODY_BYTES } from './writes.ts';

/**
 * HTTP in front of a Sandbox, on Exact's own paths: /api/oauth2/auth, /api/oauth2/token,
 * /api/v1/current/Me, /api/v1/{division}/…, /docs/SysAttachment.aspx, plus /_sandbox/… for tests.
 */
export function createSandboxApp(sandbox: Sandbox, options: { publicUrl?: string } = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const baseUrl = (req: Request) => options.publicUrl ?? `${req.protocol}://${req.get('host')}`;
  callLogAndFaults(app, sandbox);
  app.use('/_sandbox', express.json({ limit: '1mb' }), controlRoutes(sandbox));
  oauthRoutes(app, sandbox);
  restRoutes(app, sandbox, baseUrl);
  attachmentRoute(app, sandbox);
  errorRoutes(app);
  return app;
}

/** Call log and injected faults for everything Exact itself would serve. */
function callLogAndFaults(app: Express, sandbox: Sandbox): void {
  app.use((req, res, next) => {
    if (req.path.startsWith('/_sandbox')) return next();
    const started = Date.now();
    res.on('finish', () => {
      const m = /^\/api\/v1\/(\d+)\//.exec(req.path);
      sandbox.record({
        at: sandbox.clock.now(),
        method: req.method,
        path: req.originalUrl,
        division: m ? Number(m[1]) : null,
        status: res.statusCode,
        ms: Date.now() - started,
      });
    });
    const fault = sandbox.faults.decide(req.method, req.originalUrl);
    if (!fault) return next();
    setTimeout(() => {
      if (fault.drop) {
        req.socket.destroy();
        return;
      }
      if (fault.status === undefined) return next();
      if (fault.status === 429) res.status(429).end();
      else send(res, fault.status, fault.body ?? exactError(fault.status >= 500 ? 'Service Unavailable' : 'Error'));
    }, fault.delayMs);
  });
}

/** OAuth 2: the consent page (a login form, or at once with autoApprove) and the token endpoint. */
function oauthRoutes(app: Express, sandbox: Sandbox): void {
  app.get('/api/oauth2/auth', (req, res) => {
    const q = req.query as Record<string, string | undefined>;
    const problem = authProblem(sandbox, q);
    if (problem) {
      res
        .status(400)
        .type('html')
        .send(loginPage({ error: problem }));
      return;
    }
    if (sandbox.autoApprove) {
      redirectWithCode(res, sandbox, 'demo', q);
      return;
    }
    res.type('html').send(loginPage({ query: q }));
  });
  app.post('/api/oauth2/auth', express.urlencoded({ extended: false }), (req, res) => {
    const f = req.body as Record<string, string | undefined>;
    const problem = authProblem(sandbox, f);
    if (problem) {
      res
        .status(400)
        .type('html')
        .send(loginPage({ error: problem }));
      return;
    }
    if (f.decision === 'deny') {
      // The user declines: as OAuth 2 prescribes (RFC 6749 4.1.2.1), back to the app with error=access_denied.
      const target = new URL(f.redirect_uri!);
      target.searchParams.set('error', 'access_denied');
      target.searchParams.set('error_description', 'The user denied access.');
      if (f.state !== undefined) target.searchParams.set('state', f.state);
      res.redirect(302, target.toString());
      return;
    }
    if (!sandbox.oauth.checkUser(f.username ?? '', f.password ?? '')) {
      res
        .status(200)
        .type('html')
        .send(loginPage({ query: f, error: 'The user name or password is incorrect.' }));
      return;
    }
    redirectWithCode(res, sandbox, f.username!, f);
  });
  app.post('/api/oauth2/token', express.urlencoded({ extended: false }), (req, res) => {
    const result = sandbox.oauth.token((req.body ?? {}) as Record<string, string | undefined>);
    res
      .status(result.ok ? 200 : result.status)
      .set('Cache-Control', 'no-store')
      .type('application/json;charset=utf-8')
      .send(JSON.stringify(result.body));
  });
}

function authenticated(sandbox: Sandbox, req: Request, res: Response) {
  const token = sandbox.oauth.authenticate(req.headers.authorization);
  if (!token) {
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer')
      .type('application/json;charset=utf-8')
      .send(JSON.stringify(exactError('Unauthorized')));
    return undefined;
  }
  return token;
}
/** Counts the call against the (app, division) budget; false when it was refused with a 429. */
function withinLimits(sandbox: Sandbox, res: Response, clientId: string, division: number): boolean {
  const decision = sandbox.spend(clientId, division);
  if (!decision || sandbox.limits === false) return true;
  const limits = sandbox.limits;
  res.set(rateLimitHeaders(decision, limits, (ms) => sandbox.clock.toRealEpoch(ms)));
  if (!decision.allowed) {
    res.status(429).end();
    return false;
  }
  return true;
}

/** The REST API: current/Me and /api/v1/{division}/…, each call authenticated and counted against the limits. */
function restRoutes(app: Express, sandbox: Sandbox, baseUrl: (req: Request) => string): void {
  app.get('/api/v1/current/Me', (req, res) => {
    const token = authenticated(sandbox, req, res);
    if (!token) return;
    const first = sandbox.divisions[0]!;
    if (!withinLimits(sandbox, res, token.clientId, first.code)) return;
    try {
      handleMe(sandbox, baseUrl(req), sandbox.oauth.userInfo(token.user)!, req, res);
    } catch (err) {
      sendError(res, err);
    }
  });

  const jsonBody = express.json({ limit: MAX_BODY_BYTES, type: () => true });
  app.all(
    /^\/api\/v1\/(\d+)\/(.+)$/,
    (req, res, next) => {
      if (req.method === 'POST' || req.method === 'PUT') jsonBody(req, res, next);
      else next();
    },
    (req, res) => {
      const m = /^\/api\/v1\/(\d+)\/(.+)$/.exec(req.path)!;
      const token = authenticated(sandbox, req, res);
      if (!token) return;
      const code = Number(m[1]);
      const division = sandbox.division(code);
      if (!division) {
        // Exact answers a division the user cannot reach with 403 and a Reason header (docs/exact-online.md 1.5).
        res.set('Reason', 'NoDivisionAccess');
        send(res, 403, exactError('Forbidden'));
        return;
      }
      if (!withinLimits(sandbox, res, token.clientId, code)) return;
      const subscriptions = /^webhooks\/WebhookSubscriptions(?:\(guid'([^']*)'\))?$/i.exec(decodeURIComponent(m[2]!));
      if (subscriptions) {
        void handleSubscriptions(sandbox, code, token.clientId, subscriptions[1], req, res);
        return;
      }
      if (req.method === 'GET' && decodeURIComponent(m[2]!).toLowerCase() === 'read/sync/sync/synctimestamp') {
        try {
          handleSyncTimestamp({ sandbox, division, baseUrl: baseUrl(req) }, req, res);
        } catch (err) {
          sendError(res, err);
        }
        return;
      }
      const route = resolve(decodeURIComponent(m[2]!));
      if (!route) {
        send(res, 404, exactError(`Resource not found for the segment '${m[2]}'.`));
        return;
      }
      const ctx: Ctx = { sandbox, division, baseUrl: baseUrl(req) };
      try {
        if (req.method === 'GET') handleGet(ctx, route, req, res);
        else handleWrite(ctx, route, req, res);
      } catch (err) {
        sendError(res, err);
      }
    },
  );
}

/** webhooks/WebhookSubscriptions: list (GET), subscribe (POST), unsubscribe (DELETE …(guid'ID')), docs/exact-online.md 14.1. */
async function handleSubscriptions(
  sandbox: Sandbox,
  division: number,
  clientId: string,
  id: string | undefined,
  req: Request,
  res: Response,
): Promise<void> {
  if (req.method === 'GET' && id === undefined) {
    send(res, 200, { d: { results: sandbox.webhooks.list(division, clientId) } });
    return;
  }
  if (req.method === 'POST' && id === undefined) {
    const made = await sandbox.webhooks.subscribe(division, clientId, (req.body ?? {}) as object);
    if (made.subscription) send(res, 201, { d: made.subscription });
    else send(res, made.status, exactError(made.error!));
    return;
  }
  if (req.method === 'DELETE' && id !== undefined) {
    if (sandbox.webhooks.remove(division, id)) res.status(204).end();
    else send(res, 404, exactError('Not found'));
    return;
  }
  send(res, 405, exactError(`${req.method} is not allowed here`));
}

/** Attachment downloads: GET {Url}&Download=1 with the Bearer token (docs/exact-online.md, Documents). */
function attachmentRoute(app: Express, sandbox: Sandbox): void {
  app.get('/docs/SysAttachment.aspx', (req, res) => {
    const token = authenticated(sandbox, req, res);
    if (!token) return;
    const q = req.query as Record<string, string | undefined>;
    const code = Number(q._Division_);
    if (!sandbox.division(code)) {
      send(res, 403, exactError('Forbidden'));
      return;
    }
    if (!withinLimits(sandbox, res, token.clientId, code)) return;
    const found = sandbox.table(code, 'DocumentAttachments').find(String(q.ID ?? ''));
    if (!found) {
      send(res, 404, exactError('Attachment not found'));
      return;
    }
    const name = String(found.row.FileName);
    res.status(200).type(name.split('.').pop() ?? 'application/octet-stream');
    if (q.Download === '1') res.set('Content-Disposition', `attachment; filename="${name.replace(/"/g, '')}"`);
    res.send(found.row._content as Buffer);
  });
}

/** A body over Exact's limit, or JSON that does not parse, in Exact's error shape; unknown paths 404. */
function errorRoutes(app: Express): void {
  app.use((err: { type?: string; status?: number }, _req: Request, res: Response, next: NextFunction) => {
    if (err.type === 'entity.too.large')
      return sendError(res, new ODataError(413, `The request is larger than ${MAX_BODY_BYTES / 1024 / 1024} MB.`));
    if (err.type === 'entity.parse.failed')
      return sendError(res, new ODataError(400, 'The request body is not valid JSON.'));
    next(err);
  });
  app.use((_req: Request, res: Response) => send(res, 404, exactError('Not found')));
}

function authProblem(sandbox: Sandbox, q: Record<string, string | undefined>): string | undefined {
  if (q.client_id !== sandbox.oauth.clientId) return `Unknown client_id ${JSON.stringify(q.client_id ?? '')}.`;
  if (q.response_type !== 'code') return 'response_type must be code.';
  if (!q.redirect_uri || !sandbox.oauth.validRedirect(q.redirect_uri))
    return `redirect_uri ${JSON.stringify(q.redirect_uri ?? '')} is not registered for this app (the sandbox accepts any URL on localhost).`;
  return undefined;
}

function redirectWithCode(res: Response, sandbox: Sandbox, user: string, q: Record<string, string | undefined>): void {
  const code = sandbox.oauth.issueCode(user, q.client_id!, q.redirect_uri!);
  const target = new URL(q.redirect_uri!);
  target.searchParams.set('code', code);
  if (q.state !== undefined) target.searchParams.set('state', q.state);
  res.redirect(302, target.toString());
}
