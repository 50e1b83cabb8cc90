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
  | { kind: 'edit'; fn: string }
  /** Time passes until each one-shot trigger is due, and it runs in an execution of its own; at most `max`. */
  | { kind: 'triggers'; max: number };

let executions = 0;

/** One execution of a global function: the 6-minute clock starts, the lock is let go at the end. */
function execute(fn: string, args: unknown[], kind: 'user' | 'trigger') {
  const w = world!;
  w.clock.begin(kind);
  w.lock.execution = `execution-${++executions}`;
  try {
    return { ok: true, result: (context![fn] as (...a: unknown[]) => unknown)(...args), killed: false };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err), killed: w.clock.killed };
  } finally {
    if (w.lock.holder === w.lock.execution) w.lock.holder = undefined;
  }
}

function snapshot() {
  const w = world!;
  return {
    sheets: w.spreadsheet.sheets.map((s) => ({
      name: s.name,
      cells: s.cells,
      notes: s.notes,
      frozenRows: s.frozenRows,
      hidden: s.hidden,
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
    triggers: w.triggers,
    clock: { now: w.clock.now, started: w.clock.started, killed: w.clock.killed },
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
  if (req.kind === 'triggers') {
    const ran: { fn: string; ok: boolean; killed: boolean; error?: string; elapsedMs: number }[] = [];
    const w = world!;
    for (let i = 0; i < req.max; i++) {
      const due = w.triggers.filter((t) => t.at !== undefined).sort((a, b) => a.at! - b.at!)[0];
      if (!due) break;
      w.triggers.splice(w.triggers.indexOf(due), 1);
      w.clock.now = Math.max(w.clock.now, due.at!);
      const out = execute(due.fn, [], 'trigger');
      ran.push({
        fn: due.fn,
        ok: out.ok,
        killed: out.killed,
        ...(out.error ? { error: out.error } : {}),
        elapsedMs: w.clock.now - w.clock.started,
      });
    }
    parentPort!.postMessage({ ok: true, ran, state: snapshot() });
    return;
  }
  world!.prompts.push(...req.prompts);
  const out = execute(req.fn, req.args, 'user');
  parentPort!.postMessage({ ...out, state: snapshot() });
});
