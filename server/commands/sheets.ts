import { AppError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import type { Settings } from '../lib/settings.ts';
import { connectionId, withDatabase } from './shared.ts';

const targetId = (id: string) => {
  if (!/^\d+$/.test(id))
    throw new AppError(
      'invalid_option',
      `A Sheets target is given by its id, as listed by: exact-sync sheets list (got ${JSON.stringify(id)})`,
    );
  return Number(id);
};

/** `exact-sync sheets …`: Google Sheets writeback targets from a terminal. */

const when = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : 'never');

export async function runSheetsList(settings: Settings): Promise<void> {
  const { listTargets } = await import('../sheets/targets.ts');
  const targets = await withDatabase(settings, (db) => listTargets(db.pool));
  if (targets.length === 0) {
    process.stdout.write(
      'No Sheets targets yet. Add one with: npx exact-sync sheets add --name N --spreadsheet ID --sheet S --table T\n',
    );
    return;
  }
  for (const t of targets) {
    const last = t.lastPush
      ? `last push ${t.lastPush.status} ${when(t.lastPush.startedAt)}${t.lastPush.rows !== null ? `, ${t.lastPush.rows} rows` : ''}${t.lastPush.error ? ` — ${t.lastPush.error}` : ''}`
      : 'never pushed';
    process.stdout.write(
      `${String(t.id).padStart(4)}  ${t.name}${t.enabled ? '' : ' (off)'}: ${t.sourceKind} ${t.sourceKind === 'sql' ? JSON.stringify(t.source.slice(0, 40)) : t.source} → ${t.spreadsheetId} / ${t.sheetName}, ${t.frequencyMinutes ? `every ${t.frequencyMinutes} min` : 'on request'}; ${last}\n`,
    );
  }
}

export async function runSheetsAdd(
  settings: Settings,
  o: {
    name: string;
    spreadsheet: string;
    sheet: string;
    table?: string;
    query?: string;
    sql?: string;
    every?: string;
    connection?: string;
  },
): Promise<void> {
  const sources = [o.table, o.query, o.sql].filter((x) => x !== undefined);
  if (sources.length !== 1)
    throw new AppError('invalid_option', 'Give exactly one of --table, --query (a saved query id) or --sql.');
  const every = o.every === undefined ? null : Number(o.every);
  if (every !== null && !(Number.isInteger(every) && every >= 5))
    throw new AppError(
      'invalid_option',
      `--every is a whole number of minutes, at least 5 (got ${JSON.stringify(o.every)})`,
    );
  const { createTarget } = await import('../sheets/targets.ts');
  const t = await withDatabase(settings, (db) =>
    createTarget(db.pool, {
      name: o.name,
      spreadsheetId: o.spreadsheet,
      sheetName: o.sheet,
      sourceKind: o.table !== undefined ? 'table' : o.query !== undefined ? 'query' : 'sql',
      source: (o.table ?? o.query ?? o.sql)!,
      connectionId: o.connection === undefined ? null : connectionId(o.connection),
      frequencyMinutes: every,
    }),
  );
  process.stdout.write(
    `Sheets target ${t.id} "${t.name}" added${every ? `: pushed every ${every} minutes by the workers` : ''}. Push it now with: npx exact-sync sheets push ${t.id}\n`,
  );
}

export async function runSheetsPush(settings: Settings, id: string): Promise<void> {
  const { pushTarget } = await import('../sheets/targets.ts');
  const { QueryRunner } = await import('../query/runner.ts');
  const { sheetsClient } = await import('../sheets/client.ts');
  const { openSecretBox } = await import('../runtime.ts');
  const box = await openSecretBox(
    settings,
    createLogger({ level: 'warn', format: settings.logFormat, destination: process.stderr }),
  );
  const outcome = await withDatabase(settings, async (db) => {
    const query = await QueryRunner.open(db.url, db.pool, box);
    try {
      return await pushTarget(
        {
          pool: db.pool,
          query,
          limits: settings.queryLimits,
          sheets: sheetsClient({ credentialsFile: settings.googleCredentialsFile, rootUrl: settings.googleSheetsUrl }),
          writesPerMinute: settings.sheetsWritesPerMinute,
        },
        targetId(id),
        'manual',
      );
    } finally {
      await query.close();
    }
  });
  if (outcome.status !== 'succeeded')
    throw new AppError('push_failed', `The push failed (recorded as push ${outcome.pushId}): ${outcome.error}`);
  process.stdout.write(`Pushed ${outcome.rows} rows (push ${outcome.pushId}).\n`);
}

export async function runSheetsRemove(settings: Settings, id: string): Promise<void> {
  const { deleteTarget } = await import('../sheets/targets.ts');
  await withDatabase(settings, (db) => deleteTarget(db.pool, targetId(id)));
  process.stdout.write(`Sheets target ${id} removed (the spreadsheet is not touched).\n`);
}

/** `exact-sync sheets set <id> …`: switch a target on or off, change its schedule, name or place. */
export async function runSheetsSet(
  settings: Settings,
  id: string,
  o: Record<string, string | boolean | undefined>,
): Promise<void> {
  if (o.on && o.off) throw new AppError('invalid_option', 'Give --on or --off, not both.');
  if (o.every !== undefined && o.onRequest)
    throw new AppError('invalid_option', 'Give --every or --on-request, not both.');
  const every = o.every === undefined ? undefined : Number(o.every);
  if (every !== undefined && !(Number.isInteger(every) && every >= 5 && every <= 7 * 24 * 60))
    throw new AppError(
      'invalid_option',
      `--every is a whole number of minutes, 5 to 10080 (got ${JSON.stringify(o.every)})`,
    );
  const patch = {
    ...(o.on ? { enabled: true } : o.off ? { enabled: false } : {}),
    ...(every !== undefined ? { frequencyMinutes: every } : o.onRequest ? { frequencyMinutes: null } : {}),
    ...(typeof o.name === 'string' ? { name: o.name } : {}),
    ...(typeof o.spreadsheet === 'string' ? { spreadsheetId: o.spreadsheet } : {}),
    ...(typeof o.sheet === 'string' ? { sheetName: o.sheet } : {}),
  };
  if (Object.keys(patch).length === 0)
    throw new AppError(
      'invalid_option',
      'Nothing to change: give --on, --off, --every N, --on-request, --name, --spreadsheet or --sheet.',
    );
  const { updateTarget } = await import('../sheets/targets.ts');
  const t = await withDatabase(settings, (db) => updateTarget(db.pool, targetId(id), patch));
  process.stdout.write(
    `Sheets target ${t.id} "${t.name}": ${t.enabled ? 'on' : 'off'}, ${t.frequencyMinutes ? `every ${t.frequencyMinutes} min` : 'on request'}, → ${t.spreadsheetId} / ${t.sheetName}\n`,
  );
}
