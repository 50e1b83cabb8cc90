import { AppError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import type { Settings } from '../lib/settings.ts';
import { connectionId, withDatabase } from './shared.ts';

/** `exact-sync query`: reading the warehouse from a terminal, under the query API's rules. */

/** `exact-sync query "SQL" [--format table|csv|json|ndjson] [--connection ID]`: the query API's rules, in a terminal. */
export async function runQuery(
  settings: Settings,
  sql: string,
  options: { format: string; connection?: string },
): Promise<void> {
  const formats = ['table', 'csv', 'json', 'ndjson'];
  if (!formats.includes(options.format))
    throw new AppError(
      'invalid_option',
      `--format must be one of ${formats.join(', ')} (got ${JSON.stringify(options.format)})`,
    );
  const { QueryRunner } = await import('../query/runner.ts');
  const { formatSink } = await import('../query/formats.ts');
  const { openSecretBox } = await import('../runtime.ts');
  const log = createLogger({ level: 'warn', format: settings.logFormat, destination: process.stderr });
  const box = await openSecretBox(settings, log);
  await withDatabase(settings, async (db) => {
    const { warehouseOf } = await import('../state/connections.ts');
    const { schema } = await warehouseOf(
      db.pool,
      options.connection === undefined ? null : connectionId(options.connection),
    );
    const runner = await QueryRunner.open(db.url, db.pool, box, undefined, settings.readerLimits);
    try {
      const run = { sql, schema, limits: settings.queryLimits };
      if (options.format !== 'table') {
        const sink = formatSink(options.format as 'csv' | 'json' | 'ndjson', process.stdout, () => undefined);
        const outcome = await runner.run(run, sink);
        if (options.format === 'json') process.stdout.write(`],"rowCount":${outcome.rows}}\n`);
        return;
      }
      // For people: aligned columns (widths from the first batch), NULL shown as such, a count at the end.
      let widths: number[] = [];
      let names: string[] = [];
      const line = (cells: string[]) =>
        `${cells
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd()}\n`;
      const outcome = await runner.run(run, {
        columns: (c) => {
          names = c.map((x) => x.name);
        },
        rows: (batch) => {
          const shown = batch.map((r) => r.map((v) => (v === null ? 'NULL' : visible(v))));
          if (widths.length === 0) {
            widths = names.map((n, i) => Math.min(60, Math.max(n.length, ...shown.map((r) => r[i]!.length))));
            process.stdout.write(line(names) + line(widths.map((w) => '-'.repeat(w))));
          }
          process.stdout.write(
            shown
              .map((r) => line(r.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v))))
              .join(''),
          );
        },
      });
      if (widths.length === 0 && names.length) process.stdout.write(`${names.join('  ')}\n`);
      process.stdout.write(`(${outcome.rows.toLocaleString('en-US')} row${outcome.rows === 1 ? '' : 's'})\n`);
    } finally {
      await runner.close();
    }
  });
}

/**
 * A value as it may be printed to a terminal: control characters (ESC sequences could move the cursor,
 * retitle the window or hide text) shown as escapes, newlines as \n.
 */
export function visible(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) =>
    c === '\n' ? '\\n' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}
