import type { ApiErrorBody } from '../../server/api/types.ts';

/**
 * Calls to the server from the console: JSON in and out, the session cookie sent along, the CSRF token
 * on every change, and errors as ApiError with the server's code and message (which say what to do).
 */

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** For SQL PostgreSQL refused: where in the (trimmed) SQL it stopped, 1-based. */
  readonly position: number | undefined;
  constructor(status: number, code: string, message: string, position?: number) {
    super(message);
    this.status = status;
    this.code = code;
    this.position = position;
  }
}

let csrfToken: string | null = null;
const signedOutListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The session's CSRF token, for a form the console posts itself (connecting Exact). */
export function currentCsrfToken(): string | null {
  return csrfToken;
}

/** Called when the server says the session is gone (expired, signed out elsewhere). */
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/** `signal` cancels the request (the server stops the query when its client goes away). */
export async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await send(method, path, body, signal);
  if (res.status === 204) return undefined as T;
  try {
    return (await readJson(res, path)) as T;
  } catch (err) {
    // Cancelled while the body was arriving.
    if (signal?.aborted && !(err instanceof ApiError)) throw new ApiError(0, 'cancelled', 'Cancelled.');
    throw err;
  }
}

/**
 * The request as the console sends every one (session cookie, CSRF token, JSON body); the response as
 * it came, for a caller that reads it otherwise (a download). Errors are ApiErrors.
 */
export async function send(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
  accept = 'application/json',
): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
  } catch {
    if (signal?.aborted) throw new ApiError(0, 'cancelled', 'Cancelled.');
    throw new ApiError(
      0,
      'server_unreachable',
      'The exact-sync server does not answer. Is it running? Check the terminal where it was started.',
    );
  }
  if (!res.ok) await readJson(res, path);
  return res;
}

/** The JSON of a response, or the ApiError its status and body say. */
async function readJson(res: Response, path: string): Promise<unknown> {
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(
      res.status,
      'bad_response',
      `The server answered ${res.status} with something that is not JSON.`,
    );
  }
  if (!res.ok) {
    const err = (json as ApiErrorBody | undefined)?.error;
    if (res.status === 401 && path.startsWith('/api/')) for (const l of signedOutListeners) l();
    throw new ApiError(
      res.status,
      err?.code ?? 'http_error',
      err?.message ?? `The server answered ${res.status}.`,
      err?.position,
    );
  }
  return json;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const post = <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {});
export const put = <T>(path: string, body: unknown) => call<T>('PUT', path, body);
export const patch = <T>(path: string, body: unknown) => call<T>('PATCH', path, body);
export const del = <T>(path: string) => call<T>('DELETE', path);
