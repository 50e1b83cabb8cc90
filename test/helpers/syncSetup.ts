import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { expect } from 'vitest';
import { migrate } from '../../server/db/migrate.ts';
import type { ExactClient } from '../../server/exact/client.ts';
import { localToUtc } from '../../server/exact/values.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { ALL_TABLES, TABLES } from '../../server/catalog/tables.ts';
import { syncDivision, type SyncContext } from '../../server/sync/engine.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { SCHEMA, syncContextFor } from './syncContext.ts';
import { authorize } from './sandbox.ts';

export { APP, SCHEMA } from './syncContext.ts';

export interface SyncSetup {
  ctx: SyncContext;
  client: ExactClient;
  connectionId: number;
  secretKeyHex: string;
}

/** A migrated database with one connection to `sb`, and a sync context for it. */
export async function setUpSync(db: TestDatabase, sb: RunningSandbox): Promise<SyncSetup> {
  await migrate(db.pool);
  const secretKeyHex = randomBytes(32).toString('hex');
  const { rows } = await db.pool.query<{ id: number }>(
    `INSERT INTO exact_sync.connections (country, base_url) VALUES ('nl', $1) RETURNING id`,
    [sb.url],
  );
  const connectionId = rows[0]!.id;
  const { ctx, client, tokens } = syncContextFor(db.pool, sb.url, connectionId, secretKeyHex, () =>
    sb.sandbox.clock.now(),
  );
  await tokens.saveTokens(db.pool, connectionId, await authorize(sb));
  return { ctx, client, connectionId, secretKeyHex };
}

const defaultTables = new Set(
  TABLES.filter((t) => t.byDefault).flatMap((t) => [t.name, ...(t.children ? [t.children.table.name] : [])]),
);

/** Every default catalog table (or those named) of `division` holds exactly the sandbox's rows, value for value. */
export async function assertWarehouseEqualsSandbox(
  pool: pg.Pool,
  sb: RunningSandbox,
  division: number,
  // The tables a connection syncs unless told otherwise (the finance core, lines included).
  tables: readonly string[] = ALL_TABLES.filter((t) => defaultTables.has(t.name)).map((t) => t.name),
): Promise<void> {
  for (const table of ALL_TABLES.filter((t) => t.name !== 'deleted' && tables.includes(t.name))) {
    const source = sb.sandbox.table(division, table.entity.name);
    const want = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < source.end; i++) {
      const row = source.get(i);
      if (row) want.set(String(row[source.def.key]), row);
    }
    const { rows } = await pool.query(`SELECT * FROM ${SCHEMA}.${table.name} WHERE division = $1`, [division]);
    expect(rows.length, `${table.name} rows`).toBe(want.size);
    for (const got of rows) {
      const src = want.get(String(got[table.key.name]));
      expect(src, `${table.name} ${got[table.key.name]}`).toBeDefined();
      for (const c of table.columns) {
        const v = src![c.field];
        const g = got[c.name];
        const label = `${table.name}.${c.name}`;
        if (table.lacks.includes(c)) {
          // The endpoint read does not serve the field (Exact's reference): the column is there, empty.
          expect(g, label).toBeNull();
        } else if (c.field === 'Url' || c.field === 'DocumentViewUrl') {
          // Derived by Exact from the key when answering, not stored with the row.
          expect(g, label).toContain(String(got[table.key.name]));
        } else if (v === null || v === undefined) {
          expect(g, label).toBeNull();
        } else if (c.type === 'date') {
          // node-postgres reads a date as local midnight of that day; Exact's value is that day's midnight as UTC ms.
          const day = g as Date;
          const text = `${String(day.getFullYear()).padStart(4, '0')}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
          expect(text, label).toBe(new Date(v as number).toISOString().slice(0, 10));
        } else if (c.type === 'timestamptz') {
          expect((g as Date).getTime(), label).toBe(localToUtc(v as number, 'Europe/Amsterdam'));
        } else if (c.type === 'numeric') {
          expect(Number(g), label).toBe(v);
        } else if (c.type === 'bigint') {
          expect(String(g), label).toBe(String(v));
        } else if (c.type === 'text') {
          expect(g, label).toBe(c.trim ? String(v).trim() : v);
        } else {
          expect(g, label).toEqual(v);
        }
      }
    }
  }
}

/** A one-division sandbox of `scale` lines, synced whole (every catalog table) into a fresh database, for tests that read the result. */
export interface SyncedDivision {
  db: TestDatabase;
  sb: RunningSandbox;
  division: number;
  close(): Promise<void>;
}

export async function syncedDivision(label: string, scale: number): Promise<SyncedDivision> {
  const db = await createTestDatabase(label);
  const sb = await startSandbox({ autoApprove: true, scale, divisions: 1, limits: false });
  const { ctx } = await setUpSync(db, sb);
  const division = sb.sandbox.divisions[0]!.code;
  await syncDivision(ctx, division);
  return {
    db,
    sb,
    division,
    async close() {
      await sb.close();
      await db.drop();
    },
  };
}
