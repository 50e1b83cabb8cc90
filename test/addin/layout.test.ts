import { describe, expect, it } from 'vitest';
import { dateSerial as excelSerial } from '../../client-contract/cells.ts';
import {
  chunkRows,
  dateFormatOf,
  paramCount,
  paramValue,
  parseCellRef,
  sheetName,
  tableName,
  toSheetData,
} from '../../addin/src/excel/layout.ts';

describe('excelSerial', () => {
  it.each([
    ['1899-12-30', 0],
    ['1900-03-01', 61],
    ['2026-03-02', 46083],
    ['2026-03-02T12:00:00+00:00', 46083.5],
    ['2026-03-02T06:00:00.000Z', 46083.25],
  ])('%s → %d', (iso, serial) => {
    expect(excelSerial(iso)).toBeCloseTo(serial, 9);
  });
  it('is undefined for what is not a date', () => {
    expect(excelSerial('infinity')).toBeUndefined();
  });
});

describe('toSheetData', () => {
  it('types every cell for Excel and gives each column a format', () => {
    const data = toSheetData(
      {
        columns: [
          { name: 'id', type: 'integer', kind: 'integer' },
          { name: 'amount', type: 'numeric', kind: 'number' },
          { name: 'day', type: 'date', kind: 'date' },
          { name: 'at', type: 'timestamptz', kind: 'datetime' },
          { name: 'code', type: 'text', kind: 'text' },
          { name: 'ok', type: 'boolean', kind: 'boolean' },
          { name: 'extra', type: 'jsonb', kind: 'json' },
        ],
        rows: [
          [1, 12.5, '2026-03-02', '2026-03-02T12:00:00+00:00', '=1+1', true, { a: 1 }],
          [null, 'NaN', null, null, '0012', false, null],
        ],
        // The computer's zone by default; UTC here, and Amsterdam below.
      },
      'UTC',
    );
    expect(data.header).toEqual(['id', 'amount', 'day', 'at', 'code', 'ok', 'extra']);
    expect(data.rows).toEqual([
      [1, 12.5, 46083, 46083.5, '=1+1', true, '{"a":1}'],
      ['', 'NaN', '', '', '0012', false, ''],
    ]);
    expect(data.formats).toEqual(['0', '#,##0.00', 'yyyy-mm-dd', 'yyyy-mm-dd hh:mm:ss', '@', 'General', '@']);
  });

  it("shows an instant on the clock of the zone given (the computer's), a date as its day", () => {
    const result = {
      columns: [
        { name: 'day', type: 'date', kind: 'date' as const },
        { name: 'at', type: 'timestamptz', kind: 'datetime' as const },
      ],
      rows: [['2026-03-02', '2026-03-02T12:00:00Z']],
    };
    const [[day, at]] = toSheetData(result, 'Europe/Amsterdam').rows as [[number, number]];
    expect(day).toBe(46083);
    expect(at).toBeCloseTo(46083 + 13 / 24, 9);
    expect(toSheetData(result, 'America/New_York').rows[0]![1]).toBeCloseTo(46083 + 7 / 24, 9);
  });
});

describe('chunkRows', () => {
  const rows = (n: number, width: number) =>
    Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => `r${i}c${j}-xxxxxxxxxx`));
  it('keeps every request under the byte limit, covering every row once, in order', () => {
    const data = rows(100_000, 20);
    const formats = Array(20).fill('@');
    const chunks = chunkRows(data, formats, 4_000_000);
    expect(chunks[0]![0]).toBe(0);
    expect(chunks.at(-1)![1]).toBe(100_000);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]![0]).toBe(chunks[i - 1]![1]);
    for (const [a, b] of chunks) {
      const bytes = data
        .slice(a, b)
        .reduce((s, r) => s + JSON.stringify(r).length + 1 + formats.reduce((t, f) => t + f.length + 3, 2), 0);
      expect(bytes).toBeLessThanOrEqual(4_000_000);
    }
    expect(chunks.length).toBeGreaterThan(10);
  });
  it('limits cells too, and sends a row bigger than the limit alone', () => {
    expect(chunkRows(rows(10, 5), Array(5).fill('@'), 1_000_000, 20)).toEqual([
      [0, 4],
      [4, 8],
      [8, 10],
    ]);
    expect(chunkRows([['x'.repeat(100)], ['y']], ['@'], 50)).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(chunkRows([], [])).toEqual([]);
  });
});

describe('tableName', () => {
  it.each([
    ['transactionlines', [], 'transactionlines'],
    ['transactionlines', ['TransactionLines'], 'transactionlines_2'],
    ['transactionlines', ['transactionlines', 'transactionlines_2'], 'transactionlines_3'],
    ['Big amounts (2026)', [], 'Big_amounts__2026_'],
    ['2026 sales', [], '_2026_sales'],
    ['A1', [], '_A1'],
    ['R1C1', [], '_R1C1'],
    ['', [], 'Table'],
  ])('%s with %j taken → %s', (wanted, taken, want) => {
    expect(tableName(wanted, new Set(taken))).toBe(want);
  });
});

describe('sheetName', () => {
  const long = 'Transaction lines of every division 2026';
  it.each([
    ['glaccounts', [], 'glaccounts'],
    ['glaccounts', ['GLAccounts'], 'glaccounts (2)'],
    ['a/b:c*d?e[f]g\\h', [], 'a_b_c_d_e_f_g_h'],
    ["'quoted'", [], 'quoted'],
    ['History', [], 'History_'],
    ['', [], 'Sheet'],
    [long, [], long.slice(0, 31)],
    // Made unique within 31 characters, not cut after (which would collide with the first).
    [long, [long.slice(0, 31)], `${long.slice(0, 27)} (2)`],
    [long, [long.slice(0, 31), `${long.slice(0, 27)} (2)`], `${long.slice(0, 27)} (3)`],
  ])('%s with %j taken → %s', (wanted, taken, want) => {
    const name = sheetName(wanted, new Set(taken));
    expect(name).toBe(want);
    expect(name.length).toBeLessThanOrEqual(31);
  });
});

describe('parameters from cells', () => {
  it.each([
    ['SELECT 1', 0],
    ['SELECT * FROM t WHERE a = $1 AND b < $2', 2],
    ['SELECT $2, $1, $2', 2],
    // Inside strings, quoted names, comments and dollar quotes a $1 is text.
    ['SELECT \'$3\', "$4" FROM t WHERE a = $1 -- $5\n', 1],
    ['SELECT /* $9 */ $$ $7 $$, $tag$ $8 $tag$, $1', 1],
  ])('paramCount(%j) = %i', (sql, n) => {
    expect(paramCount(sql)).toBe(n);
  });

  it.each([
    ['General', undefined],
    ['0.00', undefined],
    ['#,##0.00', undefined],
    ['[$€-413] #,##0.00', undefined],
    ['dd-mm-yyyy', 'date'],
    ['m/d/yy', 'date'],
    ['yyyy-mm-dd hh:mm:ss', 'datetime'],
    ['"day "0', undefined],
  ])('dateFormatOf(%j) = %j', (format, kind) => {
    expect(dateFormatOf(format)).toBe(kind);
  });

  it.each([
    ['', 'General', null],
    [2026, 'General', 2026],
    [46083, 'dd-mm-yyyy', '2026-03-02'],
    [46083.5, 'dd-mm-yyyy', '2026-03-02'],
    [46083.5, 'yyyy-mm-dd hh:mm', '2026-03-02T12:00:00'],
    [true, 'General', true],
    ['Utrecht', '@', 'Utrecht'],
  ])('paramValue(%j, %j) = %j', (value, format, param) => {
    expect(paramValue(value, format)).toBe(param);
  });

  it.each([
    ['Period', { name: 'Period' }],
    ['Sheet1!B2', { sheet: 'Sheet1', cell: 'B2' }],
    ['Sheet1!$b$2', { sheet: 'Sheet1', cell: 'B2' }],
    ["'My sheet'!C10", { sheet: 'My sheet', cell: 'C10' }],
    ["'Bob''s'!A1", { sheet: "Bob's", cell: 'A1' }],
    ['Sheet1!B2:C3', undefined],
    ['1abc', undefined],
    ['', undefined],
  ])('parseCellRef(%j)', (ref, parsed) => {
    expect(parseCellRef(ref)).toEqual(parsed);
  });
});
