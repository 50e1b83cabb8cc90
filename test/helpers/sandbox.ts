import { afterAll } from 'vitest';
import { startSandbox, type RunningSandbox, type SandboxOptions } from '../../server/sandbox/index.ts';

export const REDIRECT = 'http://localhost:3999/connect/exact/callback';

/** A sandbox for one test file, closed after it. */
export async function sandboxForFile(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const sb = await startSandbox({ autoApprove: true, scale: 2000, ...options });
  afterAll(() => sb.close());
  return sb;
}

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: string;
  refresh_token: string;
}

/** The authorization-code flow over HTTP, as a browser and a client do it (auto-approve sandboxes only). */
export async function authorize(sb: RunningSandbox): Promise<TokenBody> {
  const auth = await fetch(
    `${sb.url}/api/oauth2/auth?${new URLSearchParams({ client_id: 'sandbox-client', redirect_uri: REDIRECT, response_type: 'code', state: 's1' })}`,
    { redirect: 'manual' },
  );
  if (auth.status !== 302) throw new Error(`auth answered ${auth.status}`);
  const code = new URL(auth.headers.get('location')!).searchParams.get('code')!;
  return (
    await tokenCall(sb, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT })
  ).json() as Promise<TokenBody>;
}

export function tokenCall(sb: RunningSandbox, form: Record<string, string>): Promise<Response> {
  return fetch(`${sb.url}/api/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: 'sandbox-client', client_secret: 'sandbox-secret', ...form }),
  });
}

/** GET with the token, Accept JSON; returns status, headers and parsed body (undefined when empty). */
export async function api(
  sb: RunningSandbox,
  token: string,
  pathOrUrl: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${sb.url}${pathOrUrl}`;
  const res = await fetch(url, {
    ...init,
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: 'application/json',
      ...(init.body ? { 'Content-Type': 'application/json' } : {}),
      ...init.headers,
    },
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

/** The rows of a collection answer, whichever of Exact's two shapes it has. */
export function rowsOf(body: any): any[] {
  return Array.isArray(body.d) ? body.d : body.d.results;
}

/** Follows __next to the end; returns every row and the number of pages. */
export async function readAll(
  sb: RunningSandbox,
  token: string,
  path: string,
): Promise<{ rows: any[]; pages: number }> {
  const rows: any[] = [];
  let pages = 0;
  let next: string | undefined = path;
  while (next) {
    const res = await api(sb, token, next);
    if (res.status !== 200) throw new Error(`${next}: ${res.status} ${res.text}`);
    rows.push(...rowsOf(res.body));
    pages++;
    next = Array.isArray(res.body.d) ? undefined : res.body.d.__next;
  }
  return { rows, pages };
}
