import { AppError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import type { Settings } from '../lib/settings.ts';
import { openDatabase, openSecretBox } from '../runtime.ts';
import { commaList } from './shared.ts';
import type { AlreadyRunning, DivisionOutcome } from '../sync/runner.ts';
import type { TableResult } from '../sync/engine.ts';

/** `exact-sync sync`: a sync in the foreground, with progress bars. */

export async function runSyncCommand(
  settings: Settings,
  options: { connection?: string; tables?: string; divisions?: string; full?: boolean },
): Promise<void> {
  const log = createLogger({
    level: settings.logLevel === 'info' ? 'warn' : settings.logLevel,
    format: settings.logFormat,
  });
  const list = (text: string | undefined, name: string, numeric: boolean) =>
    text === undefined ? undefined : commaList(text, name, numeric);
  const tables = list(options.tables, 'tables', false);
  const divisions = list(options.divisions, 'divisions', true)?.map(Number);
  if (options.connection !== undefined && !/^\d+$/.test(options.connection))
    throw new AppError(
      'invalid_option',
      `--connection must be a connection id (got ${JSON.stringify(options.connection)})`,
    );

  const { exactRuntime } = await import('../runtime.ts');
  const { runConnection } = await import('../sync/runner.ts');
  const { activeConnectionIds, loadConnection } = await import('../state/connections.ts');
  const box = await openSecretBox(settings, log);
  const database = await openDatabase(settings, log, { owner: false });
  let failed = false;
  try {
    const ids =
      options.connection === undefined
        ? await activeConnectionIds(database.pool)
        : [(await loadConnection(database.pool, Number(options.connection))).id];
    if (ids.length === 0) {
      throw new AppError(
        'no_connection',
        'There is no active Exact Online connection to sync. Connect one in the web console (npm start, then open it and choose "Connect Exact Online").',
      );
    }
    const { app, tokens, pacer } = exactRuntime({ pool: database.pool, box, settings, log });
    const progress = await progressBars();
    for (const id of ids) {
      process.stdout.write(`Syncing connection ${id}\n`);
      const outcomes = await runConnection({
        pool: database.pool,
        tokens,
        pacer,
        clientId: app.clientId,
        connectionId: id,
        log,
        ...(tables ? { tables } : {}),
        ...(divisions ? { divisions } : {}),
        ...(options.full ? { full: true } : {}),
        onProgress: progress.onProgress,
        onTableDone: progress.onTableDone,
      });
      progress.stop();
      for (const o of outcomes) {
        const line = outcomeLine(o);
        process.stdout.write(`${line}\n`);
        if (o.status !== 'succeeded' && o.status !== 'already_running') failed = true;
      }
    }
  } finally {
    await database.close();
  }
  if (failed) throw new AppError('sync_failed', 'The sync did not complete; see the lines above.');
}

/** One line per division when its run ends. */
function outcomeLine(o: DivisionOutcome | AlreadyRunning): string {
  if (o.status === 'succeeded') return `division ${o.division}: done (run ${o.runId}, ${o.apiCalls} API calls)`;
  if (o.status === 'already_running')
    return `division ${o.division}: already syncing in another process${o.runId === null ? '' : ` (run ${o.runId})`}; not started twice`;
  return `division ${o.division}: ${o.status.replace('_', ' ')} (run ${o.runId}): ${o.message}`;
}

/** A live bar per table being synced, and a line per table when it ends (plain lines when not a terminal). */
async function progressBars() {
  const { MultiBar, Presets } = (await import('cli-progress')).default;
  const bars = new MultiBar(
    { format: '  division {division} {table} {value} rows', hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  const live = new Map<string, ReturnType<typeof bars.create>>();
  return {
    onProgress: (division: number, table: string, n: number) => {
      const key = `${division}:${table}`;
      let bar = live.get(key);
      if (!bar) live.set(key, (bar = bars.create(1, 0, { division, table })));
      bar.update(n, { division, table });
    },
    onTableDone: (division: number, r: TableResult | { table: string; error: string }) => {
      const bar = live.get(`${division}:${r.table}`);
      if (bar) bars.remove(bar);
      const line =
        'error' in r
          ? `  division ${division} ${r.table}: FAILED: ${r.error}\n`
          : `  division ${division} ${r.table}: ${r.rows} rows read, ${r.inserted} new, ${r.updated} updated, ${r.deleted} deleted\n`;
      // Above the live bars on a terminal; plain lines in a log.
      if (process.stdout.isTTY) bars.log(line);
      else process.stdout.write(line);
    },
    stop: () => bars.stop(),
  };
}
