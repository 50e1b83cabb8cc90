import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { copyTextTo } from '../../server/query/copyText.ts';
import { rowEncoder } from '../../server/query/formats.ts';
import type { ResultColumn } from '../../server/query/types.ts';

/**
 * COPY text → JSON rows, fed in every possible split of its input: a chunk may end anywhere (between
 * a backslash and its letter, inside a UTF-8 character, right after a tab), and what comes out must
 * not depend on where. The rules of the text format are PostgreSQL's (manual, COPY, "Text Format").
 */

const columns: ResultColumn[] = [
  { name: 'id', type: 'integer', kind: 'integer' },
  { name: 'naam é', type: 'text', kind: 'text' },
  { name: 'ok', type: 'boolean', kind: 'boolean' },
  { name: 'doc', type: 'jsonb', kind: 'json' },
];

// Row 1: a tab, a newline, a backslash and a quote escaped as PostgreSQL writes them, and a raw 0x01.
// Row 2: NULLs, UTF-8 of two, three and four bytes, NaN, a json value whose backslash was doubled.
const input = Buffer.from(
  '1\ta\\tb\\nc\\\\d"e\u0001\tt\t{"k": [1]}\n' + 'NaN\té € 😀\t\\N\t{"q": "x\\\\"y"}\n' + '\\N\t\\\\N\tf\t\\N\n',
  'utf8',
);

const expectedRows = [
  [1, 'a\tb\nc\\d"e\u0001', true, { k: [1] }],
  ['NaN', 'é € 😀', null, { q: 'x"y' }],
  [null, '\\N', false, null],
];

/**
 * A client that takes its time, like a socket: it reads a chunk only when it calls back, a turn of
 * the event loop later. A buffer used again before that would show here as other bytes.
 */
function slowClient(): { to: Writable; text: () => string } {
  const seen: Buffer[] = [];
  const to = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, done) {
      setImmediate(() => {
        seen.push(Buffer.from(chunk));
        done();
      });
    },
  });
  return { to, text: () => Buffer.concat(seen).toString('utf8') };
}

async function run(
  format: 'json' | 'ndjson',
  chunks: Buffer[],
  prefix = 'P',
  cols: readonly ResultColumn[] = columns,
): Promise<string> {
  const client = slowClient();
  await pipeline(Readable.from(chunks), copyTextTo(format, cols, prefix, client.to, 1 << 20));
  await new Promise<void>((r) => client.to.end(r));
  return client.text();
}

describe('copyTextTo', () => {
  it('writes JSON rows after the prefix, the same wherever the input is split', async () => {
    const whole = await run('json', [input]);
    expect(whole.startsWith('P[')).toBe(true);
    expect(JSON.parse(`[${whole.slice(1)}]`)).toEqual(expectedRows);
    for (let cut = 1; cut < input.length; cut++)
      expect(await run('json', [input.subarray(0, cut), input.subarray(cut)]), `split at byte ${cut}`).toBe(whole);
    expect(
      await run(
        'json',
        [...input].map((b) => Buffer.from([b])),
      ),
    ).toBe(whole);
  });

  it('writes NDJSON lines keyed by the column names (non-ASCII names intact)', async () => {
    const text = await run('ndjson', [input.subarray(0, 7), input.subarray(7)], '');
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(
      expectedRows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]]))),
    );
  });

  it('writes only the prefix for no rows, and nothing before the first whole row', async () => {
    expect(await run('json', [])).toBe('P');
    const client = slowClient();
    const rows = copyTextTo('json', columns, 'P', client.to, 1 << 20);
    rows.write(Buffer.from('1\tx\tt'));
    await new Promise((r) => setTimeout(r, 20));
    expect(client.text()).toBe('');
  });

  it('fails on a row cut short or a row with too few columns, rather than writing half a row', async () => {
    await expect(run('json', [Buffer.from('1\tx\tt\t{}\n2\ty')])).rejects.toThrow(/middle of a row/);
    await expect(run('json', [Buffer.from('1\tx\n')])).rejects.toThrow(/without 4 columns/);
  });

  it('refuses a row over the cap, whole or still arriving, before writing any of it', async () => {
    const capped = async (chunks: string[], max: number) => {
      const c = slowClient();
      const error = await pipeline(
        Readable.from(chunks.map((x) => Buffer.from(x))),
        copyTextTo('json', columns, 'P', c.to, max),
      ).then(
        () => undefined,
        (err: { code?: string }) => err.code,
      );
      await new Promise((r) => setTimeout(r, 10));
      return { text: c.text(), error };
    };
    const row = `2\t${'x'.repeat(40)}\tt\t\\N\n`;
    expect(await capped([row], 40)).toEqual({ text: '', error: 'value_too_large' });
    expect(await capped([row], row.length - 1)).toEqual({
      text: expect.stringContaining('xxx') as unknown as string,
      error: undefined,
    });
    expect(await capped(['1\tok\tt\t\\N\n', row], 40)).toEqual({
      text: 'P[1,"ok",true,null]',
      error: 'value_too_large',
    });
    expect(await capped(['1\t', 'x'.repeat(30), 'x'.repeat(30)], 40)).toEqual({ text: '', error: 'value_too_large' });
  });

  it('writes the bytes rowEncoder (the cursor path) writes, for random values of every kind, over many buffers', async () => {
    const kinds: ResultColumn[] = [
      { name: 'i', type: 'integer', kind: 'integer' },
      { name: 'n', type: 'numeric', kind: 'number' },
      { name: 'b', type: 'boolean', kind: 'boolean' },
      { name: 's', type: 'text', kind: 'text' },
      { name: 'j', type: 'jsonb', kind: 'json' },
      { name: 'tz', type: 'timestamptz', kind: 'datetime' },
      { name: 'ts', type: 'timestamp', kind: 'datetime' },
      { name: 'd', type: 'date', kind: 'date' },
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const text = () =>
      Array.from({ length: Math.floor(random() * 12) }, () =>
        pick([
          'a',
          'Z',
          ' ',
          '"',
          '\\',
          '\t',
          '\n',
          '\r',
          '\b',
          '\f',
          '\v',
          '\u0001',
          '\u001f',
          '\u007f',
          'é',
          '€',
          '😀',
          'N',
        ]),
      ).join('');
    const values = (): (string | null)[] =>
      [
        pick(['0', '-12', '9007199254740993']),
        pick(['12.50', 'NaN', 'Infinity', '-Infinity', '1e+300']),
        pick(['t', 'f']),
        text(),
        JSON.stringify({ k: text() }),
        pick(['2026-01-04 10:00:00.123+00', '1999-12-31 23:59:59+00', 'infinity', '-infinity']),
        pick(['2026-01-04 10:00:00', 'infinity', '2026-01-04 10:00:00.5']),
        pick(['2026-01-04', 'infinity']),
      ].map((v) => (random() < 0.1 ? null : v));
    // COPY's text escapes (PostgreSQL manual, COPY, "Text Format").
    const copyEscape = (v: string | null) =>
      v === null
        ? '\\N'
        : v.replace(
            /[\\\b\f\n\r\t\v]/g,
            (c) => `\\${{ '\\': '\\', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't', '\v': 'v' }[c]}`,
          );
    const rows = Array.from({ length: 5000 }, values);
    const input = Buffer.from(rows.map((r) => `${r.map(copyEscape).join('\t')}\n`).join(''), 'utf8');
    const chunks = Array.from({ length: Math.ceil(input.length / 1000) }, (_, i) =>
      input.subarray(i * 1000, i * 1000 + 1000),
    );
    for (const format of ['json', 'ndjson'] as const) {
      const encode = rowEncoder(format, kinds);
      const expected = rows.map((r, i) => encode(r, i === 0)).join('');
      expect(await run(format, chunks, '', kinds), format).toBe(expected);
    }
  });
});
