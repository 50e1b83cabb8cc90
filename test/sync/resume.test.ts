import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCursor } from '../../server/state/cursors.ts';
import { formatTimestampCursor, parseTimestampCursor, syncTable, type SyncContext } from '../../server/sync/engine.ts';
import { startSandbox, type RunningSandbox } from '../../server/sandbox/index.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { assertWarehouseEqualsSandbox, setUpSync } from '../helpers/syncSetup.ts';

describe('the Sync API cursor', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['12345', { from: 12345n, max: 12345n }],
    ['{"from":"10","max":"99","next":"https://x/next"}', { from: 10n, max: 99n, next: 'https://x/next' }],
    ['{"from":"10","max":"99"}', { from: 10n, max: 99n }],
  ])('reads %j', (text, cursor) => {
    expect(parseTimestampCursor(text)).toEqual(cursor);
  });

  it('refuses what it cannot read, rather than starting over silently', () => {
    expect(() => parseTimestampCursor('{"from":"x","max":"1"}')).toThrow('cannot be read');
    expect(() => parseTimestampCursor('not json')).toThrow();
  });

  it('is the maximum only once the read is complete', () => {
    expect(formatTimestampCursor({ from: 10n, max: 99n })).toBe('99');
    expect(formatTimestampCursor({ from: 10n, max: 99n, next: 'https://x/n' })).toBe(
      '{"from":"10","max":"99","next":"https://x/n"}',
    );
  });
});

describe('a Sync API read stopped midway, with pages not in Timestamp order', () => {
  let db: TestDatabase;
  let sb: RunningSandbox;
  let ctx: SyncContext;
  let connectionId: number;
  beforeAll(async () => {
    db = await createTestDatabase('sync_resume');
    // Pages in key order: a page's Timestamps are no guide to the next page's (docs/exact-online.md 5.2).
    sb = await startSandbox({ autoApprove: true, scale: 10_000, divisions: 1, limits: false, syncOrder: 'key' });
    ({ ctx, connectionId } = await setUpSync(db, sb));
  });
  afterAll(async () => {
    await sb?.close();
    await db?.drop();
  });

  it('goes on from where Exact pointed and loses nothing', async () => {
    const division = sb.sandbox.divisions[0]!.code;
    // Rows early in key order changed last: they carry the highest Timestamps and come on the first page.
    const lines = sb.sandbox.table(division, 'TransactionLines');
    for (let i = 0; i < 500; i += 25)
      sb.sandbox.update(division, 'TransactionLines', String(lines.get(i)!.ID), { Description: `changed ${i}` });
    const stop = new AbortController();
    let batches = 0;
    const stopped = await syncTable(
      { ...ctx, signal: stop.signal, onProgress: () => ++batches === 1 && stop.abort() },
      'transactionlines',
      division,
    ).catch((err: unknown) => err);
    expect(stopped).toBeInstanceOf(Error);
    const midway = parseTimestampCursor(await readCursor(db.pool, connectionId, division, 'transactionlines'))!;
    // Stopped after one committed batch: the cursor says where Exact's next page is, and still starts at 0.
    expect(midway.next).toMatch(/\$skiptoken=/);
    expect(midway.from).toBe(0n);
    expect(midway.max).toBeGreaterThan(0n);

    const calls = sb.sandbox.calls.length;
    const rest = await syncTable(ctx, 'transactionlines', division);
    // It went on from Exact's next page rather than reading the first batch again.
    expect(sb.sandbox.calls.slice(calls)[0]!.path).toContain('skiptoken');
    expect(rest.rows).toBeLessThan(10_000);
    await assertWarehouseEqualsSandbox(db.pool, sb, division, ['transactionlines']);
    // Complete: the cursor is the highest Timestamp, for the next incremental read.
    const done = await readCursor(db.pool, connectionId, division, 'transactionlines');
    expect(done).toMatch(/^\d+$/);
  });

  it('the stand-in, told to, serves sync pages in key order: every row once, Timestamps out of order (after the changes above)', async () => {
    const division = sb.sandbox.divisions[0]!.code;
    const ids: string[] = [];
    const stamps: bigint[] = [];
    for await (const page of ctx.client.pages(division, 'sync/Financial/TransactionLines', {
      $select: 'ID,Timestamp',
      $filter: 'Timestamp gt 0L',
    })) {
      for (const r of page.rows) {
        ids.push(String(r.ID));
        stamps.push(BigInt(String(r.Timestamp)));
      }
    }
    expect(ids).toHaveLength(10_000);
    expect(new Set(ids).size).toBe(10_000);
    expect(stamps.some((t, i) => i > 0 && t < stamps[i - 1]!)).toBe(true);
  });
});
