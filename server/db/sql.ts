import { AppError } from '../lib/errors.ts';

/**
 * The one place where an identifier (schema, table, column, role or database name) becomes SQL text.
 * Every name that comes from data or settings goes through here; values always go in as parameters.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.length > 63 || name.includes('\0')) {
    throw new AppError('invalid_identifier', `Not a valid PostgreSQL name: ${JSON.stringify(name)}`, { status: 400 });
  }
  return `"${name.replace(/"/g, '""')}"`;
}

/** A schema-qualified name, each part quoted. */
export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/**
 * A string literal for the few statements that take no parameters (DDL: `ALTER … USING`). Quotes are
 * doubled (standard_conforming_strings, PostgreSQL's default since 9.1, leaves backslashes alone); NUL is refused.
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new AppError('invalid_literal', 'A SQL literal cannot hold NUL', { status: 400 });
  return `'${value.replace(/'/g, "''")}'`;
}
