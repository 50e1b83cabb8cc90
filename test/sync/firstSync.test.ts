import { connectionTokenStore } from '../../server/state/tokens.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExactClient, Pacer } from '../../server/exact/client.ts';
import { TokenManager } from '../../server/exact/tokens.ts';
import { createSecretBox } from '../../server/lib/crypto.ts';
import { syncTable, type SyncContext } from '../../server/sync/engine.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { APP, assertWarehouseEqualsSandbox, SCHEMA, setUpSync } from '../helpers/syncSetup.ts';

/**
 * A division's first sync COPYs rows straight into the table (load.ts insertOrMerge). Rows changed in
 * Exact while it reads come again on a later page with a newer Timestamp: that batch's COPY meets their
 * keys, falls back to a merge, and the warehouse still ends equal to Exact.
 */

let db: TestDatabase;
let sb: RunningSandbox;
let ctx: SyncContext;
let changeAfterFirstPage: () => void = () => undefined;

beforeAll(async () => {
  db = await createTestDatabase('first_sync');
  sb = await startSandbox({ autoApprove: true, scale: 3500, divisions: 1, limits: false });
  const setup = await setUpSync(db, sb);
  const tokens = new TokenManager({
    store: connectionTokenStore,
    pool: db.pool,
    box: createSecretBox(Buffer.from(setup.secretKeyHex, 'hex')),
    app: APP,
    now: () => sb.sandbox.clock.now(),
  });
  let linePages = 0;
  const client = new ExactClient({
    baseUrl: sb.url,
    clientId: APP.clientId,
    tokens: tokens.source(setup.connectionId),
    pacer: new Pacer(),
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      if (String(url).includes('TransactionLines') && ++linePages === 1) changeAfterFirstPage();
      return res;
    },
  });
  ctx = { ...setup.ctx, client };
});
afterAll(async () => {
  await sb?.close();
  await db?.drop();
});

describe('first sync of a table', () => {
  it('rows changed in Exact while it reads come again; their batch is merged and the warehouse equals Exact', async () => {
    const division = sb.sandbox.divisions[0]!.code;
    const lines = sb.sandbox.table(division, 'TransactionLines');
    const total = lines.end;
    expect(total).toBeGreaterThan(3000);
    const firstPage = [0, 1, 2].map((i) => String(lines.get(i)!.ID));
    const later = String(lines.get(total - 10)!.ID);
    changeAfterFirstPage = () => {
      for (const [k, id] of firstPage.entries())
        sb.sandbox.update(division, 'TransactionLines', id, { Description: `Changed while syncing ${k}` });
      sb.sandbox.update(division, 'TransactionLines', later, { Description: 'Changed before it was read' });
    };

    const result = await syncTable(ctx, 'transactionlines', division);
    // The three rows of the first page were read twice; the later one once.
    expect(result.rows).toBe(total + firstPage.length);
    expect(result.inserted).toBe(total);
    expect(result.updated).toBe(firstPage.length);
    await assertWarehouseEqualsSandbox(db.pool, sb, division, ['transactionlines']);
    const { rows } = await db.pool.query(
      `SELECT description FROM ${SCHEMA}.transactionlines WHERE id = ANY($1::uuid[]) ORDER BY description`,
      [[...firstPage, later]],
    );
    expect(rows.map((r) => r.description)).toEqual([
      'Changed before it was read',
      'Changed while syncing 0',
      'Changed while syncing 1',
      'Changed while syncing 2',
    ]);
  });

  it('a later run merges: nothing changed, nothing written', async () => {
    const division = sb.sandbox.divisions[0]!.code;
    const result = await syncTable(ctx, 'transactionlines', division);
    expect(result).toMatchObject({ rows: 0, inserted: 0, updated: 0 });
  });
});
