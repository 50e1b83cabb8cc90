import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../server/db/migrate.ts';
import { ExactClient, Pacer } from '../../server/exact/client.ts';
import { TokenManager } from '../../server/exact/tokens.ts';
import { localToUtc } from '../../server/exact/values.ts';
import { createSecretBox } from '../../server/lib/crypto.ts';
import { TABLES } from '../../server/sync/catalog.ts';
import { syncDivision, type SyncContext } from '../../server/sync/engine.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { authorize } from '../helpers/sandbox.ts';

const SCHEMA = 'exact_online';
let db: TestDatabase;
let sb: RunningSandbox;
let ctx: SyncContext;
let client: ExactClient;

beforeAll(async () => {
  db = await createTestDatabase('sync_engine');
  await migrate(db.pool);
  sb = await startSandbox({ autoApprove: true, scale: 1500, divisions: 2, limits: false });
  const tokens = new TokenManager({ pool: db.pool, box: createSecretBox(randomBytes(32)), app: { clientId: 'sandbox-client', clientSecret: 'sandbox-secret' }, now: () => sb.sandbox.clock.now() });
  const { rows } = await db.pool.query<{ id: number }>(`INSERT INTO exact_sync.connections (country, base_url) VALUES ('nl', $1) RETURNING id`, [sb.url]);
  await tokens.store(db.pool, rows[0]!.id, await authorize(sb));
  client = new ExactClient({ baseUrl: sb.url, clientId: 'sandbox-client', tokens: tokens.source(rows[0]!.id), pacer: new Pacer() });
  ctx = { pool: db.pool, client, connectionId: rows[0]!.id, schema: SCHEMA, timeZone: 'Europe/Amsterdam' };
});
afterAll(async () => {
  await sb?.close();
  await db?.drop();
});

/** The sandbox's own rows of a table, as the warehouse should hold them (key, a few typed columns). */
function expected(division: number, entity: string): Map<string, Record<string, unknown>> {
  const t = sb.sandbox.table(division, entity);
  const out = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < t.end; i++) {
    const row = t.get(i);
    if (!row) continue;
    out.set(String(row[t.def.key]), row);
  }
  return out;
}

async function assertEqual(division: number): Promise<void> {
  for (const table of TABLES.filter((t) => t.name !== 'deleted')) {
    const want = expected(division, table.entity.name);
    const { rows } = await db.pool.query(`SELECT * FROM ${SCHEMA}.${table.name} WHERE division = $1`, [division]);
    expect(rows.length, `${table.name} rows`).toBe(want.size);
    for (const got of rows) {
      const src = want.get(String(got[table.key.name]));
      expect(src, `${table.name} ${got[table.key.name]}`).toBeDefined();
      for (const c of table.columns) {
        const v = src![c.field];
        const g = got[c.name];
        if (c.field === 'Url' || c.field === 'DocumentViewUrl') {
          // Derived by Exact from the key when answering, not stored with the row.
          expect(g, `${table.name}.${c.name}`).toContain(String(got[table.key.name]));
        } else if (v === null || v === undefined) {
          expect(g, `${table.name}.${c.name}`).toBeNull();
        } else if (c.type === 'timestamptz') {
          expect((g as Date).getTime(), `${table.name}.${c.name}`).toBe(localToUtc(v as number, 'Europe/Amsterdam'));
        } else if (c.type === 'numeric') {
          expect(Number(g), `${table.name}.${c.name}`).toBe(v);
        } else if (c.type === 'bigint') {
          expect(String(g), `${table.name}.${c.name}`).toBe(String(v));
        } else if (c.type === 'text') {
          expect(g, `${table.name}.${c.name}`).toBe(c.trim ? String(v).trim() : v);
        } else {
          expect(g, `${table.name}.${c.name}`).toEqual(v);
        }
      }
    }
  }
}

describe('sync engine', () => {
  it('copies every catalog table of every division into typed warehouse tables, value for value', async () => {
    for (const d of sb.sandbox.divisions) await syncDivision(ctx, d.code);
    for (const d of sb.sandbox.divisions) await assertEqual(d.code);
    const types = await db.pool.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'transactionlines' AND column_name IN ('id','amountdc','date','timestamp','description','status')`, [SCHEMA]);
    expect(Object.fromEntries(types.rows.map((r) => [r.column_name, r.data_type]))).toEqual({
      id: 'uuid', amountdc: 'numeric', date: 'timestamp with time zone', timestamp: 'bigint', description: 'text', status: 'integer',
    });
  });

  it('after changes and deletes in Exact, an incremental run makes the warehouse equal again', async () => {
    const division = sb.sandbox.divisions[0]!.code;
    const lines = sb.sandbox.table(division, 'TransactionLines');
    const ids: string[] = [];
    for (let i = 0; i < lines.end; i++) ids.push(String(lines.get(i)?.ID));
    for (let k = 0; k < Math.ceil(ids.length / 100); k++) sb.sandbox.update(division, 'TransactionLines', ids[k * 97 % ids.length]!, { Description: `Changed ${k}`, AmountDC: k + 0.5 });
    for (let k = 0; k < Math.ceil(ids.length / 200); k++) sb.sandbox.remove(division, 'TransactionLines', ids[(k * 89 + 7) % ids.length]!);
    const account = sb.sandbox.insert(division, 'Accounts', { Name: 'New customer', Code: '9000' });
    sb.sandbox.update(division, 'Journals', String(sb.sandbox.table(division, 'Journals').get(0)!.ID), { Description: 'Renamed journal' });

    const results = await syncDivision(ctx, division);
    await assertEqual(division);
    const byName = Object.fromEntries(results.map((r) => [r.table, r]));
    expect(byName.accounts!.inserted).toBe(1);
    expect(byName.deleted!.deleted).toBe(Math.ceil(ids.length / 200));
    expect((await db.pool.query(`SELECT name FROM ${SCHEMA}.accounts WHERE id = $1`, [account.ID])).rows).toEqual([{ name: 'New customer' }]);
  });

  it('costs one call per table per division when nothing changed', async () => {
    const division = sb.sandbox.divisions[1]!.code;
    const before = client.stats.calls;
    const results = await syncDivision(ctx, division);
    expect(client.stats.calls - before).toBe(TABLES.length);
    expect(results.every((r) => r.inserted === 0 && r.deleted === 0)).toBe(true);
  });
});
