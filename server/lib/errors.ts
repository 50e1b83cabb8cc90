/**
 * The error family of exact-sync. Every error a user can meet carries a snake_case `code`, a message that
 * says what to do next, and (where it reaches HTTP) a status. Unknown errors are not AppErrors: they are
 * logged and shown as a generic 500, never sent with their details.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  /** Where in the user's SQL PostgreSQL stopped (1-based character), for an editor to mark. */
  readonly position: number | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number; cause?: unknown; position?: number | undefined } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? 500;
    this.position = options.position;
  }
}

/** A configuration problem found at start-up: every problem is listed, the process exits 1. */
export class SettingsError extends AppError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('invalid_settings', `Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
    this.problems = problems;
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** The message of anything thrown, for places that must say something. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}
