import { compareSqlGuid, GUID_RE } from './ids.ts';
import type { FieldDef } from './model.ts';

/**
 * OData v2 `$filter` as Exact accepts it (docs/exact-online.md 4.5): comparisons `eq ne gt ge lt le`, `and`, `or`,
 * `not`, parentheses, literals `guid'…'`, `datetime'…'`, `'text'` (with '' for a quote), numbers with an
 * optional `L`/`M`/`D` suffix, `true`, `false`, `null`, and the functions Exact users rely on: `trim`,
 * `tolower`, `toupper`, `substringof`, `startswith`, `endswith`. Field names are checked against the
 * entity; an unknown one is a 400, as in Exact.
 */

export type Value = string | number | boolean | null;

export type Expr =
  | { kind: 'literal'; value: Value; type: 'string' | 'number' | 'guid' | 'datetime' | 'boolean' | 'null' }
  | { kind: 'field'; field: FieldDef }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'not'; expr: Expr }
  | { kind: 'binary'; op: 'and' | 'or' | 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le'; left: Expr; right: Expr };

export class FilterError extends Error {}

type Token = { t: 'id' | 'str' | 'num' | 'typed' | 'punct'; v: string; prefix?: string; pos: number };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ t: 'punct', v: c, pos: i });
      i++;
      continue;
    }
    if (c === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ t: 'str', v: value, pos: i });
      i = end;
      continue;
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?[LlMmDdFf]?/.exec(text.slice(i));
    if (num && (c === '-' || /\d/.test(c))) {
      tokens.push({ t: 'num', v: num[0], pos: i });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_./]*/.exec(text.slice(i));
    if (id) {
      const after = i + id[0].length;
      if (text[after] === "'" && /^(guid|datetime|datetimeoffset|time|X|binary)$/i.test(id[0])) {
        const { value, end } = readString(text, after);
        tokens.push({ t: 'typed', v: value, prefix: id[0].toLowerCase(), pos: i });
        i = end;
      } else {
        tokens.push({ t: 'id', v: id[0], pos: i });
        i = after;
      }
      continue;
    }
    throw new FilterError(`Error in query syntax at position ${i}.`);
  }
  return tokens;
}

function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  for (;;) {
    if (i >= text.length) throw new FilterError(`Error in query syntax: unterminated string at position ${start}.`);
    if (text[i] === "'") {
      if (text[i + 1] === "'") {
        value += "'";
        i += 2;
        continue;
      }
      return { value, end: i + 1 };
    }
    value += text[i];
    i++;
  }
}

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCTIONS: Record<string, number> = {
  trim: 1,
  tolower: 1,
  toupper: 1,
  substringof: 2,
  startswith: 2,
  endswith: 2,
  length: 1,
};

/** A string, number, GUID or date literal token as an expression. */
function literal(t: Token): Expr {
  if (t.t === 'str') return { kind: 'literal', value: t.v, type: 'string' };
  if (t.t === 'num') {
    const n = Number(t.v.replace(/[LlMmDdFf]$/, ''));
    if (!Number.isFinite(n)) throw new FilterError(`Error in query syntax: bad number ${t.v}.`);
    return { kind: 'literal', value: n, type: 'number' };
  }
  if (t.t === 'typed') {
    if (t.prefix === 'guid') {
      if (!GUID_RE.test(t.v))
        throw new FilterError(`Unrecognized 'Edm.Guid' literal 'guid'${t.v}'' at position ${t.pos}.`);
      return { kind: 'literal', value: t.v.toLowerCase(), type: 'guid' };
    }
    if (t.prefix === 'datetime' || t.prefix === 'datetimeoffset') {
      const ms = parseDateLiteral(t.v);
      if (ms === undefined)
        throw new FilterError(`Unrecognized 'Edm.DateTime' literal 'datetime'${t.v}'' at position ${t.pos}.`);
      return { kind: 'literal', value: ms, type: 'datetime' };
    }
    throw new FilterError(`Literals of type ${t.prefix} are not supported by this sandbox.`);
  }
  throw new FilterError(`Error in query syntax at position ${t.pos}.`);
}

/** Parses `text` against an entity's fields (looked up case-insensitively, as Exact does). */
export function parseFilter(text: string, fields: ReadonlyMap<string, FieldDef>, typeName: string): Expr {
  const tokens = tokenize(text);
  let p = 0;
  const peek = () => tokens[p];
  const isWord = (w: string) => peek()?.t === 'id' && peek()!.v.toLowerCase() === w;
  const expect = (v: string) => {
    const t = tokens[p];
    if (!t || t.v !== v)
      throw new FilterError(`Error in query syntax: expected '${v}' at position ${t?.pos ?? text.length}.`);
    p++;
  };

  const primary = (): Expr => {
    const t = tokens[p];
    if (!t) throw new FilterError('Error in query syntax: the filter ends too early.');
    if (t.v === '(' && t.t === 'punct') {
      p++;
      const e = or();
      expect(')');
      return e;
    }
    p++;
    if (t.t !== 'id') return literal(t);
    {
      const word = t.v.toLowerCase();
      if (word === 'true' || word === 'false') return { kind: 'literal', value: word === 'true', type: 'boolean' };
      if (word === 'null') return { kind: 'literal', value: null, type: 'null' };
      if (peek()?.v === '(' && word in FUNCTIONS) {
        p++;
        const args: Expr[] = [or()];
        while (peek()?.v === ',') {
          p++;
          args.push(or());
        }
        expect(')');
        if (args.length !== FUNCTIONS[word])
          throw new FilterError(`Function ${word} takes ${FUNCTIONS[word]} argument(s).`);
        return { kind: 'call', name: word, args };
      }
      const field = fields.get(word);
      if (!field || field.nav)
        throw new FilterError(`Property '${t.v}' does not exist on type '${typeName}' (position ${t.pos}).`);
      return { kind: 'field', field };
    }
  };
  const comparison = (): Expr => {
    if (isWord('not')) {
      p++;
      return { kind: 'not', expr: comparison() };
    }
    const left = primary();
    const t = peek();
    if (t?.t === 'id' && COMPARISONS.has(t.v.toLowerCase())) {
      p++;
      return { kind: 'binary', op: t.v.toLowerCase() as 'eq', left, right: primary() };
    }
    return left;
  };
  const and = (): Expr => {
    let e = comparison();
    while (isWord('and')) {
      p++;
      e = { kind: 'binary', op: 'and', left: e, right: comparison() };
    }
    return e;
  };
  const or = (): Expr => {
    let e = and();
    while (isWord('or')) {
      p++;
      e = { kind: 'binary', op: 'or', left: e, right: and() };
    }
    return e;
  };

  const expr = or();
  if (p < tokens.length) throw new FilterError(`Error in query syntax at position ${tokens[p]!.pos}.`);
  return expr;
}

/** `2024-01-01`, `2024-01-01T10:00`, `2024-01-01T10:00:00(.fff)`: Exact-local wall clock, as ms "as if UTC". */
export function parseDateLiteral(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?)?Z?$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.UTC(
    +m[1]!,
    +m[2]! - 1,
    +m[3]!,
    +(m[4] ?? 0),
    +(m[5] ?? 0),
    +(m[6] ?? 0),
    Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3)),
  );
  return Number.isNaN(ms) ? undefined : ms;
}

function evaluate(e: Expr, row: Record<string, unknown>): Value {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'field': {
      const v = row[e.field.name];
      return v === undefined ? null : (v as Value);
    }
    case 'not':
      return !truthy(evaluate(e.expr, row));
    case 'call': {
      const a = e.args.map((x) => evaluate(x, row));
      const s = (v: Value) => (v === null ? null : String(v));
      switch (e.name) {
        case 'trim':
          return s(a[0]!)?.trim() ?? null;
        case 'tolower':
          return s(a[0]!)?.toLowerCase() ?? null;
        case 'toupper':
          return s(a[0]!)?.toUpperCase() ?? null;
        case 'length':
          return s(a[0]!)?.length ?? null;
        case 'substringof':
          return a[1] !== null && a[0] !== null && String(a[1]).toLowerCase().includes(String(a[0]).toLowerCase());
        case 'startswith':
          return a[0] !== null && a[1] !== null && String(a[0]).startsWith(String(a[1]));
        case 'endswith':
          return a[0] !== null && a[1] !== null && String(a[0]).endsWith(String(a[1]));
      }
      return null;
    }
    case 'binary': {
      if (e.op === 'and') return truthy(evaluate(e.left, row)) && truthy(evaluate(e.right, row));
      if (e.op === 'or') return truthy(evaluate(e.left, row)) || truthy(evaluate(e.right, row));
      const guid = isGuid(e.left) || isGuid(e.right);
      const c = compare(evaluate(e.left, row), evaluate(e.right, row), guid);
      if (c === undefined) return e.op === 'ne';
      switch (e.op) {
        case 'eq':
          return c === 0;
        case 'ne':
          return c !== 0;
        case 'gt':
          return c > 0;
        case 'ge':
          return c >= 0;
        case 'lt':
          return c < 0;
        case 'le':
          return c <= 0;
      }
    }
  }
}

const isGuid = (e: Expr) =>
  (e.kind === 'field' && e.field.type === 'Guid') || (e.kind === 'literal' && e.type === 'guid');
const truthy = (v: Value) => v === true;

/** SQL semantics: anything compared with null is unknown, except null eq null. */
function compare(a: Value, b: Value, guid: boolean): number | undefined {
  if (a === null || b === null) return a === b ? 0 : undefined;
  if (guid) return compareSqlGuid(String(a), String(b));
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b ? 0 : undefined;
  const x = String(a);
  const y = String(b);
  // SQL Server's default collation compares text case-insensitively and ignores trailing spaces.
  const p = x.replace(/ +$/, '').toLowerCase();
  const q = y.replace(/ +$/, '').toLowerCase();
  return p === q ? 0 : p < q ? -1 : 1;
}

export function matches(e: Expr | undefined, row: Record<string, unknown>): boolean {
  return e === undefined || truthy(evaluate(e, row));
}

/**
 * The lowest Timestamp a row can have and still match: the bound of `Timestamp gt N` / `ge N` that the
 * whole filter requires (found through `and`s), or 0. Lets sync queries start where they mean to.
 */
export function timestampLowerBound(e: Expr | undefined): number {
  if (!e || e.kind !== 'binary') return 0;
  if (e.op === 'and') return Math.max(timestampLowerBound(e.left), timestampLowerBound(e.right));
  if (
    (e.op === 'gt' || e.op === 'ge') &&
    e.left.kind === 'field' &&
    e.left.field.name === 'Timestamp' &&
    e.right.kind === 'literal' &&
    typeof e.right.value === 'number'
  ) {
    return e.op === 'gt' ? e.right.value + 1 : e.right.value;
  }
  return 0;
}
