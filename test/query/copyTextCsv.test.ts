import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTextTo } from '../../server/query/copyText.ts';
import { csvHeader } from '../../server/query/copyTextCsv.ts';
import type { ResultColumn } from '../../server/query/types.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * CSV written from PostgreSQL's text format must be the bytes PostgreSQL's own CSV would be (COPY … WITH
 * (FORMAT csv, HEADER)): the test asks the real server for both and compares them, on values chosen to
 * catch every rule (NULL against the empty string, commas, quotes, newlines and carriage returns, every
 * text escape, `\.` alone, non-ASCII, a name that needs quotes), split at every byte.
 */

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('copy_text_csv');
});
afterAll(async () => {
  await db.drop();
});

async function copyOut(sql: string): Promise<Buffer> {
  const client = await db.pool.connect();
  try {
    const parts: Buffer[] = [];
    const stream = client.query(copyTo(sql));
    for await (const chunk of stream) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  } finally {
    client.release();
  }
}

async function converted(text: Buffer, columns: ResultColumn[], cuts: number[], max = 1 << 20): Promise<string> {
  const seen: Buffer[] = [];
  const to = new Writable({
    write(chunk: Buffer, _enc, done) {
      seen.push(Buffer.from(chunk));
      done();
    },
  });
  const pieces = [0, ...cuts, text.length].slice(1).map((end, i, all) => text.subarray(i ? all[i - 1] : 0, end));
  await pipeline(Readable.from(pieces), copyTextTo('csv', columns, csvHeader(columns), to, max));
  return Buffer.concat(seen).toString('utf8');
}

const column = (name: string): ResultColumn => ({ name, type: 'text', kind: 'text' });

async function compare(query: string, names: string[], everySplit = false) {
  const csv = await copyOut(`COPY (${query}) TO STDOUT WITH (FORMAT csv, HEADER)`);
  const text = await copyOut(`COPY (${query}) TO STDOUT`);
  const columns = names.map(column);
  expect(await converted(text, columns, [])).toBe(csv.toString('utf8'));
  if (everySplit)
    for (let cut = 1; cut < text.length; cut++)
      expect(await converted(text, columns, [cut]), `split at byte ${cut}`).toBe(csv.toString('utf8'));
  return csv.toString('utf8');
}

describe('CSV from COPY text', () => {
  it('is byte for byte what PostgreSQL writes as CSV, wherever the input is split', async () => {
    const values = [
      'NULL',
      "''",
      "'plain'",
      "'a,b'",
      `'say "hi"'`,
      "E'two\\nlines'",
      "E'carriage\\rreturn'",
      "E'tab\\there'",
      "E'back\\\\slash'",
      "E'bell\\b form\\f vtab\\v'",
      "'\\.'",
      "'é € 😀'",
      `'"'`,
      "E'\\\\N'",
      "' '",
    ];
    const query = values
      .map((v, i) => `SELECT ${i} AS "n, 1", ${v}::text AS "say ""x""", 1.5::numeric AS num, true AS b`)
      .join(' UNION ALL ');
    const csv = await compare(`${query} ORDER BY 1`, ['n, 1', 'say "x"', 'num', 'b'], true);
    // The rules at work: NULL is nothing, the empty string is "", a quote is doubled.
    expect(csv.split('\n')[0]).toBe('"n, 1","say ""x""",num,b');
    expect(csv).toContain('\n0,,1.5,t\n1,"",1.5,t\n');
  });

  it('quotes \\. alone on a one-column line, and a one-column NULL or empty string as PostgreSQL does', async () => {
    await compare("SELECT * FROM (VALUES ('\\.'), (NULL), (''), ('x')) AS t(v)", ['v']);
  });

  it('writes dates, numbers, arrays, json and bytea as PostgreSQL does', async () => {
    await compare(
      `SELECT '2026-11-29 10:00:00.123456+01'::timestamptz AS t, '2026-01-04'::date AS d, 'NaN'::float8 AS f, ARRAY['a,b', NULL, 'c"d'] AS a,
              '{"k": "v,\\n"}'::jsonb AS j, '\\x00ff'::bytea AS bin, ''::text AS e`,
      ['t', 'd', 'f', 'a', 'j', 'bin', 'e'],
    );
  });

  it('refuses a row whose text passes the cap, and a row with too few columns', async () => {
    const text = Buffer.from(`1\t${'x'.repeat(50)}\n`);
    await expect(converted(text, [column('a'), column('b')], [], 40)).rejects.toMatchObject({
      code: 'value_too_large',
    });
    await expect(converted(Buffer.from('1\n'), [column('a'), column('b')], [])).rejects.toThrow(/without 2 columns/);
  });
});
