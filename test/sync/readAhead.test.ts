import { describe, expect, it } from 'vitest';
import { readAheadBatches } from '../../server/sync/engine.ts';

async function* pages(
  n: number,
  size: number,
  delays: number[] = [],
): AsyncGenerator<{ rows: number[]; count: number; n: number }> {
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setTimeout(r, delays[i] ?? 0));
    yield { rows: Array.from({ length: size }, (_, k) => i * size + k), count: size, n: i };
  }
}

async function collect(
  source: AsyncGenerator<{ rows: number[]; count: number; n: number }>,
  depth: number,
  maxRows: number,
): Promise<number[][]> {
  const out: number[][] = [];
  for await (const batch of readAheadBatches(source, depth, maxRows)) {
    out.push(batch.map((p) => p.n));
    await new Promise((r) => setTimeout(r, 20)); // a slow "database"
  }
  return out;
}

describe('readAheadBatches', () => {
  it.each([
    [0, 4, 5000],
    [1, 4, 5000],
    [7, 4, 5000],
    [7, 1, 5000],
    [10, 3, 2000],
  ])('hands over every one of %i pages once and in order (depth %i, max %i rows)', async (n, depth, maxRows) => {
    const batches = await collect(pages(n, 1000), depth, maxRows);
    expect(batches.flat()).toEqual(Array.from({ length: n }, (_, i) => i));
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(Math.max(1, maxRows / 1000));
  });

  it('batches pages that arrived while the caller was busy', async () => {
    // No timers: page 0 is there at once, pages 1-5 only once the caller is busy with page 0, and the
    // caller stays busy until all of them have arrived. They must then come as one batch.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let arrived = 0;
    async function* source(): AsyncGenerator<{ rows: number[]; count: number; n: number }> {
      for (let i = 0; i < 6; i++) {
        if (i === 1) await gate;
        arrived++;
        yield { rows: [i], count: 1000, n: i };
      }
    }
    const batches: number[][] = [];
    for await (const batch of readAheadBatches(source(), 6, 10_000)) {
      batches.push(batch.map((p) => p.n));
      if (batches.length === 1) {
        release();
        for (let spins = 0; arrived < 6 && spins < 10_000; spins++) await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
      }
    }
    expect(batches).toEqual([[0], [1, 2, 3, 4, 5]]);
  });

  it('stops the source when the caller stops early, and passes on the source’s error', async () => {
    let finished = false;
    async function* source(): AsyncGenerator<{ rows: number[]; count: number; n: number }> {
      try {
        for (let i = 0; ; i++) yield { rows: [i], count: 1, n: i };
      } finally {
        finished = true;
      }
    }
    for await (const batch of readAheadBatches(source(), 3, 1)) {
      expect(batch[0]!.n).toBe(0);
      break;
    }
    expect(finished).toBe(true);

    async function* failing(): AsyncGenerator<{ rows: number[]; count: number; n: number }> {
      yield { rows: [1], count: 1, n: 0 };
      throw new Error('network down');
    }
    await expect(collect(failing(), 3, 5000)).rejects.toThrow('network down');
  });
});
