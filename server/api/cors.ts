import type { NextFunction, Request, Response } from 'express';

/**
 * CORS for /api/v1: browsers may call it from the server's own origin (console, the Excel task pane it
 * serves), from Apps Script's HTML sidebars and dialogs (served from *.googleusercontent.com, opened from
 * script.google.com), and from origins listed in CORS_ORIGINS. Others get no CORS headers, so browsers
 * keep their pages from reading the answers. Server-side callers (UrlFetchApp, scripts, BI tools) are not
 * affected: CORS is a browser rule.
 */

const APPS_SCRIPT = [/^https:\/\/script\.google\.com$/, /^https:\/\/[a-z0-9-]+-script\.googleusercontent\.com$/];

export function corsAllows(origin: string, own: readonly string[]): boolean {
  return own.includes(origin) || APPS_SCRIPT.some((re) => re.test(origin));
}

export function cors(own: readonly string[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin && corsAllows(origin, own)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', 'X-Columns');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-CSRF-Token');
        res.setHeader('Access-Control-Max-Age', '600');
        res.status(204).end();
        return;
      }
    }
    next();
  };
}
