import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { csvRows } from '../../server/query/copyCsv.ts';

/**
 * PostgreSQL's CSV passed through with the row cap. Rows end at a newline outside quotes; a quote
 * inside a value is doubled (PostgreSQL manual, COPY, "CSV Format").
 */

function client(): { to: Writable; text: () => string } {
  const seen: Buffer[] = [];
  const to = new Writable({
    write(chunk: Buffer, _enc, done) {
      seen.push(Buffer.from(chunk));
      done();
    },
  });
  return { to, text: () => Buffer.concat(seen).toString('utf8') };
}

async function pass(chunks: string[], max: number) {
  const c = client();
  const error = await pipeline(Readable.from(chunks.map((x) => Buffer.from(x))), csvRows(c.to, max)).then(
    () => undefined,
    (err: Error & { code?: string }) => err,
  );
  return { text: c.text(), error: error?.code };
}

const row1 = '1,"two\nlines, and ""quotes"""';
const csv = `id,note\n${row1}\n2,short\n`;

describe('csvRows', () => {
  it('passes the CSV through unchanged, wherever it is split', async () => {
    for (let cut = 0; cut <= csv.length; cut++)
      expect(await pass([csv.slice(0, cut), csv.slice(cut)], 100)).toEqual({ text: csv, error: undefined });
  });

  it('counts a quoted newline as part of its row', async () => {
    // Cut at its quoted newline, row 1 would be two rows of 6 and 22 bytes.
    expect((await pass([csv], row1.length - 1)).error).toBe('value_too_large');
    expect((await pass([csv], row1.length)).error).toBeUndefined();
  });

  it('refuses a first row over the cap before anything was sent, even when it arrives in pieces', async () => {
    const big = `id,v\n1,${'x'.repeat(50)}\n`;
    const r = await pass([big.slice(0, 20), big.slice(20)], 40);
    expect(r).toEqual({ text: '', error: 'value_too_large' });
    // Past the cap without ever ending: refused while it is still arriving.
    expect(await pass(['id,v\n1,', 'x'.repeat(30), 'x'.repeat(30)], 40)).toEqual({
      text: '',
      error: 'value_too_large',
    });
  });

  it('after the first row, sends what came before and stops at the row over the cap', async () => {
    const r = await pass(['id,v\n1,a\n', `2,${'y'.repeat(50)}\n3,c\n`], 40);
    expect(r.error).toBe('value_too_large');
    expect(r.text).toBe('id,v\n1,a\n');
  });

  it('sends a header with no rows', async () => {
    expect(await pass(['id,v\n'], 40)).toEqual({ text: 'id,v\n', error: undefined });
  });
});
