import { LAST_COMMAND_KEY, storedConnection } from './connection.ts';
import { refresh, refreshSummary } from './workbook.ts';

/**
 * The ribbon's "Refresh all" (an ExecuteFunction command, manifest.xml): the same refresh as the pane's
 * button, with the connection the pane stored. A function command has no UI, so its outcome is kept
 * for the pane (LAST_COMMAND_KEY), which shows it when opened; event.completed() tells Office it ended.
 */

export async function refreshAllCommand(event: { completed(): void }): Promise<void> {
  let text: string;
  try {
    const connection = storedConnection(localStorage, window.location.origin);
    if (!connection.apiKey) text = 'Refresh all: connect first (open exact-sync and enter the server and an API key).';
    else {
      text = `Refresh all: ${refreshSummary(await refresh(connection))}`;
    }
  } catch (err) {
    text = `Refresh all failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  localStorage.setItem(LAST_COMMAND_KEY, JSON.stringify({ at: new Date().toISOString(), text }));
  event.completed();
}

Office.onReady(() => {
  // Both ways Office finds a function command: associated by name, and as a global of the function file.
  Office.actions?.associate('refreshAll', refreshAllCommand);
  (globalThis as { refreshAll?: typeof refreshAllCommand }).refreshAll = refreshAllCommand;
});
