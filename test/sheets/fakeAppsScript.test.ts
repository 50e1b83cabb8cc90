import { describe, expect, it } from 'vitest';
import { FakeSpreadsheet, moveFormula } from '../helpers/fakeAppsScript.ts';

/** The fake SpreadsheetApp's own rules (cited in test/helpers/fakeAppsScript.ts). */

describe('the fake SpreadsheetApp', () => {
  it('a new sheet is 1000 × 26; a range past the grid is refused; rows and columns inserted or deleted move the cells after', () => {
    const book = new FakeSpreadsheet();
    const s = book.insertSheet('A');
    expect([s.getMaxRows(), s.getMaxColumns()]).toEqual([1000, 26]);
    expect(() => s.getRange(1000, 1, 2, 1)).toThrow('outside the dimensions of the sheet');
    s.getRange(2, 2).setValues([['x']]);
    s.insertRowsAfter(1, 3);
    expect(s.value(5, 2)).toBe('x');
    s.insertColumnsAfter(1, 1);
    expect(s.value(5, 3)).toBe('x');
    expect([s.getMaxRows(), s.getMaxColumns()]).toEqual([1003, 27]);
    s.deleteColumns(1, 2);
    expect(s.value(5, 1)).toBe('x');
    s.deleteRows(1, 4);
    expect(s.value(1, 1)).toBe('x');
    expect(() => s.deleteColumns(1, 25)).toThrow("can't delete all the columns");
  });

  it('counts 10 million cells as grid cells of every sheet', () => {
    const book = new FakeSpreadsheet();
    const s = book.getSheets()[0]!;
    s.insertRowsAfter(1000, 383_000); // 384,000 × 26 = 9,984,000
    expect(() => book.insertSheet('B')).toThrow('above the limit of 10000000 cells');
    expect(() => s.insertColumnsAfter(26, 1)).toThrow('above the limit');
    s.deleteColumns(20, 7);
    expect(book.insertSheet('B').getMaxRows()).toBe(1000);
  });

  it('"=…" typed into a cell is a formula unless the cell is plain text; copyTo moves relative row references', () => {
    const s = new FakeSpreadsheet().insertSheet('F');
    s.getRange(1, 1, 1, 2).setValues([['=B1*2', '=1+1']]);
    s.getRange(2, 1)
      .setNumberFormat('@')
      .setValues([['=not a formula']]);
    expect(s.getRange(1, 1, 2, 2).getFormulas()).toEqual([
      ['=B1*2', '=1+1'],
      ['', ''],
    ]);
    expect(s.value(2, 1)).toBe('=not a formula');
    s.getRange(1, 1).copyTo(s.getRange(3, 1, 2, 1));
    expect(s.getRange(3, 1, 2, 1).getFormulas()).toEqual([['=B3*2'], ['=B4*2']]);
    expect(moveFormula('=$A$1+A1+B$2', 3)).toBe('=$A$1+A4+B$2');
  });

  it("shows a Date on the spreadsheet zone's clock, a date serial as its day in every zone", () => {
    for (const [zone, day, time] of [
      ['America/New_York', '2026-03-01', '2026-03-01 19:00:00'],
      ['Asia/Tokyo', '2026-03-02', '2026-03-02 09:00:00'],
    ] as const) {
      const book = new FakeSpreadsheet();
      book.timeZone = zone;
      const s = book.getSheets()[0]!;
      s.getRange(1, 1, 1, 3).setValues([[new Date('2026-03-02T00:00:00Z'), new Date('2026-03-02T00:00:00Z'), 46083]]);
      s.getRange(1, 1).setNumberFormat('yyyy-mm-dd');
      s.getRange(1, 2).setNumberFormat('yyyy-mm-dd hh:mm:ss');
      s.getRange(1, 3).setNumberFormat('yyyy-mm-dd');
      expect([s.displayed(1, 1), s.displayed(1, 2), s.displayed(1, 3)]).toEqual([day, time, '2026-03-02']);
    }
  });
});

describe('the fake Apps Script runtime', () => {
  it('stops an execution after 6 minutes of work, and every later call fails too; the script reads the virtual clock', async () => {
    const { ExecutionClock, clockDate } = await import('../helpers/fakeAppsScriptRuntime.ts');
    const clock = new ExecutionClock();
    const book = new FakeSpreadsheet(clock);
    const ScriptDate = clockDate(clock);
    clock.begin('user');
    const start = ScriptDate.now();
    const s = book.getSheets()[0]!;
    // 1000 × 26 cells at 0.05 ms each: 1.3 s a write.
    s.getRange(1, 1, 1000, 26).setValues(Array.from({ length: 1000 }, () => Array(26).fill('x')));
    expect(new ScriptDate().getTime() - start).toBeGreaterThanOrEqual(1300);
    clock.costs.cellWrite = 20;
    expect(() => s.getRange(1, 1, 1000, 26).setValues(Array.from({ length: 1000 }, () => Array(26).fill('y')))).toThrow(
      'Exceeded maximum execution time',
    );
    expect(() => s.getRange(1, 1).setNote('after')).toThrow('Exceeded maximum execution time');
    clock.begin('trigger');
    expect(() => s.getRange(1, 1).setNote('a new execution')).not.toThrow();
  });

  it('triggers: at most 20; locks: one execution at a time; a property value at most 9 kB', async () => {
    const { ExecutionClock, fakeScriptApp, fakeLockService } = await import('../helpers/fakeAppsScriptRuntime.ts');
    const clock = new ExecutionClock();
    const triggers: { id: string; fn: string }[] = [];
    const app = fakeScriptApp(clock, triggers);
    for (let i = 0; i < 20; i++) app.newTrigger('f').timeBased().after(1000).create();
    expect(() => app.newTrigger('f').timeBased().after(1000).create()).toThrow('too many triggers');
    app.deleteTrigger(app.getProjectTriggers()[0]!);
    expect(app.getProjectTriggers()).toHaveLength(19);
    const lock = { holder: undefined as string | undefined, execution: 'one' };
    const service = fakeLockService(clock, lock);
    expect(service.getDocumentLock().tryLock(1000)).toBe(true);
    lock.execution = 'two';
    expect(service.getDocumentLock().tryLock(1000)).toBe(false);
    expect(() => service.getDocumentLock().waitLock(1000)).toThrow('Lock timeout');
    const { appsScriptWorld } = await import('../helpers/fakeAppsScript.ts');
    const world = appsScriptWorld();
    expect(() => world.documentProps.setProperty('big', 'x'.repeat(9 * 1024 + 1))).toThrow('Argument too large');
    world.documentProps.setProperty('fits', 'x'.repeat(9 * 1024));
    world.clock.begin('trigger');
    expect(() => (world.globals.SpreadsheetApp as { getUi(): unknown }).getUi()).toThrow('from this context');
  });
});
