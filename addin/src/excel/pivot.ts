import { MONEY_FORMAT, sheetName } from './layout.ts';
import { readBindings } from './tables.ts';

/**
 * "Insert PivotTable" for an exact-sync table: a PivotTable on a new worksheet whose source is the
 * table itself (so it grows and shrinks with every refresh; Refresh all in Excel's Data tab, or the
 * PivotTable's own refresh, then picks up the new rows). It starts with the sum of the table's first
 * money column, the figure people pivot most; rows and columns are the user's to choose in Excel's
 * field list. PivotTables need ExcelApi 1.8 (the add-in asks for 1.13).
 */
export async function insertPivot(
  context: Excel.RequestContext,
  key: string,
): Promise<{ sheet: string; pivot: string; value: string | undefined }> {
  const binding = Object.values(await readBindings(context)).find((b) => (b.id ?? b.name) === key);
  if (!binding) throw new Error(`${key} is not an exact-sync table.`);
  const table = context.workbook.tables.getItemOrNullObject(binding.id ?? binding.name);
  table.load('name');
  const sheets = context.workbook.worksheets;
  sheets.load('items/name');
  const pivots = context.workbook.pivotTables;
  pivots.load('items/name');
  await context.sync();
  if (table.isNullObject) throw new Error(`The table ${binding.name} is no longer in this workbook.`);
  const sheet = sheets.add(sheetName(`${table.name} pivot`, new Set(sheets.items.map((s) => s.name))));
  const taken = new Set(pivots.items.map((p) => p.name.toLowerCase()));
  let name = `${table.name}_pivot`;
  for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${table.name}_pivot_${n}`;
  const money = binding.columns?.find((_, j) => binding.formats?.[j] === MONEY_FORMAT);
  try {
    // Row 3, as Excel's own "Insert PivotTable" places it: room above for the report filters.
    const pivot = sheet.pivotTables.add(name, table, sheet.getRange('A3'));
    if (money) pivot.dataHierarchies.add(pivot.hierarchies.getItem(money));
    sheet.activate();
    sheet.load('name');
    await context.sync();
    return { sheet: sheet.name, pivot: name, value: money };
  } catch (err) {
    // Nothing half-made stays: the new sheet goes, and the PivotTable on it.
    sheet.delete();
    await context.sync().catch(() => undefined);
    throw err;
  }
}
