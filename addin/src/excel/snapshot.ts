import { chunkRows } from './layout.ts';

/**
 * A block of cells as it was — values, formulas, number formats — read before a refresh or an insert
 * writes there, and written back when that write fails or is cancelled part-way. Office.js has no
 * transaction: a batch that fails stops at the failing operation, the ones before it stay done
 * (Microsoft, "Error handling with the application-specific JavaScript APIs"), and a long write is many
 * batches. Putting the old cells back is how a refresh is all or nothing.
 */

export interface Block {
  sheet: Excel.Worksheet;
  row: number;
  column: number;
  rows: number;
  width: number;
  values: unknown[][];
  /** A cell's formula, or its value when it has none (Range.formulas). */
  formulas: unknown[][];
  formats: unknown[][];
}

/** Cells read per batch: the answer stays well under Excel on the web's 5 MB response limit for usual data. */
const READ_CELLS = 100_000;

export async function readBlock(
  context: Excel.RequestContext,
  sheet: Excel.Worksheet,
  at: { row: number; column: number },
  rows: number,
  width: number,
): Promise<Block> {
  const block: Block = { sheet, ...at, rows, width, values: [], formulas: [], formats: [] };
  const step = Math.max(1, Math.floor(READ_CELLS / width));
  for (let a = 0; a < rows; a += step) {
    const range = sheet.getRangeByIndexes(at.row + a, at.column, Math.min(step, rows - a), width);
    range.load('values,formulas,numberFormat');
    await context.sync();
    block.values.push(...(range.values as unknown[][]));
    block.formulas.push(...(range.formulas as unknown[][]));
    block.formats.push(...(range.numberFormat as unknown[][]));
  }
  return block;
}

/**
 * Writes `block` back: formats first, then values (so text under "@" stays text), then the formulas
 * over the cells that had one, a run of rows per column. `blank` rows get their format and no value (a
 * totals row, which Excel puts back itself when it is shown again).
 */
export async function writeBlock(context: Excel.RequestContext, block: Block, blank?: number): Promise<void> {
  const values = block.values.map((r, i) => (i === blank ? r.map(() => '') : r));
  for (const [a, b] of chunkRows(values as never, block.formats[0]?.map(String) ?? [])) {
    const range = block.sheet.getRangeByIndexes(block.row + a, block.column, b - a, block.width);
    range.numberFormat = block.formats.slice(a, b);
    range.values = values.slice(a, b);
    await context.sync();
  }
  for (const run of formulaRuns(block, blank)) {
    block.sheet.getRangeByIndexes(block.row + run.from, block.column + run.column, run.to - run.from, 1).formulas =
      block.formulas.slice(run.from, run.to).map((r) => [r[run.column]]);
    await context.sync();
  }
}

/** The most rows one formula write carries (a formula is short; this keeps a batch far under 5 MB). */
const RUN_ROWS = 20_000;

/** Rows [from, to) of a block, as a block of their own. */
export function rowsOf(block: Block, from: number, to: number): Block {
  return {
    ...block,
    row: block.row + from,
    rows: to - from,
    values: block.values.slice(from, to),
    formulas: block.formulas.slice(from, to),
    formats: block.formats.slice(from, to),
  };
}

/** Runs of rows, per column, whose cells held a formula; a long run in pieces of RUN_ROWS. */
export function formulaRuns(
  block: Pick<Block, 'formulas' | 'width'>,
  blank?: number,
): { column: number; from: number; to: number }[] {
  const runs: { column: number; from: number; to: number }[] = [];
  const isFormula = (i: number, j: number) => {
    const f = block.formulas[i]?.[j];
    return i !== blank && typeof f === 'string' && f.startsWith('=');
  };
  for (let j = 0; j < block.width; j++) {
    for (let i = 0; i < block.formulas.length; i++) {
      if (!isFormula(i, j)) continue;
      const from = i;
      while (i < block.formulas.length && isFormula(i, j) && i - from < RUN_ROWS) i++;
      runs.push({ column: j, from, to: i });
      i--;
    }
  }
  return runs;
}
