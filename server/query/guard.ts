import { AppError } from '../lib/errors.ts';

/**
 * The SQL that wraps a user's query so that PostgreSQL itself refuses a row too large to send, before
 * it is sent: Node cannot hold a string past ~512 MB (V8's limit), the driver builds each value as one
 * string, and one `SELECT repeat('x', 600000000)` used to take the whole process down.
 *
 * The size is `pg_column_size(q)`, the row as PostgreSQL holds it (the sum of its values' sizes plus a
 * small header). A row's text (what is sent) is at most a few times that (bytea doubles, numbers and
 * dates grow a little), so a cap on it bounds what one row costs here. The check is a CASE that casts a
 * marker text to integer when the row is too large: PostgreSQL then stops the query with error 22P02
 * naming the marker and the size, which {@link tooLarge} turns into a `value_too_large` error. (A
 * plpgsql function would cost a call per row; this costs a comparison.)
 *
 * This is for the cursor path (queries with parameters), where the driver holds whole rows. The COPY
 * path streams bytes and never holds a row whole, so there exact-sync counts each row's bytes as they
 * pass (copyText.ts): the check here cost PostgreSQL about a fifth of its time on a
 * million rows (0.6 s of 2.7 s, BENCHMARKS.md), the count there costs the other core a byte loop.
 *
 * The user's SQL goes inside parentheses on lines of its own: PostgreSQL accepted it before as one
 * whole query, so it cannot close them early (and a trailing -- comment ends at its newline).
 */

const MARKER = 'exact_sync_value_too_large';
const BATCH_MARKER = 'exact_sync_batch_too_large';

/** How a result is bounded: the most one row may hold, and (cursor path) the most one FETCH may hold. */
export interface SizeLimits {
  maxRowBytes: number;
  /** Rows per FETCH, and the most they may hold together. */
  batch?: { rows: number; bytes: number };
}

function refuseAbove(size: string, max: number, marker: string): string {
  return `CASE WHEN ${size} <= ${Math.floor(max)} THEN true ELSE ('${marker} ' || ${size})::int > 0 END`;
}

/** `c1, …, cN`: positional names, so that duplicate or odd column names of the user's query do not matter. */
export function positionalNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `c${i + 1}`);
}

/**
 * `SELECT <select> FROM (<inner>) AS q(c1…cN) WHERE <row fits>`: the inner columns renamed c1…cN
 * (`columns` of them), so that duplicate or odd names of the user's query do not matter.
 */
function guardedRows(inner: string, select: string, maxRowBytes: number, columns: number): string {
  const alias = `q(${positionalNames(columns).join(', ')})`;
  // OFFSET 0 keeps PostgreSQL from pulling the user's query up into this one, which would compute its
  // expressions once for the check and again for the output (a 600 MB value three times over).
  return `SELECT ${select} FROM (SELECT * FROM (\n${inner}\n) AS u OFFSET 0) AS ${alias} WHERE ${refuseAbove('pg_column_size(q)', maxRowBytes, MARKER)}`;
}

/**
 * The cursor path's query: rows that fit, and no `batch.rows` consecutive rows together above
 * `batch.bytes` (a sliding window, so that whichever rows one FETCH takes, the driver never holds more
 * than that at once). Its columns are the user's, by position.
 */
export function guardedCursor(inner: string, columns: number, limits: Required<SizeLimits>): string {
  const names = positionalNames(columns);
  const rows = guardedRows(
    inner,
    `q.*, sum(pg_column_size(q)) OVER (ROWS BETWEEN ${limits.batch.rows - 1} PRECEDING AND CURRENT ROW) AS exact_sync_window`,
    limits.maxRowBytes,
    columns,
  );
  return `SELECT ${names.map((n) => `z.${n}`).join(', ')} FROM (${rows}) AS z WHERE ${refuseAbove('z.exact_sync_window', limits.batch.bytes, BATCH_MARKER)}`;
}

const MB = 1024 * 1024;
const size = (bytes: number) =>
  bytes >= MB ? `${(bytes / MB).toFixed(bytes >= 10 * MB ? 0 : 1)} MB` : `${Math.ceil(bytes / 1024)} KB`;

/**
 * The `value_too_large` error of the COPY path, where exact-sync counts a row's bytes as they arrive
 * (copyText.ts) instead of PostgreSQL checking each row (which cost it a fifth of its time).
 */
export function rowTooLarge(maxRowBytes: number): AppError {
  return new AppError(
    'value_too_large',
    `A row of the result is larger than the ${size(maxRowBytes)} one row may hold (QUERY_MAX_ROW_BYTES); the query was stopped. Leave the large value out, or cut it with left(…, n).`,
    { status: 413 },
  );
}

/** The `value_too_large` error for PostgreSQL's refusal by the guard, or undefined for any other error. */
export function tooLarge(err: unknown, limits: SizeLimits): AppError | undefined {
  const e = err as { code?: string; message?: string };
  if (e.code !== '22P02' || typeof e.message !== 'string') return undefined;
  const m = new RegExp(`"(${MARKER}|${BATCH_MARKER}) (\\d+)"`).exec(e.message);
  if (!m) return undefined;
  const bytes = Number(m[2]);
  if (m[1] === MARKER)
    return new AppError(
      'value_too_large',
      `A row of the result holds ${size(bytes)}, more than the ${size(limits.maxRowBytes)} one row may hold (QUERY_MAX_ROW_BYTES); the query was stopped. Leave the large value out, or cut it with left(…, n).`,
      { status: 413 },
    );
  const batch = limits.batch ?? { rows: 0, bytes: 0 };
  return new AppError(
    'value_too_large',
    `${batch.rows} consecutive rows of the result hold ${size(bytes)}, more than the ${size(batch.bytes)} a query with parameters may fetch at once (4 × QUERY_MAX_ROW_BYTES); the query was stopped. Leave large values out, or run it without parameters (then rows stream one at a time).`,
    { status: 413 },
  );
}
