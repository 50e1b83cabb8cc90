import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './settings.ts';

export type { Logger };

/**
 * Paths that must never reach a log line. Tokens, keys and passwords are also never passed to the
 * logger on purpose; this is the second line of defence.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.apiKey',
  '*.secret',
];

export function createLogger(options: {
  level: LogLevel;
  format: 'json' | 'pretty';
  destination?: NodeJS.WritableStream;
}): Logger {
  const base = { level: options.level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined };
  if (options.format === 'pretty') {
    return pino(
      base,
      pretty({
        sync: true,
        colorize: true,
        ignore: 'pid,hostname',
        translateTime: 'SYS:HH:MM:ss',
        destination: options.destination ?? 1,
      }),
    );
  }
  return options.destination ? pino(base, options.destination) : pino(base);
}
