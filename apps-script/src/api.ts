import type { ClientSettings } from './settings.ts';
import type { QueryResult, SavedQueryInfo, WarehouseTableInfo } from '../../server/api/types.ts';

/** Calls to the exact-sync query API (never to Exact) with UrlFetchApp; failures as sentences. */

export type TableInfo = WarehouseTableInfo;
export type SavedQuery = SavedQueryInfo;

export function call<T>(s: ClientSettings, method: 'get' | 'post', path: string, body?: unknown): T {
  let res: GoogleAppsScript.URL_Fetch.HTTPResponse;
  try {
    res = UrlFetchApp.fetch(`${s.serverUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${s.apiKey}`, Accept: 'application/json' },
      muteHttpExceptions: true,
      ...(body === undefined ? {} : { contentType: 'application/json', payload: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new Error(
      `Cannot reach ${s.serverUrl}: ${err instanceof Error ? err.message : String(err)}. Is the address right, and reachable from Google's servers?`,
    );
  }
  const status = res.getResponseCode();
  const text = res.getContentText();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    throw new Error(
      `${s.serverUrl} answered ${status} with something that is not exact-sync's API. Check the server URL in Exact Online → Settings.`,
    );
  }
  if (status === 401)
    throw new Error(
      'The server refused the API key. Make a new one in the exact-sync console (API keys) and enter it in Exact Online → Settings.',
    );
  const error = (parsed as { error?: { message?: string } } | undefined)?.error;
  if (status >= 400 || error) throw new Error(error?.message ?? `The server answered ${status}.`);
  return parsed as T;
}

/** One page of a table's rows in primary-key order, after the given key (keyset paging). */
export function tablePage(s: ClientSettings, table: string, o: { after?: unknown[]; limit: number }): QueryResult {
  const q = [`format=json`, `limit=${o.limit}`];
  if (o.after) q.push(`after=${encodeURIComponent(JSON.stringify(o.after))}`);
  return call<QueryResult>(s, 'get', `/api/v1/tables/${encodeURIComponent(table)}/rows?${q.join('&')}`);
}

/** A saved query as it is on the server now, at most `maxRows` rows (past them the server says row_limit). */
export function savedQueryRows(s: ClientSettings, id: number, maxRows: number): QueryResult {
  return call<QueryResult>(s, 'get', `/api/v1/queries/${id}/run?format=json&maxRows=${maxRows}`);
}
