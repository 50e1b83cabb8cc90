import { readSettings, saveSettings } from './settings.ts';

/* Global functions only: Apps Script calls these by name from the menu. Logic lives in modules. */

export function onOpen(): void {
  SpreadsheetApp.getUi().createMenu('Exact Online').addItem('Settings…', 'showSettings').addToUi();
}

export function showSettings(): void {
  const ui = SpreadsheetApp.getUi();
  const props = PropertiesService.getUserProperties();
  const current = readSettings(props);
  const url = ui.prompt('exact-sync server', `Server URL${current ? ` (now ${current.serverUrl})` : ''}:`, ui.ButtonSet.OK_CANCEL);
  if (url.getSelectedButton() !== ui.Button.OK) return;
  const key = ui.prompt('exact-sync API key', 'API key (a read key from the exact-sync console):', ui.ButtonSet.OK_CANCEL);
  if (key.getSelectedButton() !== ui.Button.OK) return;
  const problem = saveSettings(props, { serverUrl: url.getResponseText(), apiKey: key.getResponseText() });
  if (problem) ui.alert('Settings not saved', problem, ui.ButtonSet.OK);
  else SpreadsheetApp.getActiveSpreadsheet().toast('Settings saved', 'Exact Online');
}
