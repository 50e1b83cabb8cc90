import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXCEL_API, unsupportedHost } from '../../addin/src/host.ts';
import { fakeOffice } from '../helpers/fakeExcel.ts';

describe('the Excel the add-in needs', () => {
  it('is declared in the manifest as the pane checks it', () => {
    const manifest = readFileSync(path.join(import.meta.dirname, '..', '..', 'manifest.xml'), 'utf8');
    expect(manifest).toContain(`<Set Name="ExcelApi" MinVersion="${EXCEL_API}"/>`);
  });

  it.each([
    ['1.8', false], // Excel 2019
    ['1.12', false],
    ['1.13', true],
    ['1.20', true],
    ['2.0', true],
  ])('a host with ExcelApi %s: supported %s', (version, ok) => {
    const office = fakeOffice(version);
    const problem = unsupportedHost((set, v) => office.context.requirements.isSetSupported(set, v));
    expect(problem === undefined).toBe(ok);
    if (!ok) expect(problem).toMatch(/too old for exact-sync.*1\.13.*Nothing was changed/);
  });
});
