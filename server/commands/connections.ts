import { AppError } from '../lib/errors.ts';
import { inTransaction } from '../db/tx.ts';
import { dailyCostOf } from '../schedule/schedules.ts';
import { getConnection, listConnections, type DroppedField } from '../state/connections.ts';
import { listDroppedFields, retryDroppedFields } from '../state/droppedFields.ts';
import { syncedTotals } from '../state/cursors.ts';
import { listDivisions, selectDivisions } from '../state/divisions.ts';
import { DEFAULT_FREQUENCY_MINUTES, listTables, updateTable } from '../state/tableSettings.ts';
import type { Settings } from '../lib/settings.ts';
import { commaList, connectionId, withDatabase } from './shared.ts';

/** `exact-sync connections` and its divisions / tables subcommands. */

export async function runConnections(settings: Settings): Promise<void> {
  await withDatabase(settings, async (database) => {
    const connections = await listConnections(database.pool);
    if (connections.length === 0) {
      process.stdout.write(
        'No Exact Online connections yet. Connect one in the web console (npm start, then open it and choose "Connect Exact Online").\n',
      );
      return;
    }
    for (const c of connections) {
      const user = c.exactUserName ? `, user ${c.exactUserName}` : '';
      process.stdout.write(
        `connection ${c.id}: ${c.state}${c.stateMessage ? ` — ${c.stateMessage}` : ''}\n  ${c.baseUrl} (${c.country})${user}, warehouse schema ${c.warehouseSchema}\n`,
      );
      const [divisions, totals] = await Promise.all([
        listDivisions(database.pool, c.id),
        syncedTotals(database.pool, c.id),
      ]);
      for (const f of c.droppedFields)
        process.stdout.write(`  ${droppedLine(f)} (exact-sync connections fields ${c.id} --retry asks again)\n`);
      const ran = divisions.filter((d) => d.lastRun !== null).sort((a, b) => a.division - b.division);
      if (ran.length === 0) process.stdout.write('  not synced yet\n');
      for (const d of ran) {
        const run = d.lastRun!;
        const when = run.finishedAt ? run.finishedAt.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : 'running';
        const total = totals.get(d.division) ?? { tables: 0, rows: 0 };
        process.stdout.write(
          `  division ${d.division}: last run ${run.status} (${when}, ${run.apiCalls} API calls), ${total.tables} tables, ${total.rows} rows synced in all${run.errorMessage ? ` — ${run.errorMessage}` : ''}\n`,
        );
      }
    }
  });
}

/** One dropped field, for people. */
function droppedLine(f: DroppedField): string {
  const when = f.droppedAt.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return `field ${f.field} left out of ${f.endpoint} since ${when}: Exact said "${f.message}"`;
}

/**
 * `exact-sync connections fields ID [--retry [endpoint]]`: the fields Exact said an endpoint no longer
 * has, and asking for them again from the next run (they are also asked again a week after they went).
 */
export async function runConnectionFields(
  settings: Settings,
  id: string,
  options: { retry?: boolean | string },
): Promise<void> {
  await withDatabase(settings, async (db) => {
    const cid = connectionId(id);
    await getConnection(db.pool, cid);
    if (options.retry) {
      const endpoint = typeof options.retry === 'string' ? options.retry : undefined;
      const n = await retryDroppedFields(db.pool, cid, endpoint);
      process.stdout.write(`${n} dropped field${n === 1 ? '' : 's'} will be asked for again from the next run.\n`);
      return;
    }
    const fields = await listDroppedFields(db.pool, cid);
    if (fields.length === 0) process.stdout.write(`Exact has refused no field of connection ${cid}.\n`);
    for (const f of fields) process.stdout.write(`${droppedLine(f)}\n`);
  });
}

/** `exact-sync connections divisions ID [--all | --select 1,2]`: shows, and optionally sets, what syncs. */
export async function runConnectionDivisions(
  settings: Settings,
  id: string,
  options: { all?: boolean; select?: string },
): Promise<void> {
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
    const tables = await listTables(db.pool, cid, c.warehouseSchema);
    // Grouped by area as the console shows them.
    for (const area of [...new Set(tables.map((t) => t.area))]) {
      const inArea = tables.filter((t) => t.area === area);
      process.stdout.write(`${area} (${inArea.filter((t) => t.enabled).length} of ${inArea.length} on)\n`);
      for (const t of inArea) {
        const every = t.frequencyMinutes ?? DEFAULT_FREQUENCY_MINUTES;
        const calls = t.enabled && perDay.has(t.name) ? `  ~${perDay.get(t.name)} calls/day` : '';
        process.stdout.write(
          `  [${t.enabled ? 'x' : ' '}] ${t.name.padEnd(32)} every ${String(every).padStart(4)} min${t.frequencyMinutes === null ? ' (default)' : '          '}  ${String(t.rows).padStart(10)} rows${t.rowsEstimated ? ' (estimate)' : ''}${calls}\n`,
        );
      }
    }
    process.stdout.write(
      `about ${cost.total.toLocaleString('en-US')} of Exact's ${cost.budget.toLocaleString('en-US')} API calls a day per division (${Math.round(cost.share * 100)} %)\n`,
    );
    if (cost.warning) process.stdout.write(`warning: ${cost.warning}\n`);
  });
}

/** `exact-sync connections webhooks ID [--on | --off]`: near-real-time, shown or switched (the server must be running: Exact checks its callback). */
export async function runConnectionWebhooks(
  settings: Settings,
  id: string,
  options: { on?: boolean; off?: boolean; safetyNetHours?: string },
): Promise<void> {
  if (options.on && options.off) throw new AppError('invalid_option', 'Give --on or --off, not both.');
  const { listSubscriptions, webhookStats, webhookSettings, setSafetyNetHours, SAFETY_NET_HOURS } =
    await import('../state/webhookSubscriptions.ts');
  const cid = connectionId(id);
  const hours = options.safetyNetHours === undefined ? undefined : Number(options.safetyNetHours);
  if (
    hours !== undefined &&
    !(Number.isInteger(hours) && hours >= SAFETY_NET_HOURS.min && hours <= SAFETY_NET_HOURS.max)
  )
    throw new AppError(
      'invalid_option',
      `--safety-net-hours must be a whole number of hours from ${SAFETY_NET_HOURS.min} to ${SAFETY_NET_HOURS.max} (got ${JSON.stringify(options.safetyNetHours)})`,
    );
  if (options.on || options.off) {
    if (options.on && !settings.exact?.webhookSecret)
      throw new AppError(
        'webhooks_off',
        "Set EXACT_WEBHOOK_SECRET (the app's Webhook secret in Exact's App Center) first: without it the server refuses Exact's deliveries.",
      );
    const { exactRuntime, openSecretBox } = await import('../runtime.ts');
    const { subscribeWebhooks, unsubscribeWebhooks, webhookCallbackUrl } =
      await import('../sync/webhookSubscriptions.ts');
    const { createLogger } = await import('../lib/logger.ts');
    const log = createLogger({ level: 'warn', format: settings.logFormat, destination: process.stderr });
    const box = await openSecretBox(settings, log);
    await withDatabase(settings, async (db) => {
      await getConnection(db.pool, cid);
      const { app, tokens, pacer } = exactRuntime({ pool: db.pool, box, settings, log });
      const deps = { pool: db.pool, tokens, pacer, clientId: app.clientId, log };
      if (options.on) {
        const o = await subscribeWebhooks(deps, cid, webhookCallbackUrl(settings.publicUrl));
        process.stdout.write(
          `Near-real-time on: ${o.made} subscription${o.made === 1 ? '' : 's'} made, ${o.adopted} already there, for ${o.divisions} division${o.divisions === 1 ? '' : 's'} × ${o.topics.join(', ')}.\n`,
        );
      } else {
        const removed = await unsubscribeWebhooks(deps, cid);
        process.stdout.write(
          `Near-real-time off: ${removed} subscription${removed === 1 ? '' : 's'} removed at Exact.\n`,
        );
      }
      if (hours !== undefined) await setSafetyNetHours(db.pool, cid, hours);
    });
    return;
  }
  await withDatabase(settings, async (db) => {
    await getConnection(db.pool, cid);
    if (hours !== undefined) await setSafetyNetHours(db.pool, cid, hours);
    const { webhookCalls } = await import('../schedule/schedules.ts');
    const [w, subs, stats, calls] = await Promise.all([
      webhookSettings(db.pool, cid),
      listSubscriptions(db.pool, cid),
      webhookStats(db.pool, cid),
      webhookCalls(db.pool, cid, new Date()),
    ]);
    process.stdout.write(
      `Near-real-time (webhooks): ${w.enabled ? 'on' : 'off'}, safety net every ${w.safetyNetHours} h; ${subs.length} subscription${subs.length === 1 ? '' : 's'}; ` +
        `${stats.lastDay} event${stats.lastDay === 1 ? '' : 's'} in the last day${stats.lastAt ? `, the latest ${stats.lastAt.toISOString()}` : ''}` +
        `${stats.lagSeconds ? `; in the warehouse ${stats.lagSeconds.median.toFixed(1)} s after arriving (median), ${stats.lagSeconds.p95.toFixed(1)} s (p95)` : ''}.\n`,
    );
    if (w.enabled) process.stdout.write(`${callsSavedText(calls)}\n`);
    for (const s of subs) process.stdout.write(`  division ${s.division}  ${s.topic}\n`);
  });
}

/** The API calls near-real-time saved, in words (`connections webhooks`). */
export function callsSavedText(c: {
  pollingPerDay: number;
  safetyNetPerDay: number;
  webhookRunsLastDay: number;
  savedPerDay: number;
}): string {
  const verdict =
    c.savedPerDay >= 0 ? `saves about ${c.savedPerDay} calls a day` : `costs about ${-c.savedPerDay} calls a day more`;
  return (
    `API calls: the schedule needs ${c.safetyNetPerDay} a day instead of ${c.pollingPerDay}; ` +
    `webhook runs made ${c.webhookRunsLastDay} in the last day: near-real-time ${verdict} than polling.`
  );
}
