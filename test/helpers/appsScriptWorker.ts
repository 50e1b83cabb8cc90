/**
 * Runs the built Apps Script file in a vm context inside a worker thread. UrlFetchApp is synchronous in
 * Apps Script, and its stand-in blocks while a child process makes the request: in a worker, that blocks
 * only this thread, so an exact-sync server in the test's own thread keeps answering.
 */
import vm from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { appsScriptWorld, type AppsScriptWorld } from './fakeAppsScript.ts';

let world: AppsScriptWorld | undefined;
let context: vm.Context | undefined;

export type WorkerRequest =
  | { kind: 'load'; code: string }
  | { kind: 'run'; fn: string; args: unknown[]; prompts: ['OK' | 'CANCEL', string][] }
  /** The test changes the world as a user would (a formula typed, a sheet resized): `(world) => …` as text. */
  | { kind: 'edit'; fn: string };

function snapshot() {
  const w = world!;
  return {
    sheets: w.spreadsheet.sheets.map((s) => ({
      name: s.name,
      cells: s.cells,
      notes: s.notes,
      frozenRows: s.frozenRows,
      maxRows: s.maxRows,
      maxColumns: s.maxColumns,
    })),
    userProps: w.userProps.data,
    documentProps: w.documentProps.data,
    menus: w.menus,
    alerts: w.alerts,
    sidebars: w.sidebars,
    toasts: w.spreadsheet.toasts,
    fetches: w.fetches,
  };
}

parentPort!.on('message', (req: WorkerRequest) => {
  if (req.kind === 'load') {
    world = appsScriptWorld();
    context = vm.createContext({ ...world.globals });
    vm.runInContext(req.code, context, { filename: 'Code.js' });
    parentPort!.postMessage({ ok: true, state: snapshot() });
    return;
  }
  if (req.kind === 'edit') {
    vm.runInNewContext(`(${req.fn})(world)`, { world });
    parentPort!.postMessage({ ok: true, state: snapshot() });
    return;
  }
  world!.prompts.push(...req.prompts);
  try {
    const result = (context![req.fn] as (...a: unknown[]) => unknown)(...req.args);
    parentPort!.postMessage({ ok: true, result, state: snapshot() });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err), state: snapshot() });
  }
});
