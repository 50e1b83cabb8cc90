import type {
  QueryResult,
  SavedQueriesResponse,
  WarehouseTableInfo,
  WarehouseTablesResponse,
} from '../../server/api/types.ts';

/**
 * The add-in's calls to its exact-sync server (never to Exact): the server URL and API key the user
 * gave, errors turned into sentences that say what to fix. No Excel here.
 */

export interface Connection {
  serverUrl: string;
  apiKey: string;
}

export type { WarehouseTableInfo };

export class ApiError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** Checks the URL and the key together: GET /api/v1/me. */
export async function testConnection(
  c: Connection,
  fetchImpl: typeof fetch = fetch,
): Promise<{ scopes: readonly string[] }> {
  return call<{ scopes: string[] }>(c, 'GET', '/api/v1/me', undefined, fetchImpl);
}

export async function listTables(c: Connection, fetchImpl: typeof fetch = fetch): Promise<WarehouseTableInfo[]> {
  return (await call<WarehouseTablesResponse>(c, 'GET', '/api/v1/tables', undefined, fetchImpl)).tables;
}

export async function listSavedQueries(
  c: Connection,
  fetchImpl: typeof fetch = fetch,
): Promise<SavedQueriesResponse['queries']> {
  return (await call<SavedQueriesResponse>(c, 'GET', '/api/v1/queries', undefined, fetchImpl)).queries;
}

/** A table's rows (the columns and filters given), as the JSON format. */
export async function tableRows(
  c: Connection,
  table: string,
  o: { columns?: string[]; filters?: string[]; limit: number },
  fetchImpl: typeof fetch = fetch,
): Promise<QueryResult> {
  const q = new URLSearchParams({ limit: String(o.limit), format: 'json' });
  if (o.columns?.length) q.set('columns', o.columns.join(','));
  for (const f of o.filters ?? []) q.append('filter', f);
  return result(
    await call<QueryResult>(c, 'GET', `/api/v1/tables/${encodeURIComponent(table)}/rows?${q}`, undefined, fetchImpl),
  );
}

/**
 * A saved query as it is on the server now (edits there reach every workbook that inserted it). With
 * `maxRows`, a longer result stops there on the server (error row_limit): never downloaded whole.
 */
export async function runSavedQuery(
  c: Connection,
  id: number,
  o: { maxRows?: number; params?: QueryParam[] } = {},
  fetchImpl: typeof fetch = fetch,
): Promise<QueryResult> {
  const q = new URLSearchParams({ format: 'json' });
  if (o.maxRows) q.set('maxRows', String(o.maxRows));
  if (o.params?.length) q.set('params', JSON.stringify(o.params));
  return result(await call<QueryResult>(c, 'GET', `/api/v1/queries/${id}/run?${q}`, undefined, fetchImpl));
}

/** A query parameter's value ($1, $2, …), as the query API takes it. */
export type QueryParam = string | number | boolean | null;

export async function runQuery(
  c: Connection,
  sql: string,
  o: { maxRows?: number; params?: QueryParam[] } = {},
  fetchImpl: typeof fetch = fetch,
): Promise<QueryResult> {
  return result(
    await call<QueryResult>(
      c,
      'POST',
      '/api/v1/query',
      {
        sql,
        format: 'json',
        ...(o.params?.length ? { params: o.params } : {}),
        ...(o.maxRows ? { maxRows: o.maxRows } : {}),
      },
      fetchImpl,
    ),
  );
}

/** The first rows of a query, for the preview (the server checks the SQL as it does any query). */
export async function previewQuery(
  c: Connection,
  sql: string,
  o: { rows?: number; params?: QueryParam[] } = {},
  fetchImpl: typeof fetch = fetch,
): Promise<QueryResult> {
  const preview = `SELECT * FROM (\n${sql.trim().replace(/;\s*$/, '')}\n) AS preview LIMIT ${o.rows ?? 20}`;
  return runQuery(c, preview, o.params ? { params: o.params } : {}, fetchImpl);
}

/** A result that failed after its first rows carries an error member: that is an error, not data. */
function result(r: QueryResult): QueryResult {
  if (r.error) throw new ApiError(r.error.code, r.error.message);
  return r;
}

async function call<T>(
  c: Connection,
  method: string,
  path: string,
  body: unknown,
  fetchImpl: typeof fetch,
): Promise<T> {
  let url: URL;
  try {
    url = new URL(path, c.serverUrl.endsWith('/') ? c.serverUrl : `${c.serverUrl}/`);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http');
  } catch {
    throw new ApiError(
      'bad_url',
      `"${c.serverUrl}" is not a server address. Enter the address of your exact-sync server, e.g. https://exact-sync.example.com`,
    );
  }
  if (!c.apiKey.trim())
    throw new ApiError(
      'no_key',
      'Enter an API key (made in the exact-sync console under API keys, or with: npx exact-sync api-key create).',
    );
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method,
      headers: {
        Authorization: `Bearer ${c.apiKey.trim()}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(
      'unreachable',
      `Cannot reach ${url.origin}: is the server running, and is the address right? (It must allow this add-in: HTTPS, and CORS_ORIGINS if the add-in is served elsewhere.)`,
    );
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiError(
      'not_exact_sync',
      `${url.origin} answered ${res.status} with something that is not exact-sync's API. Check the address.`,
    );
  }
  if (res.ok) return parsed as T;
  const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
  if (res.status === 401)
    throw new ApiError(
      'unauthorized',
      'The server refused the API key: check it, or make a new one in the exact-sync console (API keys).',
    );
  throw new ApiError(error?.code ?? `http_${res.status}`, error?.message ?? `The server answered ${res.status}.`);
}
