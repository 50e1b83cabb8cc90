import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isAppError } from '../lib/errors.ts';

import type { ApiErrorBody } from './types.ts';

/** The one JSON shape of every API error: `{ "error": { "code", "message" } }` (types.ts). */
export type { ApiErrorBody };

export function errorBody(code: string, message: string, position?: number): ApiErrorBody {
  return { error: { code, message, ...(position !== undefined ? { position } : {}) } };
}

export const notFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `No route for ${req.method} ${req.path}`));
};

/**
 * AppErrors become their status and message; body-parser errors keep their 4xx; anything else is logged
 * with the request id and answered with a generic 500 that says where to look.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) {
    req.log.error({ err }, 'error after the response started');
    res.destroy();
    return;
  }
  if (isAppError(err)) {
    if (err.status >= 500) req.log.error({ err }, err.message);
    res.status(err.status).json(errorBody(err.code, err.message, err.position));
    return;
  }
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
  if (status < 500) {
    const code =
      err?.type === 'entity.parse.failed'
        ? 'invalid_json'
        : err?.type === 'entity.too.large'
          ? 'payload_too_large'
          : 'bad_request';
    res.status(status).json(errorBody(code, err.message ?? 'Bad request'));
    return;
  }
  req.log.error({ err }, 'unhandled error');
  res
    .status(500)
    .json(errorBody('internal_error', `Internal error; the server log has the details (request id ${String(req.id)})`));
};
