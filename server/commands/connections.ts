import { AppError } from '../lib/errors.ts';
import type { Settings } from '../lib/settings.ts';
import { commaList, connectionId, withDatabase } from './shared.ts';

/** `exact-sync connections` and its divisions / tables subcommands. */

export async function runConnections(settings: Settings): Promise<void> {
  await withDatabase(settings, async (database) => {
    const { rows } = await database.pool.query<{
      id: number;
      country: string;
      base_url: string;
      exact_user_name: string | null;
      state: string;
      state_message: string | null;
      warehouse_schema: string;
    }>(
      'SELECT id, country, base_url, exact_user_name, state, state_message, warehouse_schema FROM exact_sync.connections ORDER BY id',
    );
    if (rows.length === 0) {
      process.stdout.write(
        'No Exact Online connections yet. Connect one in the web console (npm start, then open it and choose "Connect Exact Online").\n',
      );
      return;
    }
    for (const c of rows) {
      process.stdout.write(
        `connection ${c.id}: ${c.state}${c.state_message ? ` — ${c.state_message}` : ''}\n  ${c.base_url} (${c.country})${c.exact_user_name ? `, user ${c.exact_user_name}` : ''}, warehouse schema ${c.warehouse_schema}\n`,
      );
      const runs = await database.pool.query<{
        division: number;
        status: string;
        finished_at: Date | null;
        api_calls: number;
        error_message: string | null;
        tables: number;
        rows: string;
      }>(
        `SELECT DISTINCT ON (r.division) r.division, r.status, r.finished_at, r.api_calls, r.error_message,
           (SELECT count(*) FROM exact_sync.sync_state s WHERE s.connection_id = r.connection_id AND s.division = r.division)::int AS tables,
           (SELECT coalesce(sum(rows_total), 0) FROM exact_sync.sync_state s WHERE s.connection_id = r.connection_id AND s.division = r.division)::text AS rows
         FROM exact_sync.runs r WHERE r.connection_id = $1 ORDER BY r.division, r.started_at DESC`,
        [c.id],
      );
      if (runs.rows.length === 0) process.stdout.write('  not synced yet\n');
      for (const r of runs.rows) {
        const when = r.finished_at ? r.finished_at.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : 'running';
        process.stdout.write(
          `  division ${r.division}: last run ${r.status} (${when}, ${r.api_calls} API calls), ${r.tables} tables, ${r.rows} rows synced in all${r.error_message ? ` — ${r.error_message}` : ''}\n`,
        );
      }
    }
  });
}

/** `exact-sync connections divisions ID [--all | --select 1,2]`: shows, and optionally sets, what syncs. */
export async function runConnectionDivisions(
  settings: Settings,
  id: string,
  options: { all?: boolean; select?: string },
): Promise<void> {
  const { selectDivisions, listDivisions } = await import('../state/divisions.ts');
  const { getConnection } = await import('../state/connections.ts');
  if (options.all && options.select) throw new AppError('invalid_option', 'Give --all or --select, not both.');
  await withDatabase(settings, async (db) => {
    const cid = connectionId(id);
    await getConnection(db.pool, cid);
    if (options.all) await selectDivisions(db.pool, cid, { mode: 'all' });
    if (options.select)
      await selectDivisions(db.pool, cid, {
        mode: 'selected',
        divisions: commaList(options.select, 'select', true).map(Number),
      });
    const c = await getConnection(db.pool, cid);
    process.stdout.write(
      `connection ${cid}: ${c.divisionsMode === 'all' ? 'all divisions sync (new ones too)' : 'only the marked divisions sync'}\n`,
    );
    for (const d of await listDivisions(db.pool, cid)) {
      process.stdout.write(
        `  [${d.syncEnabled ? 'x' : ' '}] ${String(d.division).padStart(8)}  ${d.name}${d.active ? '' : ' (no longer reachable)'}${d.lastSyncAt ? `, last sync ${d.lastSyncAt.toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}\n`,
      );
    }
  });
}

/** `exact-sync connections tables ID [--enable a,b] [--disable a,b] [--frequency t=15,u=default]`. */
export async function runConnectionTables(
  settings: Settings,
  id: string,
  options: { enable?: string; disable?: string; frequency?: string },
): Promise<void> {
  const { listTables, updateTable, DEFAULT_FREQUENCY_MINUTES } = await import('../state/tableSettings.ts');
  const { getConnection } = await import('../state/connections.ts');
  const { inTransaction } = await import('../db/tx.ts');
  const { dailyCostOf } = await import('../schedule/state.ts');
  await withDatabase(settings, async (db) => {
    const cid = connectionId(id);
    const c = await getConnection(db.pool, cid);
    // All changes or none: a bad name in the middle leaves the settings as they were.
    await inTransaction(db.pool, async (tx) => {
      for (const t of options.enable ? commaList(options.enable, 'enable', false) : [])
        await updateTable(tx, cid, t, { enabled: true });
      for (const t of options.disable ? commaList(options.disable, 'disable', false) : [])
        await updateTable(tx, cid, t, { enabled: false });
      for (const pair of options.frequency ? commaList(options.frequency, 'frequency', false) : []) {
        const m = /^([a-z]+)=(\d+|default)$/.exec(pair);
        if (!m)
          throw new AppError(
            'invalid_option',
            `--frequency takes table=minutes pairs, e.g. transactionlines=15 or items=default (got ${JSON.stringify(pair)})`,
          );
        await updateTable(tx, cid, m[1]!, { frequencyMinutes: m[2] === 'default' ? null : Number(m[2]) });
      }
    });
    const cost = await dailyCostOf(db.pool, cid);
    const perDay = new Map(cost.tables.map((t) => [t.name, t.callsPerDay]));
    for (const t of await listTables(db.pool, cid, c.warehouseSchema)) {
      const every = t.frequencyMinutes ?? DEFAULT_FREQUENCY_MINUTES;
      const calls = t.enabled && perDay.has(t.name) ? `  ~${perDay.get(t.name)} calls/day` : '';
      process.stdout.write(
        `  [${t.enabled ? 'x' : ' '}] ${t.name.padEnd(20)} every ${String(every).padStart(4)} min${t.frequencyMinutes === null ? ' (default)' : '          '}  ${String(t.rows).padStart(10)} rows${t.rowsEstimated ? ' (estimate)' : ''}${calls}\n`,
      );
    }
    process.stdout.write(
      `about ${cost.total.toLocaleString('en-US')} of Exact's ${cost.budget.toLocaleString('en-US')} API calls a day per division (${Math.round(cost.share * 100)} %)\n`,
    );
    if (cost.warning) process.stdout.write(`warning: ${cost.warning}\n`);
  });
}
