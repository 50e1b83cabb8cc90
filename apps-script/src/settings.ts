/**
 * The user's exact-sync server and API key, kept in the user's own properties (never in cells, never
 * shared with other users of the spreadsheet).
 */
export interface ClientSettings {
  serverUrl: string;
  apiKey: string;
}

const SERVER_URL = 'EXACT_SYNC_SERVER_URL';
const API_KEY = 'EXACT_SYNC_API_KEY';

export function readSettings(props: GoogleAppsScript.Properties.Properties): ClientSettings | undefined {
  const serverUrl = props.getProperty(SERVER_URL);
  const apiKey = props.getProperty(API_KEY);
  return serverUrl && apiKey ? { serverUrl, apiKey } : undefined;
}

/** Checks and stores the settings; returns the problem in words instead of storing a bad value. */
export function saveSettings(props: GoogleAppsScript.Properties.Properties, input: ClientSettings): string | undefined {
  const serverUrl = input.serverUrl.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(serverUrl))
    return 'The server URL must start with https:// (e.g. https://exact-sync.example.com).';
  // The API key travels with every request: over http:// anyone on the way reads it. Only a server on
  // this machine may be plain http (a local test; Google's servers reach no localhost anyway).
  if (/^http:/.test(serverUrl) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/.test(serverUrl))
    return 'The server URL must be https://: over http:// the API key would travel in clear. Put exact-sync behind HTTPS (TLS_CERT_FILE, or a reverse proxy).';
  const apiKey = input.apiKey.trim();
  if (apiKey.length < 20) return 'That API key is too short: copy the whole key shown when it was created.';
  props.setProperties({ [SERVER_URL]: serverUrl, [API_KEY]: apiKey });
  return undefined;
}
