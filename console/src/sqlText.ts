/**
 * What the SQL page decides about the text in its editor: the columns to offer where the cursor is,
 * where an error PostgreSQL placed is, and the history of what ran. Pure, so the rules have table tests.
 */

/** Column names of each warehouse table (GET /api/v1/tables), with their types. */
export type SqlSchema = Record<string, readonly { name: string; type: string }[]>;

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
// Words that end a FROM item: never an alias.
const KEYWORDS = [
  'where',
  'join',
  'left',
  'right',
  'inner',
  'outer',
  'full',
  'cross',
  'on',
  'using',
  'natural',
  'lateral',
  'group',
  'order',
  'limit',
  'offset',
  'fetch',
  'having',
  'window',
  'union',
  'except',
  'intersect',
  'for',
  'tablesample',
];
const NOT_KEYWORD = String.raw`(?!(?:${KEYWORDS.join('|')})\b)`;
// One FROM item: [schema.]table [[AS] alias].
const ITEM = String.raw`${NOT_KEYWORD}${NAME}(?:\s*\.\s*${NAME})?(?:\s+(?:as\s+)?${NOT_KEYWORD}${NAME})?`;
// FROM a, b / JOIN c.
const FROM_OR_JOIN = new RegExp(String.raw`\b(?:from|join)\s+(${ITEM}(?:\s*,\s*${ITEM})*)`, 'gi');
const TABLE_OF_ITEM = new RegExp(String.raw`^(${NAME})(?:\s*\.\s*(${NAME}))?`);

const PLAIN_NAME = /^[a-z_][a-z0-9_$]*$/;
// PostgreSQL's reserved key words (its manual, Appendix C, "reserved"), which a name cannot be unquoted.
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create ' +
    'current_catalog current_date current_role current_time current_timestamp current_user default deferrable desc ' +
    'distinct do else end except false fetch for foreign from grant group having in initially intersect into lateral ' +
    'leading limit localtime localtimestamp not null offset on only or order placing primary references returning ' +
    'select session_user some symmetric system_user table then to trailing true union unique user using variadic ' +
    'when where window with'
  ).split(' '),
);

/** A name as SQL needs it typed: plain lower-case names bare, any other (or a reserved word) in double quotes. */
export function sqlName(name: string): string {
  return PLAIN_NAME.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** A first query of a table, as the data browser shows it: its columns, its order, the first 1,000 rows. */
export function browseSql(
  table: string,
  columns: readonly string[] | undefined,
  order: { column: string; desc: boolean } | undefined,
): string {
  const cols = columns ? columns.map(sqlName).join(', ') : '*';
  const by = order ? `\nORDER BY ${sqlName(order.column)}${order.desc ? ' DESC' : ''}` : '';
  return `SELECT ${cols}\nFROM ${sqlName(table)}${by}\nLIMIT 1000`;
}

/** `"Odd ""name"""` → `Odd "name"`; `Plain` → `plain` (PostgreSQL folds unquoted names to lower case). */
export function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase();
}

/**
 * The tables a query reads (after FROM and JOIN, commas included, a schema prefix dropped) that the
 * warehouse has, in the order they appear, each once. A rough reading, for completion only: it never
 * decides what runs.
 */
export function tablesInScope(sql: string, schema: SqlSchema): string[] {
  const found: string[] = [];
  const text = withoutStringsAndComments(sql);
  for (const m of text.matchAll(FROM_OR_JOIN)) {
    for (const item of splitItems(m[1]!)) {
      const parts = TABLE_OF_ITEM.exec(item);
      if (!parts) continue;
      // schema.table: the table is the name after the dot.
      const table = unquote(parts[2] ?? parts[1]!);
      if (Object.hasOwn(schema, table) && !found.includes(table)) found.push(table);
    }
  }
  return found;
}

/** FROM items split at commas outside quoted names. */
function splitItems(list: string): string[] {
  return (list.match(new RegExp(String.raw`(?:${NAME}|[^,"])+`, 'g')) ?? []).map((i) => i.trim());
}

/** The columns to offer without a `table.` before them: those of the tables the query reads, each once by name. */
export function columnsInScope(sql: string, schema: SqlSchema): { name: string; type: string; table: string }[] {
  const seen = new Set<string>();
  const out: { name: string; type: string; table: string }[] = [];
  for (const table of tablesInScope(sql, schema))
    for (const c of schema[table]!) {
      if (seen.has(c.name)) continue;
      seen.add(c.name);
      out.push({ ...c, table });
    }
  return out;
}

/** The text with string literals and comments blanked (same length), so their words are not read as names. */
export function withoutStringsAndComments(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'?|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, (m) => m.replace(/[^\n]/g, ' '));
}

/**
 * The stretch of the editor's text to mark for PostgreSQL's `position` (1-based characters of the SQL as
 * sent, which the server trimmed): the word or symbol there, or the last character when PostgreSQL
 * points past the end ("at end of input"). Offsets are of `text`, the editor's whole content.
 */
export function errorRange(text: string, position: number): { from: number; to: number } | undefined {
  if (!Number.isInteger(position) || position < 1 || text.trim() === '') return undefined;
  const lead = text.length - text.trimStart().length;
  const end = text.trimEnd().length;
  // PostgreSQL counts characters (code points); JavaScript strings count UTF-16 units.
  const chars = Array.from(text.slice(lead, end));
  const at = Math.min(position, chars.length) - 1;
  const from = lead + chars.slice(0, at).join('').length;
  const rest = text.slice(from, end);
  const word = /^(?:[\p{L}\p{N}_$]+|"(?:[^"]|"")*"?|\S)/u.exec(rest)?.[0] ?? text.slice(from, from + 1);
  return { from, to: Math.max(from + word.length, from + 1) };
}

export interface HistoryEntry {
  sql: string;
  connection: number;
  at: string;
  /** Rows shown, or the error's code. */
  outcome: string;
}

/** The history with `entry` first; the same SQL on the same connection is kept once (its latest run); at most `keep`. */
export function addToHistory(history: readonly HistoryEntry[], entry: HistoryEntry, keep = 50): HistoryEntry[] {
  const same = (h: HistoryEntry) => h.sql.trim() === entry.sql.trim() && h.connection === entry.connection;
  return [entry, ...history.filter((h) => !same(h))].slice(0, keep);
}

/** A saved history read back: entries that are not what this page wrote are left out, never trusted. */
export function parseHistory(stored: string | null): HistoryEntry[] {
  if (!stored) return [];
  try {
    const parsed: unknown = JSON.parse(stored);
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (h): h is HistoryEntry =>
        typeof h === 'object' &&
        h !== null &&
        typeof h.sql === 'string' &&
        typeof h.connection === 'number' &&
        typeof h.at === 'string' &&
        typeof h.outcome === 'string',
    );
  } catch {
    return [];
  }
}

/** A view name proposed for a saved query's name: lower-case letters, digits and _, at most 63, not starting with a digit. */
export function viewNameFor(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const named = /^[0-9]/.test(slug) ? `q_${slug}` : slug || 'report';
  return named.slice(0, 63).replace(/_+$/, '');
}
