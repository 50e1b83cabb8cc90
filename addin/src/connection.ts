import type { Connection } from './api.ts';

/**
 * Where the pane keeps the server's address and the API key: the add-in's own storage on this computer
 * (never the workbook). The ribbon's commands run in a page of the same origin and read the same.
 */
export const URL_KEY = 'exact-sync.serverUrl';
export const KEY_KEY = 'exact-sync.apiKey';
/** The outcome of the last ribbon command, for the pane to show when it opens. */
export const LAST_COMMAND_KEY = 'exact-sync.lastCommand';

export function storedConnection(storage: Pick<Storage, 'getItem'>, origin: string): Connection {
  return { serverUrl: storage.getItem(URL_KEY) ?? origin, apiKey: storage.getItem(KEY_KEY) ?? '' };
}
