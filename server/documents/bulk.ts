import type { ExactClient } from '../exact/client.ts';
import { messageOf } from '../lib/errors.ts';
import { upsertDocument, type DocumentFields } from './documents.ts';

/**
 * Many documents at once, from CSV (a header row of Exact field names) or JSON (an array of objects):
 * each row is upserted by a field (Subject by default), so running the same file again updates instead of
 * creating twice; a failing row is reported and the others go on.
 */

/** RFC 4180 CSV: quoted fields, "" inside quotes, CRLF or LF; the first row names the fields. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      field = '';
      if (row.some((f) => f !== '')) rows.push(row);
      row = [];
    } else field += c;
  }
  if (quoted) throw new Error('The CSV ends inside a quoted field.');
  row.push(field);
  if (row.some((f) => f !== '')) rows.push(row);
  const [header, ...data] = rows;
  if (!header) return [];
  return data.map((r, n) => {
    if (r.length !== header.length)
      throw new Error(`CSV row ${n + 2} has ${r.length} fields; the header has ${header.length}.`);
    return Object.fromEntries(header.map((h, i) => [h.trim(), r[i]!]));
  });
}

/** The rows of a CSV or JSON file as document fields (numbers where Exact wants them: Type). */
export function parseDocuments(text: string, format: 'csv' | 'json'): DocumentFields[] {
  const rows: Record<string, unknown>[] =
    format === 'json' ? (JSON.parse(text) as Record<string, unknown>[]) : parseCsv(text);
  if (!Array.isArray(rows)) throw new Error('A JSON file of documents is an array of objects.');
  return rows.map((r) => {
    const out: DocumentFields = {};
    for (const [k, v] of Object.entries(r))
      if (v !== '' && v !== undefined) out[k] = k === 'Type' || k === 'AmountFC' ? Number(v) : v;
    return out;
  });
}

export interface RowOutcome {
  row: number;
  status: 'created' | 'updated' | 'failed';
  id?: string;
  error?: string;
}

export async function upsertMany(
  client: ExactClient,
  division: number,
  rows: readonly DocumentFields[],
  by: string,
  onRow?: (o: RowOutcome, done: number) => void,
): Promise<RowOutcome[]> {
  const out: RowOutcome[] = [];
  for (let i = 0; i < rows.length; i++) {
    let o: RowOutcome;
    try {
      const r = await upsertDocument(client, division, rows[i]!, by);
      o = { row: i + 1, status: r.action, id: String(r.document.ID) };
    } catch (err) {
      o = { row: i + 1, status: 'failed', error: messageOf(err) };
    }
    out.push(o);
    onRow?.(o, i + 1);
  }
  return out;
}
