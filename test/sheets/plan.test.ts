import { describe, expect, it } from 'vitest';
import { dateSerial } from '../../client-contract/cells.ts';
import { a1, checkSize, chunkRows, clearPlan, planSheet } from '../../client-contract/sheetsPlan.ts';

describe('planSheet', () => {
  it('types the values, gives formats, and marks the date columns', () => {
    const p = planSheet({
      columns: [
        { name: 'id', type: 'integer', kind: 'integer' },
        { name: 'name', type: 'text', kind: 'text' },
        { name: 'day', type: 'date', kind: 'date' },
        { name: 'ok', type: 'boolean', kind: 'boolean' },
        { name: 'x', type: 'jsonb', kind: 'json' },
      ],
      rows: [
        [1, '0012', '2026-03-02', true, { a: 1 }],
        [null, null, null, null, null],
      ],
    });
    expect(p).toEqual({
      header: ['id', 'name', 'day', 'ok', 'x'],
      rows: [
        [1, '0012', '2026-03-02', true, '{"a":1}'],
        ['', '', '', '', ''],
      ],
      formats: ['0', '@', 'yyyy-mm-dd', '', '@'],
      dateColumns: [2],
    });
  });
  it('amounts get two decimals and thousands separators; other numbers Sheets\' automatic format (no "1,234.")', () => {
    const p = planSheet({
      columns: [
        { name: 'amountdc', type: 'numeric', kind: 'number' },
        { name: 'quantity', type: 'numeric', kind: 'number' },
      ],
      rows: [[1234, 2]],
    });
    expect(p.formats).toEqual(['#,##0.00', '']);
  });
  it('date serials as Sheets counts them', () => {
    expect(dateSerial('2026-03-02')).toBe(46083);
    expect(dateSerial('2026-03-02T12:00:00+00:00')).toBe(46083.5);
  });
});

describe('chunkRows', () => {
  it('keeps every write under the byte and cell limits, covering all rows in order', () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => Array.from({ length: 20 }, (_, j) => `r${i}c${j}xxxxxxxx`));
    const chunks = chunkRows(rows);
    expect(chunks[0]![0]).toBe(0);
    expect(chunks.at(-1)![1]).toBe(50_000);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]![0]).toBe(chunks[i - 1]![1]);
    for (const [a, b] of chunks) {
      expect(JSON.stringify(rows.slice(a, b)).length).toBeLessThanOrEqual(2_000_000 + (b - a));
      expect((b - a) * 20).toBeLessThanOrEqual(200_000);
    }
  });
});

describe('clearPlan', () => {
  it.each([
    ['same size', [11, 3, 11, 3], []],
    ['fewer rows: the rows below', [6, 3, 11, 3], [{ row: 7, column: 1, rows: 5, columns: 3 }]],
    ['fewer columns: the columns to the right', [11, 2, 11, 4], [{ row: 1, column: 3, rows: 11, columns: 2 }]],
    [
      'both',
      [6, 2, 11, 4],
      [
        { row: 7, column: 1, rows: 5, columns: 4 },
        { row: 1, column: 3, rows: 6, columns: 2 },
      ],
    ],
    ['more of both: nothing', [20, 5, 11, 3], []],
  ] as const)('%s', (_l, [nr, nc, or, oc], want) => {
    expect(clearPlan(nr, nc, or, oc)).toEqual(want);
  });
});

describe('a1 and checkSize', () => {
  it('writes A1 ranges, quoting sheet names', () => {
    expect(a1(undefined, 1, 1, 10, 3)).toBe('A1:C10');
    expect(a1("Bob's data", 2, 27, 1, 26)).toBe("'Bob''s data'!AA2:AZ2");
  });
  it('refuses more than 10 million cells', () => {
    expect(checkSize(50_000, 20)).toBeUndefined();
    expect(checkSize(1_000_000, 11)).toMatch(/at most 10,000,000/);
  });
});
