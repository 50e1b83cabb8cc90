import type pg from 'pg';
import type { CatalogTable } from '../catalog/tables.ts';
import { qualified, quoteIdent } from '../db/sql.ts';

/**
 * What a division move changes in the warehouse. When Exact moves a division it regenerates every
 * Timestamp (docs/exact-online.md, Sync API): the stored ones mean nothing any more and are cleared, and
 * the division is read whole again.
 */

/** Each division's DivisionMoveDate as the warehouse's `divisions` table has it (ms, null when none). */
export async function divisionMoveDates(
  db: pg.Pool | pg.ClientBase,
  schema: string,
  divisions: CatalogTable,
): Promise<Map<number, number | null>> {
  const { rows } = await db.query<{ division: number; divisionmovedate: Date | null }>(
    `SELECT division, divisionmovedate FROM ${qualified(schema, divisions.name)}`,
  );
  return new Map(rows.map((k) => [k.division, k.divisionmovedate?.getTime() ?? null]));
}

/** Clears the stored Timestamps of one division in every table that keeps them. */
export async function clearTimestamps(
  db: pg.ClientBase,
  schema: string,
  tables: readonly CatalogTable[],
  division: number,
): Promise<void> {
  for (const t of tables) {
    if (t.timestamp)
      await db.query(
        `UPDATE ${qualified(schema, t.name)} SET ${quoteIdent(t.timestamp.name)} = NULL WHERE division = $1`,
        [division],
      );
  }
}
