import { FilterError, parseFilter, type Expr } from './filter.ts';
import type { EntityDef, FieldDef, Row } from './model.ts';

/** Exact's error body (docs/exact-online.md 4.7). */
export function exactError(message: string): { error: { code: string; message: { lang: string; value: string } } } {
  return { error: { code: '', message: { lang: '', value: message } } };
}

export class ODataError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface QueryOptions {
  select: readonly FieldDef[];
  filter: Expr | undefined;
  top: number | undefined;
  skip: number | undefined;
  skiptoken: string | undefined;
  orderby: { field: FieldDef; desc: boolean }[];
  inlinecount: boolean;
  expand: string[];
}

/**
 * Reads the OData system query options. `fields` are those the endpoint serves (sync endpoints add
 * Timestamp). Unknown fields in $select/$filter/$orderby are a 400, as in Exact (docs/exact-online.md 4.4).
 */
export function parseQuery(
  params: URLSearchParams,
  def: EntityDef,
  fields: readonly FieldDef[],
  options: { selectRequired: boolean; typeName?: string },
): QueryOptions {
  const typeName = options.typeName ?? def.type;
  const byLower = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
  const fail = (message: string) => new ODataError(400, message);

  const selectText = params.get('$select');
  let select: readonly FieldDef[];
  if (selectText === null || selectText.trim() === '') {
    if (options.selectRequired) throw fail('Please add a $select or a $top=1 statement to the query string.');
    select = fields;
  } else if (selectText.trim() === '*') {
    select = fields;
  } else {
    select = selectText.split(',').map((name) => {
      const f = byLower.get(name.trim().toLowerCase());
      // Exact's words for a $select field its type lacks (issue reports quote them, docs/exact-online.md 13).
      if (!f) throw fail(`Type '${typeName}' does not have a property named '${name.trim()}'.`);
      return f;
    });
  }

  let filter: Expr | undefined;
  const filterText = params.get('$filter');
  if (filterText !== null && filterText.trim() !== '') {
    try {
      filter = parseFilter(filterText, byLower, typeName);
    } catch (err) {
      if (err instanceof FilterError) throw fail(err.message);
      throw err;
    }
  }

  const int = (name: string) => {
    const v = params.get(name);
    if (v === null || v === '') return undefined;
    if (!/^\d+$/.test(v)) throw fail(`Invalid value '${v}' for ${name}: expected a non-negative integer.`);
    return Number(v);
  };

  const orderby = (params.get('$orderby') ?? '')
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((part) => {
      const [name, dir] = part.trim().split(/\s+/);
      const field = byLower.get(name!.toLowerCase());
      if (!field) throw fail(`Property '${name}' does not exist on type '${typeName}'.`);
      if (dir !== undefined && !/^(asc|desc)$/i.test(dir))
        throw fail(`Error in query syntax: '${part.trim()}' in $orderby.`);
      return { field, desc: dir?.toLowerCase() === 'desc' };
    });

  const inline = params.get('$inlinecount');
  if (inline !== null && inline !== 'allpages' && inline !== 'none')
    throw fail(`Invalid value '${inline}' for $inlinecount.`);

  const expand = (params.get('$expand') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((name) => {
      const nav = Object.keys(def.children ?? {}).find((n) => n.toLowerCase() === name.toLowerCase());
      if (!nav) throw fail(`No navigation property '${name}' exists in type '${def.type}'.`);
      return nav;
    });

  return {
    select,
    filter,
    top: int('$top'),
    skip: int('$skip'),
    skiptoken: params.get('$skiptoken') ?? undefined,
    orderby,
    inlinecount: inline === 'allpages',
    expand,
  };
}

/** A stored value as Exact writes it in JSON (docs/exact-online.md 4.6). */
export function wireValue(f: FieldDef, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  switch (f.type) {
    case 'DateTime':
      return `/Date(${v as number})/`;
    case 'Int64':
      return String(v);
    case 'Binary':
      return null;
    default:
      return v;
  }
}

/** One row as JSON: `__metadata`, then the selected fields; navigation properties deferred unless expanded. */
export function wireRow(
  def: EntityDef,
  row: Row,
  select: readonly FieldDef[],
  uri: string,
  expanded?: ReadonlyMap<string, unknown[]>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { __metadata: { uri, type: def.type } };
  for (const f of select) {
    if (f.nav) {
      const children = expanded?.get(f.name);
      out[f.name] = children ? { results: children } : { __deferred: { uri: `${uri}/${f.name}` } };
    } else {
      out[f.name] = wireValue(f, row[f.name]);
    }
  }
  return out;
}

/**
 * The same row as JSON text, written directly: pages of a thousand rows of seventy fields are the
 * sandbox's hot path, and building the text is several times cheaper than objects plus JSON.stringify.
 * Only for rows without expanded children.
 */
export function wireRowJson(def: EntityDef, row: Row, select: readonly FieldDef[], uri: string): string {
  return serializerFor(def, select)(row, uri);
}

type Serializer = (row: Row, uri: string) => string;
const serializers = new WeakMap<readonly FieldDef[], Serializer>();

const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/;
/** Escaped forms of strings seen before: descriptions, codes and names repeat on every page. */
const quoted = new Map<string, string>();

/** JSON text of a value that may need escaping. */
function str(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v !== 'string') return JSON.stringify(v);
  let q = quoted.get(v);
  if (q === undefined) {
    q = NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
    if (quoted.size < 20_000 && v.length <= 64) quoted.set(v, q);
  }
  return q;
}

/**
 * A serializer compiled for one field list: one expression with every key written out and the
 * conversion of each Edm type chosen in advance. Field names come from the entity metadata (never from
 * the request: $select names are matched against it first) and are embedded as JSON string literals.
 */
function serializerFor(def: EntityDef, select: readonly FieldDef[]): Serializer {
  let fn = serializers.get(select);
  if (fn) return fn;
  const parts = select.map((f) => {
    const key = JSON.stringify(`,${JSON.stringify(f.name)}:`);
    const get = `r[${JSON.stringify(f.name)}]`;
    if (f.nav) return `${key} + '{"__deferred":{"uri":' + JSON.stringify(uri + ${JSON.stringify(`/${f.name}`)}) + '}}'`;
    switch (f.type) {
      case 'DateTime':
        return `${key} + (${get} == null ? 'null' : '"/Date(' + ${get} + ')/"')`;
      case 'Int64':
        return `${key} + (${get} == null ? 'null' : '"' + ${get} + '"')`;
      case 'Binary':
        return `${key} + 'null'`;
      // A GUID never needs escaping (it was checked on the way in).
      case 'Guid':
        return `${key} + (${get} == null ? 'null' : '"' + ${get} + '"')`;
      default:
        return `${key} + str(${get})`;
    }
  });
  const head = JSON.stringify(`,"type":${JSON.stringify(def.type)}}`);
  const body = `return '{"__metadata":{"uri":' + JSON.stringify(uri) + ${head} + ${parts.length ? parts.join(' + ') : "''"} + '}';`;
  // eslint-disable-next-line no-new-func -- compiled once per field list from metadata names (see above): the sandbox's page rendering is the benchmarks' hot path
  fn = new Function('str', `return function (r, uri) { ${body} };`)(str) as Serializer;
  serializers.set(select, fn);
  return fn;
}

/** `guid'…'` for GUID keys, the bare number otherwise: how Exact writes a key in a URI. */
export function keyLiteral(def: EntityDef, key: unknown): string {
  return def.keyType === 'Guid' ? `guid'${String(key)}'` : String(key);
}
