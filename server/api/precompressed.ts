import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';

/**
 * The console's JavaScript as the build compressed it (`.br`, `.gz` beside each file, webpack.config.js):
 * when the browser accepts one (Accept-Encoding), the request is pointed at that file and answered with
 * its Content-Encoding and the original's type, by the same static handler that follows. Nothing is
 * compressed per request, and the query API's streams are never touched.
 */

const ENCODINGS = [
  { token: 'br', ext: '.br', name: 'br' },
  { token: 'gzip', ext: '.gz', name: 'gzip' },
] as const;

/** The encodings the browser takes, from its Accept-Encoding (a q=0 refuses one). */
export function accepted(header: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (header ?? '').split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (token && !(q && Number(q.slice(2)) === 0)) out.add(token);
  }
  return out;
}

export function precompressed(dir: string): RequestHandler {
  const root = path.resolve(dir);
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !req.path.endsWith('.js')) return next();
    res.vary('Accept-Encoding');
    const takes = accepted(req.headers['accept-encoding']);
    let file: string;
    try {
      file = path.join(root, path.normalize(decodeURIComponent(req.path)));
    } catch {
      return next(); // a malformed %-escape: the static handler answers it
    }
    if (!file.startsWith(root + path.sep)) return next();
    for (const e of ENCODINGS) {
      if (!takes.has(e.token) || !existsSync(file + e.ext)) continue;
      res.setHeader('Content-Encoding', e.name);
      // Set before the static handler, which then keeps it (it would call a .gz application/gzip).
      res.type('js');
      req.url = req.url.replace(/\.js(\?|$)/, `.js${e.ext}$1`);
      return next();
    }
    next();
  };
}
