/**
 * The one CSV field rule, as PostgreSQL's COPY … (FORMAT csv) reads and writes it and as psql's `\copy`
 * writes it: NULL is an unquoted empty field, an empty string is `""`, and text is quoted only when it
 * holds a delimiter, a quote or a line break (quotes inside doubled). Unquoted spaces stay as they are.
 * Used for the rows the sync COPYs into the warehouse and for the CSV the query API sends.
 */

const NEEDS_QUOTES = /[",\n\r]/;

export function csvField(s: string | null): string {
  if (s === null) return '';
  if (s === '') return '""';
  if (!NEEDS_QUOTES.test(s)) return s;
  return `"${s.includes('"') ? s.replace(/"/g, '""') : s}"`;
}
