import { qualified, quoteIdent } from '../db/sql.ts';
import { AppError } from '../lib/errors.ts';

/**
 * GET /api/v1/tables/:name/rows as SQL: the columns asked for, filters, an order and keyset paging,
 * every name checked against the table's real columns and quoted, every value a parameter. A pure
 * function (table tests in test/query/rowsQuery.test.ts); the SQL then runs like any user query, under
 * the read-only role.
 */

export const OPERATORS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'like', 'ilike', 'in', 'null', 'notnull'] as const;
export type Operator = (typeof OPERATORS)[number];

export interface Filter {
  column: string;
  op: Operator;
  value?: string;
}

export interface RowsRequest {
  columns?: readonly string[];
  filters?: readonly Filter[];
  /** Order columns; a leading '-' sorts descending. Default: the primary key (or the first column). */
  order?: readonly string[];
  /** Keyset paging: the values of the order columns in the last row received. */
  after?: readonly (string | number | boolean | null)[];
  limit: number;
}

export interface TableShape {
  schema: string;
  name: string;
  columns: readonly string[];
  primaryKey: readonly string[];
}

const SQL_OP: Record<Exclude<Operator, 'in' | 'null' | 'notnull'>, string> = {
  eq: '=',
  ne: '<>',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
  like: 'LIKE',
  ilike: 'ILIKE',
};

/** `column:op:value` (value may hold colons), as the query string carries filters. */
export function parseFilter(text: string): Filter {
  const m = /^([^:]+):([a-z]+)(?::([\s\S]*))?$/.exec(text);
  if (!m || !(OPERATORS as readonly string[]).includes(m[2]!)) {
    throw new AppError(
      'invalid_filter',
      `A filter is column:op:value with op one of ${OPERATORS.join(', ')} (got ${JSON.stringify(text)}).`,
      { status: 400 },
    );
  }
  const op = m[2] as Operator;
  if (op !== 'null' && op !== 'notnull' && m[3] === undefined)
    throw new AppError('invalid_filter', `The filter ${JSON.stringify(text)} needs a value: column:${op}:value.`, {
      status: 400,
    });
  return { column: m[1]!, op, ...(m[3] !== undefined ? { value: m[3] } : {}) };
}

export function buildRowsQuery(
  table: TableShape,
  r: RowsRequest,
): { sql: string; params: (string | number | boolean | null)[] } {
  const known = new Set(table.columns);
  const check = (c: string, what: string) => {
    if (!known.has(c))
      throw new AppError(
        'unknown_column',
        `${table.name} has no column ${JSON.stringify(c)} (${what}); its columns: ${table.columns.join(', ')}.`,
        { status: 400 },
      );
    return quoteIdent(c);
  };
  const requested = (r.order?.length ? r.order : table.primaryKey.length ? table.primaryKey : [table.columns[0]!]).map(
    (o) => ({ column: o.replace(/^-/, ''), desc: o.startsWith('-') }),
  );
  for (const o of requested) check(o.column, 'order');
  // Ties are broken by the primary key: keyset paging on a column with repeated values would otherwise
  // skip the rest of a run of equal values at a page boundary.
  const order = [
    ...requested,
    ...table.primaryKey.filter((k) => !requested.some((o) => o.column === k)).map((k) => ({ column: k, desc: false })),
  ];
  const wanted = r.columns?.length ? [...r.columns] : [...table.columns];
  for (const c of wanted) check(c, 'columns');
  // The order columns are always in the result, so a client can page with their last values.
  for (const o of order) if (!wanted.includes(o.column)) wanted.push(o.column);

  const params: (string | number | boolean | null)[] = [];
  const param = (v: string | number | boolean | null) => {
    params.push(v);
    return `$${params.length}`;
  };
  const where: string[] = [];
  for (const f of r.filters ?? []) {
    const col = check(f.column, 'filter');
    if (f.op === 'null') where.push(`${col} IS NULL`);
    else if (f.op === 'notnull') where.push(`${col} IS NOT NULL`);
    // Compared as text parameters: PostgreSQL casts them to the column's type (and says so when it cannot).
    else if (f.op === 'in')
      where.push(
        `${col} = ANY (${param(
          `{${(f.value ?? '')
            .split(',')
            .map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`)
            .join(',')}}`,
        )})`,
      );
    else where.push(`${col} ${SQL_OP[f.op]} ${param(f.value ?? '')}`);
  }
  if (r.after) where.push(keysetCondition(order, r.after, param));
  return {
    sql:
      `SELECT ${wanted.map(quoteIdent).join(', ')} FROM ${qualified(table.schema, table.name)}` +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ` ORDER BY ${order.map((o) => `${quoteIdent(o.column)}${o.desc ? ' DESC' : ''}`).join(', ')} LIMIT ${Math.max(0, Math.floor(r.limit))}`,
    params,
  };
}

/**
 * Keyset paging: the rows after `after` (the last row's values of the order columns), column by column,
 * mixed directions allowed. NULLs sort as PostgreSQL sorts them by default: last going up, first going down.
 */
function keysetCondition(
  order: readonly { column: string; desc: boolean }[],
  after: readonly (string | number | boolean | null)[],
  param: (v: string | number | boolean | null) => string,
): string {
  if (after.length !== order.length) {
    throw new AppError(
      'invalid_after',
      `after takes the last row's values of the order columns (${order.map((o) => o.column).join(', ')}): ${order.length} value(s), got ${after.length}.`,
      { status: 400 },
    );
  }
  const ors: string[] = [];
  order.forEach((o, i) => {
    const col = quoteIdent(o.column);
    const v = after[i]!;
    // Nothing sorts after NULL going up; every value does going down.
    if (v === null && !o.desc) return;
    const equal = order
      .slice(0, i)
      .map((p, j) =>
        after[j] === null ? `${quoteIdent(p.column)} IS NULL` : `${quoteIdent(p.column)} = ${param(after[j]!)}`,
      );
    const beyond =
      v === null ? `${col} IS NOT NULL` : o.desc ? `${col} < ${param(v)}` : `(${col} > ${param(v)} OR ${col} IS NULL)`;
    ors.push(`(${[...equal, beyond].join(' AND ')})`);
  });
  return ors.length ? `(${ors.join(' OR ')})` : 'FALSE';
}
