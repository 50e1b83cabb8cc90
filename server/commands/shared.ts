import { createLogger } from '../lib/logger.ts';
import { AppError } from '../lib/errors.ts';
import type { Settings } from '../lib/settings.ts';
import { openDatabase, type Database } from '../runtime.ts';

/** What the commands share: a database for the length of one command, and the parsing of their arguments. */

export async function withDatabase<T>(settings: Settings, fn: (db: Database) => Promise<T>): Promise<T> {
  // Warnings to standard error: standard output carries what the command prints (results, keys).
  const log = createLogger({
    level: settings.logLevel === 'info' ? 'warn' : settings.logLevel,
    format: settings.logFormat,
    destination: process.stderr,
  });
  const database = await openDatabase(settings, log, { owner: false });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

export const commaList = (text: string, name: string, numeric: boolean): string[] => {
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0 || (numeric && items.some((i) => !/^\d+$/.test(i))))
    throw new AppError(
      'invalid_option',
      `--${name} must be a comma-separated list${numeric ? ' of numbers' : ''} (got ${JSON.stringify(text)})`,
    );
  return items;
};
export const connectionId = (id: string) => {
  if (!/^\d+$/.test(id))
    throw new AppError(
      'invalid_option',
      `A connection is given by its id, as listed by: exact-sync connections (got ${JSON.stringify(id)})`,
    );
  return Number(id);
};
