import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactDateMs, localToUtc, type ExactRow } from '../../server/exact/values.ts';
import { inTransaction } from '../../server/db/tx.ts';
import type { CatalogTable, Column, PgType } from '../../server/catalog/tables.ts';
import { rowEncoder, rowValues, toWarehouse, valuesCsv } from '../../server/sync/encode.ts';
import { concatCsv, CsvBuffers, csvRows, type CsvRows } from '../../server/warehouse/csv.ts';
import { insertOrMerge, loadColumns, mergeRows } from '../../server/warehouse/load.ts';
import { ensureTable } from '../../server/warehouse/tables.ts';
import { migrate } from '../../server/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';

/**
 * The sync's fast path (rowEncoder: Exact row → CSV line, no values in between) must write exactly what
 * the reference path (toWarehouse per value, then csvRows) writes, and PostgreSQL must read it back as
 * those values, for every kind of value Exact sends.
 */

const col = (field: string, type: PgType, trim = false): Column => ({
  field,
  name: field.toLowerCase(),
  type,
  edm: type,
  trim,
});
const KEY = col('ID', 'uuid');
const COLUMNS: Column[] = [
  KEY,
  col('Description', 'text'),
  col('Code', 'text', true),
  col('Amount', 'numeric'),
  col('Count', 'integer'),
  col('Timestamp', 'bigint'),
  col('Date', 'timestamptz'),
  col('Blocked', 'boolean'),
  col('Notes', 'text'),
];
const TABLE = {
  name: 'encode_test',
  strategy: 'sync',
  path: 'sync/Test',
  key: KEY,
  columns: COLUMNS,
  timestamp: COLUMNS.find((c) => c.field === 'Timestamp'),
  deletedType: undefined,
  children: undefined,
  since: undefined,
  entity: { name: 'EncodeTest' },
} as unknown as CatalogTable;
const TZ = 'Europe/Amsterdam';
const EXTRACTED = '2026-11-24T10:00:00.000Z';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ROWS: ExactRow[] = [
  {
    ID: id(1),
    Description: 'plain',
    Code: '   7001',
    Amount: 12.5,
    Count: 3,
    Timestamp: '1234567890123',
    Date: '/Date(1711846800000)/',
    Blocked: false,
    Notes: null,
  },
  {
    ID: id(2),
    Description: '',
    Code: '',
    Amount: -0.01,
    Count: 0,
    Timestamp: '1',
    Date: '/Date(1729990800000)/',
    Blocked: true,
    Notes: undefined,
  },
  {
    ID: id(3),
    Description: 'comma, "quotes" and\nnew line\r\nand CR',
    Code: 'A "B", C  ',
    Amount: 1e21,
    Count: -2147483648,
    Timestamp: '9223372036854775807',
    Date: '/Date(-62135596800000)/',
    Blocked: null,
    Notes: ' spaces kept ',
  },
  {
    ID: id(4),
    Description: 'Café € 𝄞 – ünïcode',
    Code: null,
    Amount: null,
    Count: null,
    Timestamp: null,
    Date: null,
    Blocked: null,
    Notes: '\\N',
  },
  {
    ID: id(5),
    Description: 'x'.repeat(3000),
    Code: 'y',
    Amount: 0,
    Count: 1,
    Timestamp: 42,
    Date: '/Date(1711846800000+0100)/',
    Blocked: false,
    Notes: ',',
  },
];

const at = (iso: string) => new Date(iso);
const extracted = at(EXTRACTED);
/**
 * ROWS as PostgreSQL gives them back (numeric and bigint as text). Dates are Exact's Amsterdam wall clock:
 * 2024-03-31 01:00 is still winter time (+01:00) an hour before the spring change; 2024-10-27 01:00 is
 * still summer time (+02:00) before the autumn change; 0001-01-01 (Exact's DateTime.MinValue) is in local
 * mean time, which the time zone database gives Amsterdam as Brussels' +00:17:30 — so it is stored in
 * 1 BC. 1e21 is stored exactly; "\\N" is text, not NULL; padded codes are trimmed, empty strings stay.
 */
const STORED_DIVISION_1 = [
  {
    division: 1,
    id: id(1),
    description: 'plain',
    code: '7001',
    amount: '12.5',
    count: 3,
    timestamp: '1234567890123',
    date: at('2024-03-31T00:00:00Z'),
    blocked: false,
    notes: null,
    _sdc_extracted_at: extracted,
  },
  {
    division: 1,
    id: id(2),
    description: '',
    code: '',
    amount: '-0.01',
    count: 0,
    timestamp: '1',
    date: at('2024-10-26T23:00:00Z'),
    blocked: true,
    notes: null,
    _sdc_extracted_at: extracted,
  },
  {
    division: 1,
    id: id(3),
    description: 'comma, "quotes" and\nnew line\r\nand CR',
    code: 'A "B", C',
    amount: '1000000000000000000000',
    count: -2147483648,
    timestamp: '9223372036854775807',
    date: at('0000-12-31T23:42:30Z'),
    blocked: null,
    notes: ' spaces kept ',
    _sdc_extracted_at: extracted,
  },
  {
    division: 1,
    id: id(4),
    description: 'Café € 𝄞 – ünïcode',
    code: null,
    amount: null,
    count: null,
    timestamp: null,
    date: null,
    blocked: null,
    notes: '\\N',
    _sdc_extracted_at: extracted,
  },
  {
    division: 1,
    id: id(5),
    description: 'x'.repeat(3000),
    code: 'y',
    amount: '0',
    count: 1,
    timestamp: '42',
    date: at('2024-03-31T00:00:00Z'),
    blocked: false,
    notes: ',',
    _sdc_extracted_at: extracted,
  },
];

const text = (csv: CsvRows) => csv.chunks.map((c) => (typeof c === 'string' ? c : c.toString('utf8'))).join('');

describe('rowEncoder', () => {
  it('writes what the values would, as one string or into pooled buffers of any size', () => {
    const reference = text(valuesCsv(TABLE, 7, ROWS, TZ, EXTRACTED));
    const encoder = rowEncoder(TABLE, TZ);
    expect(text(encoder.page(ROWS, 7, EXTRACTED))).toBe(reference);
    // Twice: the second time every date comes from the encoder's cache.
    expect(text(encoder.page(ROWS, 7, EXTRACTED))).toBe(reference);
    // Buffers smaller than a line (the 3,000-character one), just big enough, and large.
    for (const size of [512, 4096, 1 << 20]) {
      const buffers = new CsvBuffers(size);
      const csv = encoder.page(ROWS, 7, EXTRACTED, buffers);
      expect(csv.count).toBe(ROWS.length);
      expect(text(csv)).toBe(reference);
    }
  });

  it('writes the hard cases as literal CSV lines worked out by hand', () => {
    const lines = text(rowEncoder(TABLE, TZ).page(ROWS.slice(2, 4), 7, EXTRACTED)).split('\n');
    expect(lines[0]).toBe(`7,${id(3)},"comma, ""quotes"" and`);
    expect(lines.slice(0, 3).join('\n')).toBe(
      `7,${id(3)},"comma, ""quotes"" and\nnew line\r\nand CR","A ""B"", C",1e+21,-2147483648,9223372036854775807,0001-12-31T23:42:30.000Z BC,, spaces kept ,${EXTRACTED}`,
    );
    // NULLs are empty fields; an empty string would be "" and the text \N stays text.
    expect(lines[3]).toBe(`7,${id(4)},Café € 𝄞 – ünïcode,,,,,,,\\N,${EXTRACTED}`);
  });

  it('writes the same whether dates repeat (cached) or not (the cache is dropped after a trial)', () => {
    const many = (distinct: (i: number) => number) =>
      Array.from({ length: 5000 }, (_, i) => ({
        ...ROWS[0]!,
        ID: id(i),
        Date: `/Date(${1711846800000 + distinct(i) * 3_600_000})/`,
      }));
    for (const rows of [many((i) => i), many((i) => i % 7), many((i) => (i < 2500 ? i : i % 3))]) {
      expect(text(rowEncoder(TABLE, TZ).page(rows, 7, EXTRACTED))).toBe(text(valuesCsv(TABLE, 7, rows, TZ, EXTRACTED)));
    }
  });

  it('reuses released buffers and never hands out one still in use', () => {
    const buffers = new CsvBuffers(4096);
    const encoder = rowEncoder(TABLE, TZ);
    const first = encoder.page(ROWS.slice(0, 2), 7, EXTRACTED, buffers);
    const second = encoder.page(ROWS.slice(0, 2), 8, EXTRACTED, buffers);
    expect(first.pooled![0]).not.toBe(second.pooled![0]);
    const firstText = text(first);
    const secondBuffer = second.pooled![0];
    buffers.release(second);
    expect(second.chunks).toEqual([]);
    const third = encoder.page(ROWS.slice(0, 2), 9, EXTRACTED, buffers);
    expect(third.pooled![0]).toBe(secondBuffer);
    expect(text(first)).toBe(firstText);
    expect(text(third)).toMatch(/^9,/);
  });

  it('refuses a date that is not /Date(ms)/ with the field named, like toWarehouse', () => {
    const bad = [{ ...ROWS[0]!, Date: '2024-03-31' }];
    expect(() => rowEncoder(TABLE, TZ).page(bad, 7, EXTRACTED)).toThrow(/Date: expected \/Date\(ms\)\//);
    expect(() => valuesCsv(TABLE, 7, bad, TZ, EXTRACTED)).toThrow(/Date: expected \/Date\(ms\)\//);
  });
});

describe('loading CSV rows into PostgreSQL', () => {
  let db: TestDatabase;
  const SCHEMA = 'encode_wh';
  beforeAll(async () => {
    db = await createTestDatabase('encode');
    await migrate(db.pool);
    await ensureTable(db.pool, SCHEMA, TABLE);
  });
  afterAll(async () => {
    await db?.drop();
  });

  const stored = async (division: number) =>
    (
      await db.pool.query(
        `SELECT ${loadColumns(TABLE).join(', ')} FROM ${SCHEMA}.encode_test WHERE division = $1 ORDER BY id`,
        [division],
      )
    ).rows;
  const expected = (division: number, rows: ExactRow[]) =>
    rows.map((r) => {
      const values = rowValues(TABLE, division, r, TZ, EXTRACTED);
      return Object.fromEntries(
        loadColumns(TABLE).map((name, i) => {
          const v = values[i];
          const c = COLUMNS.find((x) => x.name === name);
          if (v === null || v === undefined) return [name, null];
          if (name === '_sdc_extracted_at') return [name, new Date(v as string)];
          if (c?.type === 'timestamptz') return [name, new Date(localToUtc(exactDateMs(r[c.field])!, TZ))];
          if (c?.type === 'numeric') return [name, String(Number(v) === 1e21 ? '1000000000000000000000' : v)];
          return [name, v];
        }),
      );
    });

  it('reads back every value the encoder wrote, through a direct COPY', async () => {
    const csv = rowEncoder(TABLE, TZ).page(ROWS, 1, EXTRACTED, new CsvBuffers(4096));
    const result = await inTransaction(db.pool, (c) => insertOrMerge(c, SCHEMA, TABLE, csv, new Date()));
    expect(result).toEqual({ inserted: ROWS.length, updated: 0, merged: false });
    expect(await stored(1)).toEqual(expected(1, ROWS));
    // The hard cases, as literals worked out by hand (not by the code under test).
    expect(await stored(1)).toEqual(STORED_DIVISION_1);
    // The batch time is the loading transaction's.
    const { rows } = await db.pool.query(
      `SELECT count(*)::int AS n FROM ${SCHEMA}.encode_test WHERE division = 1 AND _sdc_batched_at > now() - interval '1 minute'`,
    );
    expect(rows[0].n).toBe(ROWS.length);
    expect(toWarehouse(COLUMNS[2]!, '   7001', TZ)).toBe('7001');
  });

  it('falls back to a merge when a key repeats in the batch or is already stored: the newest Timestamp wins', async () => {
    const encoder = rowEncoder(TABLE, TZ);
    const base = [
      { ...ROWS[0]!, ID: id(10), Timestamp: '100', Description: 'v100' },
      { ...ROWS[1]!, ID: id(11), Timestamp: '100', Description: 'old' },
    ];
    await inTransaction(db.pool, (c) => insertOrMerge(c, SCHEMA, TABLE, encoder.page(base, 2, EXTRACTED), new Date()));
    // id 10 twice in the batch (200 beats 150), id 11 older than stored (kept), id 12 new.
    const batch = [
      { ...base[0]!, Timestamp: '150', Description: 'v150' },
      { ...base[0]!, Timestamp: '200', Description: 'v200' },
      { ...base[1]!, Timestamp: '50', Description: 'older' },
      { ...ROWS[2]!, ID: id(12) },
    ];
    const result = await inTransaction(db.pool, (c) =>
      insertOrMerge(
        c,
        SCHEMA,
        TABLE,
        concatCsv([encoder.page(batch.slice(0, 2), 2, EXTRACTED), encoder.page(batch.slice(2), 2, EXTRACTED)]),
        new Date(),
      ),
    );
    expect(result.merged).toBe(true);
    expect(result.inserted).toBe(1);
    const got = await stored(2);
    expect(got.map((r) => [r.id, r.description, r.timestamp])).toEqual([
      [id(10), 'v200', '200'],
      [id(11), 'old', '100'],
      [id(12), ROWS[2]!.Description, ROWS[2]!.Timestamp],
    ]);
  });

  it('trims codes stored with their padding once per table, when the table is next brought up to date', async () => {
    const insertPadded = (n: number) =>
      db.pool.query(
        `INSERT INTO ${SCHEMA}.encode_test (division, id, code, description, _sdc_extracted_at) VALUES (9, $1, $2, $3, now())`,
        [id(900 + n), '   0042  ', '  not a code  '],
      );
    const stored = async (n: number) =>
      (await db.pool.query(`SELECT code, description FROM ${SCHEMA}.encode_test WHERE id = $1`, [id(900 + n)])).rows[0];
    // A row written before every code was trimmed, and a table that has not been trimmed yet.
    await insertPadded(1);
    await db.pool.query(`DELETE FROM exact_sync.instance_settings WHERE key = $1`, [
      `warehouse.codes_trimmed.${SCHEMA}.encode_test`,
    ]);
    // A new process (a new pool) brings the table up to date: the code is trimmed, a description is not.
    const later = new pg.Pool({ connectionString: db.url, max: 2 });
    await ensureTable(later, SCHEMA, TABLE);
    await later.end();
    expect(await stored(1)).toEqual({ code: '0042', description: '  not a code  ' });
    // Once: a process after that does not scan the table again.
    await insertPadded(2);
    const again = new pg.Pool({ connectionString: db.url, max: 2 });
    await ensureTable(again, SCHEMA, TABLE);
    await again.end();
    expect((await stored(2)).code).toBe('   0042  ');
  });

  it('a bad value fails the whole batch: nothing of it is written, by either path', async () => {
    const good = { ...ROWS[0]!, ID: id(20) };
    const broken = csvRows([
      [...rowValues(TABLE, 3, good, TZ, EXTRACTED)],
      [3, 'not-a-uuid', ...rowValues(TABLE, 3, good, TZ, EXTRACTED).slice(2)],
    ]);
    await expect(inTransaction(db.pool, (c) => insertOrMerge(c, SCHEMA, TABLE, broken, new Date()))).rejects.toThrow(
      /uuid/,
    );
    await expect(inTransaction(db.pool, (c) => mergeRows(c, SCHEMA, TABLE, broken, new Date()))).rejects.toThrow(
      /uuid/,
    );
    expect(await stored(3)).toEqual([]);
  });

  it('bringing a table up to date alters only what is missing, so a reader holding the table holds nothing up', async () => {
    const reader = await db.pool.connect();
    // Another pool: ensureTable does its work once per pool.
    const fresh = () => new pg.Pool({ connectionString: db.url, max: 1, options: '-c lock_timeout=2000' });
    try {
      await reader.query('BEGIN');
      await reader.query(`SELECT count(*) FROM ${SCHEMA}.encode_test`);
      const upToDate = fresh();
      await ensureTable(upToDate, SCHEMA, TABLE).finally(() => upToDate.end());
      await reader.query('ROLLBACK');

      // A table from before: without the batch time's default and without a column the catalog has now.
      await db.pool.query(
        `ALTER TABLE ${SCHEMA}.encode_test ALTER COLUMN _sdc_batched_at DROP DEFAULT, DROP COLUMN notes`,
      );
      const older = fresh();
      await ensureTable(older, SCHEMA, TABLE).finally(() => older.end());
      const { rows } = await db.pool.query(
        `SELECT column_name, column_default FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'encode_test' AND column_name IN ('notes', '_sdc_batched_at') ORDER BY column_name`,
        [SCHEMA],
      );
      expect(rows).toEqual([
        { column_name: '_sdc_batched_at', column_default: 'now()' },
        { column_name: 'notes', column_default: null },
      ]);
    } finally {
      await reader.query('ROLLBACK').catch(() => undefined);
      reader.release();
    }
  });
});
