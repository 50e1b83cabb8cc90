import { csvField } from '../lib/csv.ts';

/**
 * Rows as PostgreSQL reads them with `COPY … FROM STDIN (FORMAT csv)`: the only way rows reach the
 * warehouse. NULL is an unquoted empty field; an empty string is `""`; text is quoted only when it holds
 * a delimiter, a quote or a line break (PostgreSQL keeps unquoted spaces as they are).
 */

export type Value = string | number | boolean | null;

/** Rows encoded as CSV lines (each ending in `\n`), in one or more chunks, and how many rows they hold. */
export interface CsvRows {
  chunks: (string | Buffer)[];
  count: number;
  /** The pooled buffers the chunks are written in, to hand back once PostgreSQL has the rows. */
  pooled?: Buffer[];
}

/** A text field (server/lib/csv.ts has the rule). */
export const csvText: (s: string) => string = csvField;

/** Any warehouse value as a field. */
export function csvValue(v: Value): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  return csvText(v);
}

/** Rows of values (each in the table's column order) as CSV. */
export function csvRows(rows: readonly (readonly Value[])[]): CsvRows {
  if (rows.length === 0) return { chunks: [], count: 0 };
  const lines = rows.map((r) => r.map(csvValue).join(','));
  return { chunks: [`${lines.join('\n')}\n`], count: rows.length };
}

/** Several batches of rows as one. */
export function concatCsv(parts: readonly CsvRows[]): CsvRows {
  if (parts.length === 1) return parts[0]!;
  return {
    chunks: parts.flatMap((p) => p.chunks),
    count: parts.reduce((n, p) => n + p.count, 0),
    pooled: parts.flatMap((p) => p.pooled ?? []),
  };
}

/**
 * Buffers CSV lines are written into, reused once PostgreSQL has taken the rows. A sync holds its pages
 * ahead in the same few megabytes however many rows pass through, where a string a page would leave V8
 * megabytes of garbage a second that it collects only in full collections (BENCHMARKS.md, sync-full).
 */
export class CsvBuffers {
  readonly #free: Buffer[] = [];
  readonly chunkBytes: number;

  constructor(chunkBytes = 256 * 1024) {
    this.chunkBytes = chunkBytes;
  }

  /** Lines written one by one into pooled buffers. */
  writer(): CsvWriter {
    return new CsvWriter(this);
  }

  take(): Buffer {
    return this.#free.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes);
  }

  /** Hands the buffers of rows PostgreSQL has taken back for reuse (never while a COPY may still read them). */
  release(rows: CsvRows): void {
    if (rows.pooled) this.#free.push(...rows.pooled);
    rows.pooled = [];
    rows.chunks = [];
  }
}

export class CsvWriter {
  readonly #pool: CsvBuffers;
  readonly #chunks: (string | Buffer)[] = [];
  readonly #pooled: Buffer[] = [];
  #buffer: Buffer | undefined;
  #offset = 0;
  #count = 0;

  constructor(pool: CsvBuffers) {
    this.#pool = pool;
  }

  /** One row's line, without its line end. */
  line(text: string): void {
    this.#count++;
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    const worst = text.length * 3 + 1;
    if (worst > this.#pool.chunkBytes) {
      this.#flush();
      this.#chunks.push(`${text}\n`);
      return;
    }
    if (!this.#buffer || this.#offset + worst > this.#buffer.length) {
      this.#flush();
      this.#buffer = this.#pool.take();
      this.#pooled.push(this.#buffer);
    }
    this.#offset += this.#buffer.write(text, this.#offset);
    this.#buffer[this.#offset++] = 10;
  }

  done(): CsvRows {
    this.#flush();
    return { chunks: this.#chunks, count: this.#count, pooled: this.#pooled };
  }

  #flush(): void {
    if (this.#buffer && this.#offset > 0) this.#chunks.push(this.#buffer.subarray(0, this.#offset));
    this.#buffer = undefined;
    this.#offset = 0;
  }
}
