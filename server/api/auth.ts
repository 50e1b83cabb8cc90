import type { Request, RequestHandler, Response } from 'express';
import type pg from 'pg';
import { verifyApiKey, type Scope } from '../auth/apiKeys.ts';
import { cookieValue, readSession, SESSION_COOKIE, type Session } from '../auth/sessions.ts';
import { AppError } from '../lib/errors.ts';

/**
 * Who is calling /api/v1: an API key (`Authorization: Bearer esk_…`, its own scopes) or the console's
 * session cookie (an admin; every change must carry the session's CSRF token in `X-CSRF-Token`).
 */

export interface Caller {
  scopes: readonly Scope[];
  via: 'api_key' | 'session';
  keyId?: number;
  session?: Session;
}

declare module 'express-serve-static-core' {
  interface Request {
    caller?: Caller;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const HOW_TO_AUTHENTICATE =
  'Send an API key as "Authorization: Bearer <key>" (make one with: npx exact-sync api-key create --name NAME), or sign in to the console.';

export async function identify(pool: pg.Pool, req: Request): Promise<Caller> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m)
      throw new AppError(
        'unauthenticated',
        `The Authorization header must be "Bearer <api key>". ${HOW_TO_AUTHENTICATE}`,
        { status: 401 },
      );
    const key = await verifyApiKey(pool, m[1]!);
    if (!key)
      throw new AppError('invalid_api_key', 'This API key is unknown or was revoked. Ask an admin for a new one.', {
        status: 401,
      });
    return { scopes: key.scopes, via: 'api_key', keyId: key.id };
  }
  const session = await readSession(pool, cookieValue(req.headers.cookie, SESSION_COOKIE));
  if (!session) throw new AppError('unauthenticated', `Not signed in. ${HOW_TO_AUTHENTICATE}`, { status: 401 });
  if (!SAFE_METHODS.has(req.method) && req.get('x-csrf-token') !== session.csrfToken) {
    throw new AppError(
      'csrf_failed',
      "This change did not carry the console's CSRF token; reload the console and try again.",
      { status: 403 },
    );
  }
  return { scopes: ['read', 'admin'], via: 'session', session };
}

export function requireCaller(pool: pg.Pool): RequestHandler {
  return (req, _res, next) => {
    identify(pool, req).then((caller) => {
      req.caller = caller;
      next();
    }, next);
  };
}

export function checkScope(req: Request, scope: Scope): void {
  if (!req.caller) throw new AppError('unauthenticated', `Not signed in. ${HOW_TO_AUTHENTICATE}`, { status: 401 });
  if (!req.caller.scopes.includes(scope)) {
    throw new AppError(
      'forbidden',
      `This needs an API key with the ${scope} scope; this key has ${req.caller.scopes.join(', ')}.`,
      { status: 403 },
    );
  }
}

/** Session cookie attributes: HttpOnly, SameSite=Lax (the OAuth callback is a top-level navigation back from Exact), Secure over https. */
export function setSessionCookie(res: Response, value: string, options: { secure: boolean; maxAgeMs: number }): void {
  res.cookie(SESSION_COOKIE, value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
    path: '/',
    maxAge: options.maxAgeMs,
  });
}

export function clearSessionCookie(res: Response, options: { secure: boolean }): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: options.secure, path: '/' });
}
