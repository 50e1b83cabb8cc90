import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../lib/errors.ts';
import { createLogger } from '../lib/logger.ts';
import type { Settings } from '../lib/settings.ts';
import { connectionId, withDatabase } from './shared.ts';

/** `exact-sync documents …`: Exact documents and attachments from a terminal, every write recorded. */

export interface Where {
  connection: string;
  division: string;
}

async function withClient<T>(
  settings: Settings,
  w: Where,
  fn: (o: {
    client: import('../exact/client.ts').ExactClient;
    division: number;
    pool: import('pg').Pool;
    connection: number;
  }) => Promise<T>,
): Promise<T> {
  const division = Number(w.division);
  if (!Number.isInteger(division) || division < 1)
    throw new AppError('invalid_option', `--division is a division code (got ${JSON.stringify(w.division)})`);
  const connection = connectionId(w.connection);
  const { openSecretBox } = await import('../runtime.ts');
  const { exactRuntime } = await import('../runtime.ts');
  const { documentClient } = await import('../documents/service.ts');
  const log = createLogger({ level: 'warn', format: settings.logFormat, destination: process.stderr });
  const box = await openSecretBox(settings, log);
  return withDatabase(settings, async (db) => {
    const { app, tokens, pacer } = exactRuntime({ pool: db.pool, box, settings, log });
    const client = await documentClient({ pool: db.pool, tokens, pacer, clientId: app.clientId }, connection, division);
    return fn({ client, division, pool: db.pool, connection });
  });
}

/** `documents upsert --file rows.csv|rows.json [--by Subject]`: many at once, a line per row, exit 1 if any failed. */
export async function runDocumentsUpsert(settings: Settings, o: Where & { file: string; by: string }): Promise<void> {
  const format = o.file.endsWith('.json') ? 'json' : o.file.endsWith('.csv') ? 'csv' : undefined;
  if (!format)
    throw new AppError('invalid_option', `--file must be a .csv or .json file (got ${JSON.stringify(o.file)})`);
  const text = await readFile(o.file, 'utf8').catch((err: unknown) => {
    throw new AppError('file_unreadable', `Cannot read ${o.file}: ${(err as Error).message}`);
  });
  const { parseDocuments, upsertMany } = await import('../documents/bulk.ts');
  let rows;
  try {
    rows = parseDocuments(text, format);
  } catch (err) {
    throw new AppError('invalid_file', `${o.file}: ${(err as Error).message}`);
  }
  const { recorded } = await import('../documents/service.ts');
  const failed = await withClient(settings, o, async ({ client, division, pool, connection }) => {
    const outcomes = await upsertMany(client, division, rows, o.by, (r, done) => {
      process.stdout.write(
        `[${done}/${rows.length}] row ${r.row}: ${r.status === 'failed' ? `FAILED: ${r.error}` : `${r.status} ${r.id}`}\n`,
      );
    });
    // The log of writes gets one line per row, as the API's writes do.
    for (const [i, r] of outcomes.entries()) {
      await recorded(
        pool,
        {
          connectionId: connection,
          division,
          action: 'upsert',
          actor: 'cli',
          subject: typeof rows[i]!.Subject === 'string' ? (rows[i]!.Subject as string) : undefined,
        },
        async () => {
          if (r.status === 'failed') throw new AppError('row_failed', r.error ?? 'failed');
          return { action: r.status, document: { ID: r.id } };
        },
      ).catch(() => undefined);
    }
    return outcomes.filter((r) => r.status === 'failed').length;
  });
  process.stdout.write(
    `${rows.length - failed} of ${rows.length} rows written${failed ? `, ${failed} failed (see above)` : ''}. Running the same file again updates the same documents.\n`,
  );
  if (failed) throw new AppError('rows_failed', `${failed} row(s) failed.`);
}

export async function runDocumentsFind(settings: Settings, o: Where & { subject: string }): Promise<void> {
  const { findOne } = await import('../documents/documents.ts');
  const doc = await withClient(settings, o, ({ client, division }) => findOne(client, division, o.subject));
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

export async function runDocumentsAttach(
  settings: Settings,
  o: Where & { document: string; file: string; name?: string },
): Promise<void> {
  const { addAttachment } = await import('../documents/documents.ts');
  const { recorded } = await import('../documents/service.ts');
  const bytes = await readFile(o.file).catch((err: unknown) => {
    throw new AppError('file_unreadable', `Cannot read ${o.file}: ${(err as Error).message}`);
  });
  const name = o.name ?? path.basename(o.file);
  const a = await withClient(settings, o, ({ client, division, pool, connection }) =>
    recorded(pool, { connectionId: connection, division, action: 'attach', actor: 'cli', fileName: name }, () =>
      addAttachment(client, division, o.document, name, bytes),
    ),
  );
  process.stdout.write(
    `Attached ${name} (${bytes.length} bytes) to document ${o.document}: attachment ${String(a.ID)}.\n`,
  );
}

export async function runDocumentsDownload(
  settings: Settings,
  o: Where & { document: string; attachment: string; out?: string },
): Promise<void> {
  const { downloadAttachment } = await import('../documents/documents.ts');
  const by = /^[0-9a-f-]{36}$/i.test(o.attachment) ? { id: o.attachment } : { fileName: o.attachment };
  const file = await withClient(settings, o, ({ client, division }) =>
    downloadAttachment(client, division, o.document, by),
  );
  const target = o.out ?? file.fileName;
  await writeFile(target, file.bytes);
  process.stdout.write(`Saved ${file.fileName} (${file.bytes.length} bytes) as ${target}.\n`);
}
