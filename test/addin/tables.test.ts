/// <reference types="office-js" />
import { OfficeMockObject } from 'office-addin-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { toSheetData, type SheetData } from '../../addin/src/excel/layout.ts';
import {
  boundTables,
  CancelledError,
  insertTable,
  readBindings,
  refreshTable,
  SETTINGS_KEY,
} from '../../addin/src/excel/tables.ts';
import { FakeContext, FakeWorkbookState, OfficeError, PAYLOAD_LIMIT } from '../helpers/fakeExcel.ts';

/** The add-in's Excel module against an in-memory workbook with Excel's rules (test/helpers/fakeExcel.ts), and office-addin-mock. */

beforeAll(() => {
  (globalThis as { Excel?: unknown }).Excel = { ClearApplyTo: { contents: 'Contents', all: 'All' } };
});

const ctx = (state: FakeWorkbookState) => new FakeContext(state) as unknown as Excel.RequestContext;
const source = { kind: 'table' as const, table: 'transactionlines' };

function data(rows: number, columns: number, seed = 0): SheetData {
  return toSheetData({
    columns: Array.from({ length: columns }, (_, j) => ({
      name: `c${j}`,
      type: j % 2 ? 'text' : 'integer',
      kind: j % 2 ? ('text' as const) : ('integer' as const),
    })),
    rows: Array.from({ length: rows }, (_, i) =>
      Array.from({ length: columns }, (_, j) => (j % 2 ? `text ${i + seed}/${j} lorem ipsum` : i + seed + j)),
    ),
  });
}

describe("the fake workbook keeps Excel's rules", () => {
  it('the grid ends at 1,048,576 rows and 16,384 columns; "=" is a formula except in a text-formatted cell', async () => {
    const state = new FakeWorkbookState();
    const c = new FakeContext(state);
    const sheet = c.workbook.worksheets.add('G');
    await c.sync();
    expect(() => sheet.getRangeByIndexes(1_048_575, 0, 2, 1)).toThrow(OfficeError);
    expect(() => sheet.getRangeByIndexes(0, 16_383, 1, 2)).toThrow(OfficeError);
    sheet.getRangeByIndexes(0, 0, 1, 1).numberFormat = [['@']];
    sheet.getRangeByIndexes(0, 0, 1, 2).values = [['=1+1', '=1+1']];
    const read = sheet.getRangeByIndexes(0, 0, 1, 2);
    read.load('formulas');
    await c.sync();
    expect(state.cell('G', 0, 0)).toMatchObject({ value: '=1+1' });
    expect(state.cell('G', 0, 0)!.formula).toBeUndefined();
    expect(state.cell('G', 0, 1)).toMatchObject({ formula: '=1+1' });
    expect(read.formulas).toEqual([['=1+1', '=1+1']]);
    // Text that reads as a number becomes that number, except in a text-formatted cell.
    sheet.getRangeByIndexes(1, 0, 1, 1).numberFormat = [['@']];
    sheet.getRangeByIndexes(1, 0, 1, 2).values = [['0012', '0012']];
    await c.sync();
    expect([state.cell('G', 1, 0)!.value, state.cell('G', 1, 1)!.value]).toEqual(['0012', 12]);
  });

  it('a totals row is the last row of the table; hidden, it keeps what it held; shown, it needs the row below empty', async () => {
    const state = new FakeWorkbookState();
    const c = new FakeContext(state);
    const sheet = c.workbook.worksheets.add('T');
    await c.sync();
    sheet.getRangeByIndexes(0, 0, 3, 1).values = [['n'], [1], ['Total']];
    const table = sheet.tables.add(sheet.getRangeByIndexes(0, 0, 3, 1), true);
    await c.sync();
    state.tables[0]!.showTotals = true;
    table.showTotals = false;
    await c.sync();
    expect(state.tables[0]).toMatchObject({ rows: 2, showTotals: false });
    expect(state.cell('T', 2, 0)).toBeUndefined();
    sheet.getRangeByIndexes(2, 0, 1, 1).values = [['in the way']];
    table.showTotals = true;
    await expect(c.sync()).rejects.toMatchObject({ code: 'InvalidOperation' });
    sheet.getRangeByIndexes(2, 0, 1, 1).clear();
    table.showTotals = true;
    await c.sync();
    expect(state.tables[0]).toMatchObject({ rows: 3, showTotals: true });
    expect(state.cell('T', 2, 0)!.value).toBe('Total');
  });

  it('sort and filter are applied again only when asked (reapply), cells moving with their row', async () => {
    const state = new FakeWorkbookState();
    const c = new FakeContext(state);
    const sheet = c.workbook.worksheets.add('S');
    await c.sync();
    sheet.getRangeByIndexes(0, 0, 4, 2).values = [
      ['n', 'note'],
      [2, 'b'],
      [3, 'c'],
      [1, 'a'],
    ];
    const table = sheet.tables.add(sheet.getRangeByIndexes(0, 0, 4, 2), true);
    await c.sync();
    state.tables[0]!.sort = { column: 0, ascending: true };
    state.tables[0]!.filter = { column: 1, values: ['a', 'c'] };
    expect(state.tableValues(state.tables[0]!.name).slice(1)).toEqual([
      [2, 'b'],
      [3, 'c'],
      [1, 'a'],
    ]);
    table.sort.reapply();
    table.autoFilter.reapply();
    await c.sync();
    expect(state.tableValues(state.tables[0]!.name).slice(1)).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect([...state.hidden]).toEqual(['S:2']);
  });

  it('a table keeps its id when renamed and is found by either; resize may not overlap another table', async () => {
    const state = new FakeWorkbookState();
    const c = new FakeContext(state);
    const sheet = c.workbook.worksheets.add('T');
    await c.sync();
    sheet.getRangeByIndexes(0, 0, 2, 2).values = [
      ['a', 'b'],
      [1, 2],
    ];
    sheet.getRangeByIndexes(0, 4, 2, 1).values = [['x'], [1]];
    const first = sheet.tables.add(sheet.getRangeByIndexes(0, 0, 2, 2), true);
    sheet.tables.add(sheet.getRangeByIndexes(0, 4, 2, 1), true);
    first.load('id');
    await c.sync();
    const id = first.id;
    first.name = 'Renamed';
    await c.sync();
    const byId = c.workbook.tables.getItemOrNullObject(id);
    byId.load('name,id');
    await c.sync();
    expect([byId.name, byId.id]).toEqual(['Renamed', id]);
    byId.resize(sheet.getRangeByIndexes(0, 0, 2, 5));
    await expect(c.sync()).rejects.toMatchObject({ code: 'InvalidArgument' });
    expect(state.tables.find((t) => t.id === id)).toMatchObject({ columns: 2 });
  });

  it('refuses a batch over 5 MB, and values that do not fit their range', async () => {
    const state = new FakeWorkbookState();
    const c = new FakeContext(state);
    const sheet = c.workbook.worksheets.add('Big');
    await c.sync();
    const rows = Array.from({ length: 60_000 }, () => Array(10).fill('xxxxxxxx'));
    sheet.getRangeByIndexes(0, 0, 60_000, 10).values = rows;
    await expect(c.sync()).rejects.toMatchObject({ code: 'RequestPayloadSizeLimitExceeded' });
    expect(JSON.stringify(rows).length).toBeGreaterThan(PAYLOAD_LIMIT);
    sheet.getRangeByIndexes(0, 0, 2, 2).values = [[1, 2, 3]];
    await expect(c.sync()).rejects.toBeInstanceOf(OfficeError);
    expect(state.cell('Big', 0, 0)).toBeUndefined();
  });

  it('counts the payload in UTF-8 bytes: text under 5 MB in characters but over it in bytes is refused', async () => {
    const state = new FakeWorkbookState();
    const c = new FakeContext(state);
    const sheet = c.workbook.worksheets.add('Euro');
    await c.sync();
    // '€' is 1 character and 3 bytes.
    const rows = Array.from({ length: 20_000 }, () => Array(10).fill('€€€€€€€€€€'));
    expect(JSON.stringify(rows).length).toBeLessThan(PAYLOAD_LIMIT);
    expect(Buffer.byteLength(JSON.stringify(rows))).toBeGreaterThan(PAYLOAD_LIMIT);
    sheet.getRangeByIndexes(0, 0, 20_000, 10).values = rows;
    await expect(c.sync()).rejects.toMatchObject({ code: 'RequestPayloadSizeLimitExceeded' });
  });
});

describe('the fake workbook: failures, getTables and Table.delete', () => {
  it('a failing batch carries out the operations before the failure and none after', async () => {
    const state = new FakeWorkbookState();
    const c = new FakeContext(state);
    const sheet = c.workbook.worksheets.add('S');
    await c.sync();
    state.failAtSync = state.syncs + 1;
    for (let i = 0; i < 4; i++) sheet.getRangeByIndexes(i, 0, 1, 1).values = [[i + 1]];
    await expect(c.sync()).rejects.toMatchObject({ code: 'GeneralException' });
    expect(state.block('S', 0, 0, 4, 1)).toEqual([[1], [2], [''], ['']]);
    // One failure only: the next batch goes through.
    sheet.getRangeByIndexes(3, 0, 1, 1).values = [[4]];
    await c.sync();
    expect(state.cell('S', 3, 0)?.value).toBe(4);
  });

  it('names are found without regard to case; a missing name or sheet is a null object after a sync, without a load', async () => {
    const state = new FakeWorkbookState();
    state.sheets.set("Bob's sheet", new Map([['1,1', { value: 42, format: 'General' }]]));
    state.names.set('Period', { sheet: "Bob's sheet", row: 1, column: 1 });
    const c = new FakeContext(state);
    const named = c.workbook.names.getItemOrNullObject('PERIOD');
    const missing = c.workbook.names.getItemOrNullObject('Nope');
    const sheet = c.workbook.worksheets.getItemOrNullObject("bob's SHEET");
    const noSheet = c.workbook.worksheets.getItemOrNullObject('Gone');
    await c.sync();
    expect([named.isNullObject, missing.isNullObject, sheet.isNullObject, noSheet.isNullObject]).toEqual([
      false,
      true,
      false,
      true,
    ]);
    const a = named.getRangeOrNullObject();
    const b = sheet.getRange('$B$2');
    const wide = sheet.getRangeByIndexes(0, 0, 2, 3);
    for (const r of [a, b, wide]) r.load('values,address');
    await c.sync();
    expect([a.values, b.values]).toEqual([[[42]], [[42]]]);
    // Excel's addresses: a sheet name that is not a plain word quoted (quotes doubled); one cell without ":".
    expect([a.address, wide.address]).toEqual(["'Bob''s sheet'!B2", "'Bob''s sheet'!A1:C2"]);
  });

  it('a PivotTable reads its source when made and when refreshed only; names are unique; not on a table; fields are the headers', async () => {
    const state = new FakeWorkbookState();
    state.selection = { sheet: 'Sheet1', row: 0, column: 0 };
    const bound = await insertTable(ctx(state), data(2, 2), { name: 'src', source, syncedAt: null });
    const c = new FakeContext(state);
    const table = c.workbook.tables.getItemOrNullObject(bound.id!);
    const sheet = c.workbook.worksheets.add('P');
    const pivot = sheet.pivotTables.add('Pv', table, sheet.getRange('A3'));
    pivot.dataHierarchies.add(pivot.hierarchies.getItem('c0'));
    await c.sync();
    expect(state.pivots[0]).toMatchObject({
      sheet: 'P',
      row: 2,
      column: 0,
      data: ['c0'],
      cache: state.tableValues('src'),
    });
    state.sheets.get('Sheet1')!.set('1,0', { value: 99, format: '0' });
    expect(state.pivots[0]!.cache[1]![0]).toBe(0);
    c.workbook.pivotTables.refreshAll();
    await c.sync();
    expect(state.pivots[0]!.cache[1]![0]).toBe(99);
    const s1 = c.workbook.getSelectedRange().worksheet;
    for (const bad of [
      () => sheet.pivotTables.add('PV', table, sheet.getRange('H1')),
      () => s1.pivotTables.add('Other', table, s1.getRange('B2')),
      () => sheet.pivotTables.add('Third', table, sheet.getRange('Z1')).dataHierarchies.add({ field: 'nope' }),
    ]) {
      bad();
      await expect(c.sync()).rejects.toBeInstanceOf(OfficeError);
    }
    expect(state.pivots.map((p) => p.name)).toEqual(['Pv', 'Third']);
  });

  it('getTables finds the tables that overlap a range (or lie in it); Table.delete leaves the cells', async () => {
    const state = new FakeWorkbookState();
    state.selection = { sheet: 'Sheet1', row: 2, column: 2 };
    await insertTable(ctx(state), data(2, 2), { name: 't', source, syncedAt: null });
    const c = new FakeContext(state);
    const sheet = c.workbook.getSelectedRange().worksheet;
    const found = [
      sheet.getRangeByIndexes(0, 0, 4, 4).getTables(false),
      sheet.getRangeByIndexes(0, 0, 4, 4).getTables(true),
      sheet.getRangeByIndexes(0, 0, 10, 10).getTables(true),
      sheet.getRangeByIndexes(0, 5, 10, 1).getTables(false),
    ];
    for (const x of found) x.load('items/name');
    await c.sync();
    expect(found.map((x) => x.items.length)).toEqual([1, 0, 1, 0]);
    found[0]!.items[0]!.delete();
    await c.sync();
    expect(state.tables).toEqual([]);
    expect(state.cell('Sheet1', 2, 2)?.value).toBe('c0');
  });
});

describe('insertTable', () => {
  it('inserts 100,000 rows × 20 columns into a new sheet in chunks under the limit, calculation suspended, with progress', async () => {
    const state = new FakeWorkbookState();
    const d = data(100_000, 20);
    const progress: number[] = [];
    const bound = await insertTable(
      ctx(state),
      d,
      { name: 'transactionlines', newSheet: 'Transactions', source, syncedAt: '2026-03-02T08:00:00Z' },
      { onProgress: (n) => progress.push(n) },
    );
    expect(bound).toMatchObject({ name: 'transactionlines', rows: 100_000, source });
    expect(Math.max(...state.batches)).toBeLessThanOrEqual(PAYLOAD_LIMIT);
    expect(progress.at(-1)).toBe(100_000);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(state.suspended).toBe(progress.length + 1);
    // Suspended before the writes of each batch, not after them.
    expect(state.writesBeforeSuspend).toBe(0);
    expect(state.autofitted).toEqual(['Transactions!A1:T100001']);
    const table = state.tables.find((t) => t.name === 'transactionlines')!;
    expect(table).toMatchObject({ sheet: 'Transactions', row: 0, column: 0, rows: 100_001, columns: 20 });
    expect(state.block('Transactions', 0, 0, 2, 3)).toEqual([
      ['c0', 'c1', 'c2'],
      [0, 'text 0/1 lorem ipsum', 2],
    ]);
    expect(state.cell('Transactions', 100_000, 19)).toMatchObject({ value: 'text 99999/19 lorem ipsum', format: '@' });
    expect(state.cell('Transactions', 100_000, 18)).toMatchObject({ value: 100_017, format: '0' });
    const stored = Object.values(JSON.parse(state.settings.get(SETTINGS_KEY) as string) as Record<string, object>);
    expect(stored).toEqual([expect.objectContaining({ id: table.id, name: 'transactionlines', columns: d.header })]);
    expect(stored[0]).toMatchObject({
      rows: 100_000,
      syncedAt: '2026-03-02T08:00:00Z',
    });
  });

  it('keeps every batch under 5 MB in bytes when the text is not ASCII', async () => {
    const state = new FakeWorkbookState();
    const d = toSheetData({
      columns: Array.from({ length: 10 }, (_, j) => ({ name: `c${j}`, type: 'text', kind: 'text' as const })),
      rows: Array.from({ length: 40_000 }, (_, i) => Array.from({ length: 10 }, () => `€${i}€€€€€€€€€`)),
    });
    const bound = await insertTable(ctx(state), d, { name: 'euro', newSheet: 'Euro', source, syncedAt: null });
    expect(bound.rows).toBe(40_000);
    expect(Math.max(...state.batches)).toBeLessThanOrEqual(PAYLOAD_LIMIT);
    expect(state.cell('Euro', 40_000, 9)).toMatchObject({ value: '€39999€€€€€€€€€' });
  });

  it('inserts at the selected cell, but never over cells in use: then the workbook is unchanged', async () => {
    const state = new FakeWorkbookState();
    state.selection = { sheet: 'Sheet1', row: 4, column: 2 };
    state.sheets.get('Sheet1')!.set('6,3', { value: 'keep me', format: 'General' });
    await expect(insertTable(ctx(state), data(5, 3), { name: 't', source, syncedAt: null })).rejects.toThrow(
      /not empty \(Sheet1!D7\)/,
    );
    expect([...state.sheets.get('Sheet1')!.keys()]).toEqual(['6,3']);
    expect(state.tables).toEqual([]);
    state.selection = { sheet: 'Sheet1', row: 10, column: 2 };
    await insertTable(ctx(state), data(5, 3), { name: 't', source, syncedAt: null });
    expect(state.tables[0]).toMatchObject({ name: 't', row: 10, column: 2, rows: 6, columns: 3 });
  });

  it('a cancelled insert leaves nothing behind', async () => {
    const state = new FakeWorkbookState();
    let chunks = 0;
    await expect(
      insertTable(
        ctx(state),
        data(100_000, 20),
        { name: 'x', newSheet: 'X', source, syncedAt: null },
        { onProgress: () => chunks++, cancelled: () => chunks >= 2 },
      ),
    ).rejects.toThrow('Cancelled');
    expect([...state.sheets.keys()]).toEqual(['Sheet1']);
    expect(state.tables).toEqual([]);
    expect(state.settings.size).toBe(0);
  });

  it('gives a table a valid name that is not taken', async () => {
    const state = new FakeWorkbookState();
    await insertTable(ctx(state), data(2, 2), { name: 'Big amounts', newSheet: 'A', source, syncedAt: null });
    await insertTable(ctx(state), data(2, 2), { name: 'Big amounts', newSheet: 'A', source, syncedAt: null });
    expect(state.tables.map((t) => t.name)).toEqual(['Big_amounts', 'Big_amounts_2']);
    // Sheets are named as Excel names copies: "A (2)".
    expect([...state.sheets.keys()]).toEqual(['Sheet1', 'A', 'A (2)']);
  });
});

describe('refreshTable', () => {
  async function inserted(rows: number) {
    const state = new FakeWorkbookState();
    state.selection = { sheet: 'Sheet1', row: 1, column: 1 };
    await insertTable(ctx(state), data(rows, 4), { name: 'lines', source, syncedAt: null });
    return state;
  }

  it('grows the table, keeps its name and the formatting the user gave it, and new rows get the column formats', async () => {
    const state = await inserted(3);
    // The user formats a cell and writes a formula next to the table.
    state.sheets.get('Sheet1')!.set('2,2', { value: 'text 0/1 lorem ipsum', format: 'custom-user-format' });
    state.sheets.get('Sheet1')!.set('2,6', { value: '=SUM(lines[c0])', format: 'General' });
    const bound = await refreshTable(ctx(state), 'lines', data(10, 4, 100), '2026-03-03T00:00:00Z');
    expect(bound).toMatchObject({ rows: 10, syncedAt: '2026-03-03T00:00:00Z' });
    expect(state.tables).toEqual([expect.objectContaining({ name: 'lines', row: 1, column: 1, rows: 11, columns: 4 })]);
    expect(state.tableValues('lines')[1]).toEqual([100, 'text 100/1 lorem ipsum', 102, 'text 100/3 lorem ipsum']);
    expect(state.cell('Sheet1', 2, 2)!.format).toBe('custom-user-format');
    expect(state.cell('Sheet1', 11, 2)!.format).toBe('@');
    expect(state.cell('Sheet1', 2, 6)!.value).toBe('=SUM(lines[c0])');
  });

  it('shrinks the table and clears what the old rows left below', async () => {
    const state = await inserted(20);
    await refreshTable(ctx(state), 'lines', data(5, 4, 7), null);
    expect(state.tables[0]).toMatchObject({ rows: 6 });
    expect(
      state
        .block('Sheet1', 7, 1, 15, 4)
        .flat()
        .every((v) => v === ''),
    ).toBe(true);
    expect(state.tableValues('lines')[5]).toEqual([11, 'text 11/1 lorem ipsum', 13, 'text 11/3 lorem ipsum']);
  });

  it('an empty result leaves the header and one empty row', async () => {
    const state = await inserted(4);
    await refreshTable(ctx(state), 'lines', data(0, 4), null);
    expect(state.tableValues('lines')).toEqual([
      ['c0', 'c1', 'c2', 'c3'],
      ['', '', '', ''],
    ]);
  });

  it('refuses to grow into cells the user has in use to the right', async () => {
    const state = await inserted(3);
    state.sheets.get('Sheet1')!.set('1,5', { value: 'notes', format: 'General' });
    await expect(refreshTable(ctx(state), 'lines', data(3, 6), null)).rejects.toThrow(
      /the cells to the right of lines, and Sheet1!F2 is in use/,
    );
    expect(state.tables[0]).toMatchObject({ columns: 4 });
  });

  it('says so when the table is gone or is not an exact-sync table', async () => {
    const state = await inserted(2);
    state.tables = [];
    await expect(refreshTable(ctx(state), 'lines', data(2, 4), null)).rejects.toThrow('no longer in this workbook');
    await expect(refreshTable(ctx(state), 'other', data(2, 4), null)).rejects.toThrow('not an exact-sync table');
  });

  it('lists the bound tables that still exist, and the one the selection is in', async () => {
    const state = await inserted(2);
    state.selection = { sheet: 'Sheet1', row: 2, column: 2 };
    expect(await boundTables(ctx(state))).toMatchObject({ tables: [{ name: 'lines' }], selected: state.tables[0]!.id });
  });
});

describe('a refresh never damages the workbook (issue 18)', () => {
  async function withFormulaColumn(rows: number) {
    const state = new FakeWorkbookState();
    state.selection = { sheet: 'Sheet1', row: 1, column: 1 };
    const bound = await insertTable(ctx(state), data(rows, 4), { name: 'lines', source, syncedAt: null });
    // The user adds a column to the table: a header and one formula all the way down (a calculated column).
    const t = state.tables[0]!;
    const cells = state.sheets.get('Sheet1')!;
    cells.set(`${t.row},${t.column + 4}`, { value: 'Margin', format: 'General' });
    for (let r = 1; r <= rows; r++)
      cells.set(`${t.row + r},${t.column + 4}`, { value: '', formula: '=[@c0]*2', format: '0.00' });
    t.columns = 5;
    return { state, key: bound.id! };
  }
  const margin = (state: FakeWorkbookState) => {
    const t = state.tables[0]!;
    return Array.from({ length: t.rows }, (_, r) => {
      const cell = state.cell('Sheet1', t.row + r, t.column + t.columns - 1);
      return cell?.formula ?? cell?.value;
    });
  };

  it("keeps a column the user added, formula and format, through refreshes that grow, shrink and change exact-sync's columns", async () => {
    const { state, key } = await withFormulaColumn(3);
    await refreshTable(ctx(state), key, data(6, 4, 10), null);
    expect(state.tables[0]).toMatchObject({ rows: 7, columns: 5 });
    expect(margin(state)).toEqual(['Margin', ...Array(6).fill('=[@c0]*2')]);
    expect(state.cell('Sheet1', 7, 5)).toMatchObject({ formula: '=[@c0]*2', format: '0.00' });
    // The result gains two columns: the user's column moves right with them.
    await refreshTable(ctx(state), key, data(4, 6, 20), null);
    expect(state.tables[0]).toMatchObject({ rows: 5, columns: 7 });
    expect(state.tableValues('lines')[0]).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'Margin']);
    expect(margin(state)).toEqual(['Margin', ...Array(4).fill('=[@c0]*2')]);
    // …and loses three: it moves left, and nothing is left where it was.
    await refreshTable(ctx(state), key, data(2, 3, 30), null);
    expect(state.tables[0]).toMatchObject({ rows: 3, columns: 4 });
    expect(margin(state)).toEqual(['Margin', '=[@c0]*2', '=[@c0]*2']);
    expect(
      state
        .block('Sheet1', 1, 5, 8, 3)
        .flat()
        .every((v) => v === ''),
    ).toBe(true);
    expect([...state.sheets.get('Sheet1')!.values()].filter((c) => c.formula).length).toBe(2);
  });

  it('never writes over cells below the table: it refuses, and the workbook is exactly as before', async () => {
    const { state, key } = await withFormulaColumn(3);
    state.sheets.get('Sheet1')!.set('8,2', { value: 'Total', format: 'General' });
    const before = state.dump();
    await expect(refreshTable(ctx(state), key, data(10, 4), null)).rejects.toThrow(
      /needs the cells below lines, and Sheet1!C9 is in use.*Nothing was changed/,
    );
    expect(state.dump()).toBe(before);
  });

  it('a cancel before the first write changes nothing; a result past the grid is refused first', async () => {
    const { state, key } = await withFormulaColumn(3);
    const before = state.dump();
    await expect(refreshTable(ctx(state), key, data(5, 4), null, { cancelled: () => true })).rejects.toBeInstanceOf(
      CancelledError,
    );
    expect(state.dump()).toBe(before);
    state.tables[0]!.row = 1_048_570;
    await expect(refreshTable(ctx(state), key, data(10, 4), null)).rejects.toThrow(/the worksheet holds 5/);
  });

  it("refuses a result column named like one of the user's (rather than two columns of one name)", async () => {
    const { state, key } = await withFormulaColumn(2);
    const before = state.dump();
    const clashing = toSheetData({
      columns: [{ name: 'Margin', type: 'numeric', kind: 'number' }],
      rows: [[1], [2]],
    });
    await expect(refreshTable(ctx(state), key, clashing, null)).rejects.toThrow(
      /a column Margin, the name of a column you added/,
    );
    expect(state.dump()).toBe(before);
  });

  it('a column new at its place gets its format on the old rows before its values: dates as dates, "0012" as text', async () => {
    const state = new FakeWorkbookState();
    const shaped = (kinds: ('integer' | 'text' | 'date')[], rows: number) =>
      toSheetData({
        columns: kinds.map((kind, j) => ({ name: `k${j}_${kind}`, type: kind, kind })),
        rows: Array.from({ length: rows }, (_, i) =>
          kinds.map((kind) => (kind === 'text' ? `00${i}` : kind === 'date' ? '2026-03-02' : i)),
        ),
      });
    const bound = await insertTable(ctx(state), shaped(['integer', 'integer'], 3), {
      name: 'shape',
      newSheet: 'S',
      source,
      syncedAt: null,
    });
    // The user formats the first column's old rows; that column stays the same and keeps it.
    for (let r = 1; r <= 3; r++) state.sheets.get('S')!.get(`${r},0`)!.format = '#,##0';
    await refreshTable(ctx(state), bound.id!, shaped(['integer', 'text', 'date'], 4), null);
    expect([1, 2, 3].map((r) => state.cell('S', r, 0)!.format)).toEqual(['#,##0', '#,##0', '#,##0']);
    expect([1, 2, 3, 4].map((r) => state.cell('S', r, 1))).toEqual(
      [0, 1, 2, 3].map((i) => ({ value: `00${i}`, format: '@' })),
    );
    expect([1, 2, 3, 4].map((r) => state.cell('S', r, 2)!.format)).toEqual(Array(4).fill('yyyy-mm-dd'));
  });

  it("applies the user's sort and filter again to the new rows, the user's column moving with its row", async () => {
    const { state, key } = await withFormulaColumn(3);
    const t = state.tables[0]!;
    // Sorted by c0 descending, filtered to two values of c0; the user's Margin column holds per-row notes.
    t.sort = { column: 0, ascending: false };
    t.filter = { column: 0, values: [11, 13] };
    const cells = state.sheets.get('Sheet1')!;
    cells.set(`${t.row + 1},${t.column + 4}`, { value: 'first row note', format: 'General' });
    await refreshTable(ctx(state), key, data(5, 4, 10), null);
    const c0 = state
      .tableValues('lines')
      .slice(1)
      .map((r) => r[0]);
    expect(c0).toEqual([14, 13, 12, 11, 10]);
    // The note was on the row of 10: it went with it.
    expect(margin(state).at(-1)).toBe('first row note');
    expect([...state.hidden].sort()).toEqual(['Sheet1:2', 'Sheet1:4', 'Sheet1:6']);
  });

  it("keeps the user's totals row below the data, not counted as data, through growing and shrinking", async () => {
    const state = new FakeWorkbookState();
    state.selection = { sheet: 'Sheet1', row: 0, column: 0 };
    const bound = await insertTable(ctx(state), data(3, 2), { name: 'tot', source, syncedAt: null });
    // The user shows a totals row: a label and a sum under c0.
    const t = state.tables[0]!;
    const cells = state.sheets.get('Sheet1')!;
    cells.set('4,0', { value: 'Total', format: 'General' });
    cells.set('4,1', { value: '', formula: '=SUBTOTAL(109,[c1])', format: 'General' });
    Object.assign(t, { rows: 5, showTotals: true });
    const totalsAt = () => {
      const last = t.row + t.rows - 1;
      return [state.cell('Sheet1', last, 0)?.value, state.cell('Sheet1', last, 1)?.formula];
    };
    const grown = await refreshTable(ctx(state), bound.id!, data(6, 2, 50), null);
    expect(grown.rows).toBe(6);
    expect(t).toMatchObject({ rows: 8, showTotals: true });
    expect(totalsAt()).toEqual(['Total', '=SUBTOTAL(109,[c1])']);
    expect(state.tableValues('tot')[6]![0]).toBe(55);
    await refreshTable(ctx(state), bound.id!, data(2, 2, 70), null);
    expect(t).toMatchObject({ rows: 4, showTotals: true });
    expect(totalsAt()).toEqual(['Total', '=SUBTOTAL(109,[c1])']);
    // Nothing of the old rows or the old totals row is left below.
    expect(
      state
        .block('Sheet1', 4, 0, 6, 2)
        .flat()
        .every((v) => v === ''),
    ).toBe(true);
    expect([...cells.values()].filter((c) => c.formula).length).toBe(1);
  });

  it('follows a table the user renamed (by its id), and a table bound before ids were kept', async () => {
    const { state, key } = await withFormulaColumn(2);
    state.tables[0]!.name = 'Renamed';
    const bound = await refreshTable(ctx(state), key, data(3, 4), null);
    expect(bound).toMatchObject({ id: key, name: 'Renamed', rows: 3 });
    expect((await boundTables(ctx(state))).tables.map((t) => t.name)).toEqual(['Renamed']);
    // A binding of an earlier version: under the table's name, without id or columns (all columns were exact-sync's).
    const old = { name: 'Renamed', source, rows: 3, refreshedAt: 'x', syncedAt: null };
    state.settings.set(SETTINGS_KEY, JSON.stringify({ Renamed: old }));
    state.tables[0]!.columns = 4;
    const again = await refreshTable(ctx(state), 'Renamed', data(2, 4), null);
    expect(again).toMatchObject({ id: key, columns: ['c0', 'c1', 'c2', 'c3'] });
    expect(Object.keys(JSON.parse(state.settings.get(SETTINGS_KEY) as string) as object)).toEqual([key]);
  });
});

describe('all or nothing (issue 18): a failure or a cancel at any step leaves the whole workbook as it was', () => {
  /** A table as users keep one: their formula column, a totals row, sort, filter, and a note under it. */
  async function kept() {
    const state = new FakeWorkbookState();
    state.selection = { sheet: 'Sheet1', row: 1, column: 1 };
    const bound = await insertTable(ctx(state), data(4, 3), { name: 'kept', source, syncedAt: null });
    const t = state.tables[0]!;
    const cells = state.sheets.get('Sheet1')!;
    cells.set(`${t.row},${t.column + 3}`, { value: 'Double', format: 'General' });
    for (let r = 1; r <= 4; r++)
      cells.set(`${t.row + r},${t.column + 3}`, { value: '', formula: '=[@c0]*2', format: '0.00' });
    cells.set(`${t.row + 5},${t.column}`, { value: 'Total', format: 'General' });
    cells.set(`${t.row + 5},${t.column + 3}`, { value: '', formula: '=SUBTOTAL(109,[Double])', format: '0.00' });
    Object.assign(t, { columns: 4, rows: 6, showTotals: true, sort: { column: 0, ascending: false } });
    t.filter = { column: 0, values: [0, 1, 2, 3, 100, 101] };
    cells.set(`${t.row + 40_000},${t.column}`, { value: 'a note far below', format: 'General' });
    return { state, key: bound.id! };
  }

  /** Runs `step` once to count its syncs, then fails each of them in turn on a fresh copy of the workbook. */
  async function failEverySync(
    setup: () => Promise<{ state: FakeWorkbookState; key: string }>,
    step: (c: Excel.RequestContext, key: string) => Promise<unknown>,
  ) {
    const probe = await setup();
    const from = probe.state.syncs;
    await step(ctx(probe.state), probe.key);
    const syncs = probe.state.syncs - from;
    expect(syncs).toBeGreaterThan(3);
    for (let k = 1; k <= syncs; k++) {
      const { state, key } = await setup();
      const before = state.canonical();
      state.failAtSync = state.syncs + k;
      await expect(step(ctx(state), key), `failure at sync ${k} of ${syncs}`).rejects.toThrow(/Injected failure/);
      expect(state.canonical(), `failure at sync ${k} of ${syncs}`).toBe(before);
    }
    return syncs;
  }

  it('refreshes that grow (rows and columns), shrink, and change the kind of a column', async () => {
    const results = [
      data(9, 5, 100),
      data(1, 2, 100),
      toSheetData({
        columns: [
          { name: 'c0', type: 'date', kind: 'date' },
          { name: 'c1', type: 'text', kind: 'text' },
          { name: 'c2', type: 'integer', kind: 'integer' },
        ],
        rows: [['2026-01-02', 'x', 1]],
      }),
    ];
    for (const result of results) await failEverySync(kept, (c, key) => refreshTable(c, key, result, null));
  });

  it('a cancel between chunks of a long refresh puts the rows written back', async () => {
    const { state, key } = await kept();
    const before = state.canonical();
    let chunks = 0;
    await expect(
      refreshTable(ctx(state), key, data(30_000, 20, 5), null, {
        onProgress: () => chunks++,
        cancelled: () => chunks >= 2,
      }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(chunks).toBe(2);
    expect(state.canonical()).toBe(before);
  });

  it('inserts at the selected cell and into a new sheet', async () => {
    const formatted = async () => {
      const state = new FakeWorkbookState();
      state.selection = { sheet: 'Sheet1', row: 2, column: 2 };
      // Cells the user formatted but left empty: an insert that fails gives them their formats back.
      const cells = state.sheets.get('Sheet1')!;
      for (let r = 2; r < 6; r++) cells.set(`${r},2`, { value: '', format: '0.0%' });
      return { state, key: '' };
    };
    await failEverySync(formatted, (c) => insertTable(c, data(3, 3), { name: 'here', source, syncedAt: null }));
    await failEverySync(formatted, (c) =>
      insertTable(c, data(3, 3), { name: 'new', newSheet: 'New', source, syncedAt: null }),
    );
  });

  it('an insert never lands on another table, even one whose rows are empty', async () => {
    const state = new FakeWorkbookState();
    state.selection = { sheet: 'Sheet1', row: 0, column: 0 };
    await insertTable(ctx(state), data(1, 2), { name: 'first', source, syncedAt: null });
    // The user empties its row: no value is left where a second table would start, but the table is there.
    state.sheets.get('Sheet1')!.set('1,0', { value: '', format: '0' });
    state.sheets.get('Sheet1')!.set('1,1', { value: '', format: '@' });
    state.selection = { sheet: 'Sheet1', row: 1, column: 0 };
    const before = state.canonical();
    await expect(insertTable(ctx(state), data(2, 2), { name: 'second', source, syncedAt: null })).rejects.toThrow(
      /not empty \(the table first\)/,
    );
    expect(state.canonical()).toBe(before);
  });
});

describe('readBindings, with office-addin-mock', () => {
  it('reads the stored sources, and an empty map when there are none', async () => {
    const stored = { lines: { name: 'lines', source, rows: 3, refreshedAt: 'x', syncedAt: null } };
    // The item is a property of the mock, so that context.sync() (which syncs the mock's own properties)
    // makes its loaded value readable; isNullObject needs no load in Office.js, so it is set as a plain property.
    const mock = (value: string | undefined) => {
      const m = new OfficeMockObject({
        workbook: {
          settings: {
            item: { value },
            getItemOrNullObject(this: { item: unknown }) {
              return this.item;
            },
          },
        },
      }) as unknown as { workbook: { settings: { item: { isNullObject: boolean } } } };
      m.workbook.settings.item.isNullObject = value === undefined;
      return m as unknown as Excel.RequestContext;
    };
    expect(await readBindings(mock(JSON.stringify(stored)))).toEqual(stored);
    expect(await readBindings(mock(undefined))).toEqual({});
  });
});
