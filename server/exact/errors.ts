import { AppError } from '../lib/errors.ts';

/** Exact answered with an error: its status and the message of its error body (docs/exact-online.md 4.7). */
export class ExactApiError extends AppError {
  readonly httpStatus: number;
  readonly path: string;
  /** What Exact said, as it said it. */
  readonly exactMessage: string;
  constructor(httpStatus: number, message: string, path: string) {
    super('exact_api_error', `Exact Online answered ${httpStatus} for ${path}: ${message}`, { status: 502 });
    this.httpStatus = httpStatus;
    this.path = path;
    this.exactMessage = message;
  }
}

/** The division's daily API budget is spent; work stops until `resetsAt` (00:00 UTC). */
export class DailyLimitError extends AppError {
  readonly resetsAt: number;
  readonly division: number;
  constructor(division: number, resetsAt: number) {
    const at = new Date(resetsAt).toISOString().slice(11, 16);
    super('daily_limit_reached', `Daily API limit of division ${division} reached, resumes after ${at} UTC`, {
      status: 429,
    });
    this.resetsAt = resetsAt;
    this.division = division;
  }
}

/** The connection's token chain is gone; an admin must connect again. Never retried. */
export class ReauthRequiredError extends AppError {
  readonly connectionId: number;
  constructor(connectionId: number, message: string) {
    super('reauth_required', message, { status: 409 });
    this.connectionId = connectionId;
  }
}
