import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Scope } from '../auth/apiKeys.ts';
import { AppError } from '../lib/errors.ts';
import { checkScope } from './auth.ts';

/**
 * One /api/v1 route as data: method, path, the scope it needs, a summary, and zod schemas for its query
 * and body. The router, the route-walk test (every route refuses a missing key, a wrong key and a
 * missing scope) and the OpenAPI document are all made from the same list.
 */

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<Q, B> {
  params: Record<string, string>;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface ApiRoute {
  method: Method;
  /** Express path under /api/v1, e.g. `/connections/:id/divisions`. */
  path: string;
  scope: Scope;
  summary: string;
  query: z.ZodType | undefined;
  body: z.ZodType | undefined;
  /** Status of a successful answer. */
  status: number;
  /**
   * The most body this route takes when more than the 1 MB every route does (e.g. '15mb'): parsed here,
   * after the caller was authenticated and its scope checked, never before.
   */
  largeBody?: string | undefined;
  handle(input: RouteInput<unknown, unknown>): Promise<unknown>;
}

export function route<Q extends z.ZodType = z.ZodUndefined, B extends z.ZodType = z.ZodUndefined>(def: {
  method: Method;
  path: string;
  scope: Scope;
  summary: string;
  query?: Q;
  body?: B;
  status?: number;
  largeBody?: string;
  handle(input: RouteInput<z.infer<Q>, z.infer<B>>): Promise<unknown>;
}): ApiRoute {
  return {
    ...def,
    query: def.query,
    body: def.body,
    status: def.status ?? 200,
    handle: def.handle as ApiRoute['handle'],
  };
}

/** The problems zod found, in one sentence a person can act on. */
export function describeIssues(error: z.ZodError, where: string): string {
  return error.issues.map((i) => `${i.path.length ? `${where}.${i.path.join('.')}` : where}: ${i.message}`).join('; ');
}

/** `value` checked against `schema`, or a 400 invalid_request listing every problem. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: 'query' | 'body'): T {
  const result = schema.safeParse(value ?? (where === 'body' ? {} : value));
  if (!result.success) throw new AppError('invalid_request', describeIssues(result.error, where), { status: 400 });
  return result.data;
}

function parse(schema: z.ZodType | undefined, value: unknown, where: 'query' | 'body'): unknown {
  if (!schema) return undefined;
  return parseInput(schema, value, where);
}

export function mount(router: Router, routes: readonly ApiRoute[]): void {
  for (const r of routes) {
    const large = r.largeBody ? express.json({ limit: r.largeBody }) : undefined;
    router[r.method](r.path, async (req, res) => {
      checkScope(req, r.scope);
      if (large) await new Promise<void>((ok, fail) => large(req, res, (err?: unknown) => (err ? fail(err) : ok())));
      const query = parse(r.query, req.query, 'query');
      const body = parse(r.body, req.body, 'body');
      const result = await r.handle({ params: req.params as Record<string, string>, query, body, req, res });
      if (res.headersSent) return;
      if (result === undefined) res.status(r.status === 200 ? 204 : r.status).end();
      else res.status(r.status).json(result);
    });
  }
}

/** A positive integer path parameter, or a 404 saying what was not found. */
export function idParam(params: Record<string, string>, name: string, what: string): number {
  const v = params[name] ?? '';
  if (!/^\d{1,9}$/.test(v) || Number(v) === 0)
    throw new AppError(`${what.replace(/ /g, '_')}_not_found`, `There is no ${what} ${JSON.stringify(v)}.`, {
      status: 404,
    });
  return Number(v);
}

/** Query-string numbers and booleans (everything arrives as text). */
export const queryInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
