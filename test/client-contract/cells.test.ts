import { describe, expect, it } from 'vitest';
import {
  chunkRows,
  dateSerial,
  isMoneyColumn,
  isoOfSerial,
  resultCells,
  toCell,
  utf8Length,
} from '../../client-contract/cells.ts';

describe('toCell', () => {
  it.each([
    ['integer', null, 'serial', ''],
    ['integer', '42', 'serial', 42],
    ['number', '12.50', 'text', 12.5],
    // Beyond a double's range the text stays exact.
    ['number', '1e400', 'serial', '1e400'],
    ['boolean', true, 'serial', true],
    ['json', { a: [1] }, 'serial', '{"a":[1]}'],
    ['text', '0012', 'serial', '0012'],
    ['date', '2024-01-01', 'serial', 45292],
    ['date', '2024-01-01', 'text', '2024-01-01'],
    ['datetime', '2024-01-01T12:00:00Z', 'serial', 45292.5],
    ['date', 'not a date', 'serial', 'not a date'],
  ] as const)('%s %j as %s → %j', (kind, value, dates, cell) => {
    expect(toCell(kind, value, dates)).toBe(cell);
  });
});

describe('dateSerial in a time zone', () => {
  // A date is its calendar day everywhere; an instant is the wall clock of the zone (summer time included).
  it.each([
    ['2026-03-02', 'America/New_York', '2026-03-02T00:00:00'],
    ['2026-03-02', 'Asia/Tokyo', '2026-03-02T00:00:00'],
    ['2026-03-02T08:00:00Z', 'America/New_York', '2026-03-02T03:00:00'],
    ['2026-03-02T08:00:00Z', 'Europe/Amsterdam', '2026-03-02T09:00:00'],
    ['2026-07-02T08:00:00Z', 'Europe/Amsterdam', '2026-07-02T10:00:00'],
    ['2026-03-02T23:30:00+00:00', 'Asia/Tokyo', '2026-03-03T08:30:00'],
    ['2026-03-02T00:00:00Z', 'UTC', '2026-03-02T00:00:00'],
    // Without an offset (timestamp without time zone) the value is a wall clock already: not moved.
    ['2026-03-02T08:00:00', 'Asia/Tokyo', '2026-03-02T08:00:00'],
    // A zone the runtime does not know: shown in UTC rather than failing.
    ['2026-03-02T08:00:00Z', 'Mars/Olympus', '2026-03-02T08:00:00'],
  ])('%s in %s reads %s', (iso, zone, wall) => {
    const serial = dateSerial(iso, zone)!;
    expect(new Date(Math.round((serial - 25_569) * 86_400_000)).toISOString().slice(0, 19)).toBe(wall);
  });
});

describe('isoOfSerial', () => {
  it('is dateSerial backwards, for days and date-times', () => {
    for (const iso of ['1900-03-01', '2024-02-29', '2026-12-31']) expect(isoOfSerial(dateSerial(iso)!)).toBe(iso);
    expect(isoOfSerial(dateSerial('2026-03-02T18:30:00Z')!)).toBe('2026-03-02T18:30:00');
  });
});

describe('isMoneyColumn', () => {
  // Names from Exact's field lists (server/catalog/reference.json), as the warehouse keeps them, and query aliases.
  it.each([
    ['amountdc', true],
    ['AmountVATFC', true],
    ['amountdiscount', true],
    ['unitprice', true],
    ['costpricestandard', true],
    ['revenuecurrentyear', true],
    ['closingbalancefc', true],
    ['total_amount', true],
    ['quantityinvoiced', false],
    ['exchangerate', false],
    ['vatpercentage', false],
    ['amountprecision', false],
    ['overduereceivableinvoicecount', false],
    ['budgetedhours', false],
    ['discount', false],
    ['netweight', false],
    ['entrynumber', false],
  ] as const)('%s → %s', (name, money) => {
    expect(isMoneyColumn(name)).toBe(money);
  });
});

describe('dateSerial', () => {
  it('counts days from 1899-12-30 as Excel and Google Sheets do', () => {
    expect(dateSerial('1899-12-30')).toBe(0);
    expect(dateSerial('1900-03-01')).toBe(61);
    expect(dateSerial('2026-03-02')).toBe(46083);
    expect(dateSerial('nonsense')).toBeUndefined();
  });
});

describe('resultCells', () => {
  it('names the date columns and converts by kind', () => {
    const r = resultCells(
      {
        columns: [
          { name: 'code', kind: 'text' },
          { name: 'date', kind: 'date' },
          { name: 'amount', kind: 'number' },
        ],
        rows: [['0012', '2024-01-01', '1.5']],
      },
      'serial',
    );
    expect(r).toEqual({ header: ['code', 'date', 'amount'], rows: [['0012', 45292, 1.5]], dateColumns: [1] });
  });
});

describe('utf8Length', () => {
  it.each([
    ['', 0],
    ['abc', 3],
    ['é', 2],
    ['€', 3],
    ['😀', 4],
    ['a€😀', 8],
  ])('%j is %i bytes', (s, n) => {
    expect(utf8Length(s)).toBe(n);
    expect(utf8Length(s)).toBe(Buffer.byteLength(s));
  });
});

describe('chunkRows', () => {
  it('splits by UTF-8 bytes, not characters', () => {
    // Each row is ["€€€€€€€€€€"]: 14 characters of JSON, 34 bytes, plus 1 for the separator.
    const rows = Array.from({ length: 10 }, () => ['€'.repeat(10)]);
    const chunks = chunkRows(rows, 100, 1_000);
    expect(chunks).toEqual([
      [0, 2],
      [2, 4],
      [4, 6],
      [6, 8],
      [8, 10],
    ]);
    for (const [a, b] of chunks) {
      const bytes = rows.slice(a, b).reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0);
      expect(bytes).toBeLessThanOrEqual(100);
    }
  });

  it('keeps to the cell limit and lets a single oversized row go alone', () => {
    expect(
      chunkRows(
        [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
        ],
        1_000_000,
        6,
      ),
    ).toEqual([
      [0, 2],
      [2, 3],
    ]);
    expect(chunkRows([['x'.repeat(50)], ['y']], 10, 100)).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });
});
