import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITY_TYPES } from '../../server/catalog/entityTypes.ts';
import pg from 'pg';
import { TABLE_BY_NAME, tableForDeletedType } from '../../server/catalog/tables.ts';
import { ensureTable } from '../../server/warehouse/tables.ts';
import type { TestDatabase } from '../helpers/database.ts';
import { syncedDivision, type SyncedDivision } from '../helpers/syncSetup.ts';

/**
 * The delete script users bring from a peer's seed (issue 16, item 9), run as they run it: rows of
 * `deleted` joined to `entitytype`, newer than a saved `_sdc_batched_at`, then per row
 * DELETE FROM <schema>.<lower(name)> WHERE id = '<entitykey>' AND division = <division>.
 */
async function runSeedScript(db: TestDatabase, schema: string, since: Date): Promise<string[]> {
  const { rows } = await db.pool.query<{ entitykey: string; division: number; name: string }>(
    `SELECT d.entitykey, d.division, e.name, d._sdc_batched_at FROM ${schema}.deleted d
     JOIN ${schema}.entitytype e ON d.entitytype = e.number WHERE d._sdc_batched_at > $1`,
    [since],
  );
  const statements: string[] = [];
  for (const r of rows) {
    const sql = `DELETE FROM ${schema}.${r.name.toLowerCase()} WHERE id = '${r.entitykey}' AND division = ${r.division}`;
    statements.push(sql);
    await db.pool.query(sql);
  }
  return statements;
}

describe("a peer's delete script against exact-sync's warehouse", () => {
  let synced: SyncedDivision;
  let db: TestDatabase;
  let division: number;
  beforeAll(async () => {
    synced = await syncedDivision('delete_script', 300);
    ({ db, division } = synced);
  });
  afterAll(async () => {
    await synced?.close();
  });

  it('lists in entitytype only the types whose rows the warehouse holds, each named as a relation with id and division', async () => {
    const { rows } = await db.pool.query<{ number: number; name: string; table_name: string }>(
      'SELECT number, name, table_name FROM exact_online.entitytype ORDER BY number',
    );
    const expected = ENTITY_TYPES.filter(([n]) => tableForDeletedType(n)).map(([n, name]) => ({
      number: n,
      name,
      table_name: tableForDeletedType(n)!.name,
    }));
    expect(rows).toEqual(expected);
    // Every type but the few with no table yet (11 legacy Quotations, 30 ItemAccounts, 31 DiscountTables, 53).
    expect(rows.length).toBeGreaterThanOrEqual(45);
    for (const n of [1, 2, 4, 10, 12, 13, 32, 33, 42, 48, 55]) expect(rows.map((r) => r.number)).toContain(n);
    for (const r of rows) {
      const { rows: cols } = await db.pool.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'exact_online' AND table_name = $1 AND column_name IN ('id', 'division') ORDER BY 1`,
        [r.name.toLowerCase()],
      );
      expect(
        cols.map((c) => c.column_name),
        r.name,
      ).toEqual(['division', 'id']);
    }
  });

  it('runs every statement it produces, one deleted row per entity type, and deletes what they name', async () => {
    const saved = new Date(Date.now() - 60_000);
    const { rows: types } = await db.pool.query<{ number: number; name: string }>(
      'SELECT number, name FROM exact_online.entitytype ORDER BY number',
    );
    // A row of the relation each statement will name (a different one per type), or a key nothing has.
    const victims: { relation: string; id: string }[] = [];
    for (const t of types) {
      const relation = t.name.toLowerCase();
      const { rows } = await db.pool.query<{ id: string }>(
        `SELECT id FROM exact_online.${relation} WHERE division = $1 ORDER BY id OFFSET $2 LIMIT 1`,
        [division, victims.filter((v) => v.relation === relation).length],
      );
      const id = rows[0]?.id ?? randomUUID();
      if (rows[0]) victims.push({ relation, id });
      await db.pool.query(
        `INSERT INTO exact_online.deleted (division, id, entitykey, entitytype, timestamp, _sdc_extracted_at) VALUES ($1, $2, $3, $4, 1, now())`,
        [division, randomUUID(), id, t.number],
      );
    }
    // A type exact-sync has no table for: not in entitytype, so the script never names it.
    await db.pool.query(
      `INSERT INTO exact_online.deleted (division, id, entitykey, entitytype, timestamp, _sdc_extracted_at) VALUES ($1, $2, $3, 31, 1, now())`,
      [division, randomUUID(), randomUUID()],
    );

    const statements = await runSeedScript(db, 'exact_online', saved);
    expect(statements).toHaveLength(types.length);
    expect(statements.some((s) => s.includes('exact_online.attachments '))).toBe(true);
    expect(statements.some((s) => s.includes('exact_online.salesorderheaders '))).toBe(true);
    expect(victims.length).toBeGreaterThanOrEqual(10);
    for (const v of victims) {
      const { rows } = await db.pool.query(`SELECT 1 FROM exact_online.${v.relation} WHERE id = $1`, [v.id]);
      expect(rows, `${v.relation} ${v.id}`).toEqual([]);
    }
  });

  it('turns the salesorderheaders view an earlier version made into the table the Sync API fills', async () => {
    // As an earlier version left it: a view under the entity type's name over the legacy sales orders.
    await db.pool.query(`CREATE SCHEMA older`);
    await db.pool.query(
      `CREATE TABLE older.salesorders (division integer NOT NULL, orderid uuid NOT NULL, id uuid, PRIMARY KEY (division, orderid))`,
    );
    await db.pool.query(`CREATE VIEW older.salesorderheaders AS SELECT * FROM older.salesorders`);
    const fresh = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      await ensureTable(fresh, 'older', TABLE_BY_NAME.get('salesorderheaders')!);
    } finally {
      await fresh.end();
    }
    const { rows } = await db.pool.query<{ relkind: string }>(
      `SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'older' AND c.relname = 'salesorderheaders'`,
    );
    expect(rows).toEqual([{ relkind: 'r' }]);
    // The legacy table is untouched.
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM older.salesorders`)).rows[0]).toEqual({ n: 0 });
  });
});
