import type { Settings } from '../lib/settings.ts';
import type { PublishedView } from '../query/types.ts';
import { connectionId, withDatabase } from './shared.ts';

/** `exact-sync views list | publish | refresh | unpublish`: saved queries as views in the reports schema. */

function line(v: PublishedView): string {
  const kind = v.materialized ? 'materialized' : 'view';
  const state = v.status === 'ok' ? 'ok' : `BROKEN: ${v.error ?? ''}`;
  const refreshed = v.refreshedAt ? `, refreshed ${v.refreshedAt.toISOString().slice(0, 16).replace('T', ' ')}` : '';
  return `reports.${v.name}  (${kind}, connection ${v.connectionId}${refreshed})  ${state}`;
}

export async function runViewsList(settings: Settings): Promise<void> {
  const { listViews } = await import('../query/views.ts');
  const views = await withDatabase(settings, (db) => listViews(db.pool));
  if (views.length === 0) {
    process.stdout.write(
      'No published views yet. Publish a saved query with: npx exact-sync views publish NAME --query ID\n',
    );
    return;
  }
  for (const v of views) process.stdout.write(`${line(v)}\n`);
}

/** `views publish NAME (--query ID | --sql SQL | --starter) [--connection ID] [--materialized]`. */
export async function runViewsPublish(
  settings: Settings,
  name: string,
  options: { query?: string; sql?: string; connection?: string; materialized?: boolean; starter?: boolean },
): Promise<void> {
  const { AppError } = await import('../lib/errors.ts');
  if ([options.query, options.sql, options.starter].filter((o) => o !== undefined).length !== 1)
    throw new AppError(
      'invalid_option',
      'Give the view a saved query (--query ID or name) or its SQL (--sql), or publish the starter model NAME (--starter); one of them.',
    );
  const { publishStarter, publishView, viewWarehouse } = await import('../query/views.ts');
  const { getSavedQuery } = await import('../query/savedQueries.ts');
  const { QueryRunner } = await import('../query/runner.ts');
  const { openSecretBox } = await import('../runtime.ts');
  const { createLogger } = await import('../lib/logger.ts');
  const box = await openSecretBox(
    settings,
    createLogger({ level: 'warn', format: settings.logFormat, destination: process.stderr }),
  );
  const view = await withDatabase(settings, async (db) => {
    const saved = options.query !== undefined ? await getSavedQuery(db.pool, options.query) : undefined;
    const given = options.connection === undefined ? saved?.connectionId : connectionId(options.connection);
    const w = await viewWarehouse(db.pool, given);
    const runner = await QueryRunner.open(db.url, db.pool, box, undefined, settings.readerLimits);
    try {
      if (options.starter)
        return await publishStarter(db.pool, runner, settings.queryLimits, name, {
          connectionId: w.connectionId,
          schema: w.schema,
          materialized: options.materialized ?? false,
        });
      return await publishView(db.pool, runner, settings.queryLimits, {
        name,
        sql: saved?.sql ?? options.sql!,
        connectionId: w.connectionId,
        schema: w.schema,
        savedQueryId: saved?.id ?? null,
        materialized: options.materialized ?? false,
      });
    } finally {
      await runner.close();
    }
  });
  process.stdout.write(
    `Published ${line(view)}\nBI tools, Excel, Sheets and the query API read it as reports.${view.name} (or ${view.name}).\n`,
  );
}

export async function runViewsRefresh(settings: Settings, name: string): Promise<void> {
  const { refreshView } = await import('../query/views.ts');
  const view = await withDatabase(settings, (db) => refreshView(db.pool, name));
  process.stdout.write(`${line(view)}\n`);
}

export async function runViewsUnpublish(settings: Settings, name: string): Promise<void> {
  const { unpublishView } = await import('../query/views.ts');
  await withDatabase(settings, (db) => unpublishView(db.pool, name));
  process.stdout.write(`Removed reports.${name}.\n`);
}

export async function runViewsStarters(): Promise<void> {
  const { STARTER_MODELS } = await import('../query/starterModels.ts');
  for (const m of STARTER_MODELS) process.stdout.write(`${m.name}\n  ${m.title}. Reads ${m.tables.join(', ')}.\n`);
  process.stdout.write('\nPublish one with: npx exact-sync views publish NAME --starter [--materialized]\n');
}
