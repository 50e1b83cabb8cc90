/**
 * An in-memory workbook behind the part of the Office.js Excel API the add-in uses, with Excel's rules:
 * writes are queued and carried out at context.sync(); a batch whose payload passes 5 MB is refused
 * whole (RequestPayloadSizeLimitExceeded, as Excel on the web does); values or formats whose dimensions
 * do not match their range are refused (InvalidArgument); loaded properties can be read only after a
 * sync (PropertyNotLoaded otherwise); null objects report isNullObject. No vitest import: the browser
 * test loads it into the page too (issue 8).
 *
 * Rules added for issue 18, each from Microsoft's Excel JavaScript API reference (learn.microsoft.com,
 * "Excel.Range", "Excel.Table", "Excel.TableCollection", "Excel specifications and limits"):
 * - a worksheet is 1,048,576 rows × 16,384 columns; a range beyond it is refused (InvalidArgument);
 * - `Range.values`: a string is taken as Excel takes what a user types, unless the cell's number format is
 *   text ("@", where Excel keeps what is entered as entered): one starting with "=" is a formula, one that
 *   reads as a number is that number ("0012" becomes 12); `Range.formulas` reads a cell's formula, or its
 *   value when it has none;
 * - `Table.id` identifies a table in its workbook and stays the same when the table is renamed;
 *   `TableCollection.getItemOrNullObject` takes a name or an id;
 * - `Table.resize`: the headers stay in the same row (here, stricter: the same top-left cell), the table
 *   keeps at least one data row, and the new range may not overlap another table;
 * - `Table.sort.reapply()` sorts the data rows again by the table's sort field, cells moving with their
 *   row; `Table.autoFilter.reapply()` hides again the data rows its criteria leave out. Neither happens
 *   by itself when values change (Microsoft: "TableSort.reapply", "AutoFilter.reapply");
 * - `Table.showTotals`: a shown totals row is the table's last row (Table.getRange includes it); hiding it
 *   takes the row out of the table and keeps what it held, showing it again puts that back in the row
 *   below the data, which must be empty (the strictest reading: the reference says nothing of cells in
 *   the way).
 */

/** Excel's grid ("Excel specifications and limits"). */
export const MAX_ROWS = 1_048_576;
export const MAX_COLUMNS = 16_384;

export const PAYLOAD_LIMIT = 5 * 1024 * 1024;

const utf8 = new TextEncoder();
/**
 * What a value weighs in the request Excel receives: its JSON in UTF-8 bytes (the 5 MB limit of Excel on
 * the web is on the request's size, and a character outside ASCII takes 2 to 4 bytes there).
 */
export const payloadBytes = (value: unknown): number =>
  utf8.encode(typeof value === 'string' ? value : JSON.stringify(value)).length;

export class OfficeError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'RichApi.Error';
  }
}

interface CellData {
  value: unknown;
  format: string;
  /** What was written as a formula (its result is not computed here). */
  formula?: string;
}
interface TableData {
  /** Table.id: stable across renames. */
  id: string;
  name: string;
  sheet: string;
  row: number;
  column: number;
  rows: number;
  columns: number;
  /** The user's sort: a column of the table (0-based) and its direction. */
  sort?: { column: number; ascending: boolean };
  /** The user's filter: a column of the table and the values it shows. */
  filter?: { column: number; values: unknown[] };
  /** A totals row is shown (it is the table's last row). */
  showTotals?: boolean;
  /** What a hidden totals row held, for when it is shown again. */
  totalsRow?: (CellData | undefined)[];
}

export class FakeWorkbookState {
  sheets = new Map<string, Map<string, CellData>>([['Sheet1', new Map()]]);
  tables: TableData[] = [];
  settings = new Map<string, unknown>();
  /** PivotTables: where each is, its source table (by id), its value fields, and the data it last read. */
  pivots: {
    name: string;
    sheet: string;
    row: number;
    column: number;
    source: string;
    data: string[];
    cache: unknown[][];
  }[] = [];
  /** The active worksheet (Worksheet.activate). */
  active = 'Sheet1';
  /** Workbook names that refer to one cell (Name Manager), by name as written. */
  names = new Map<string, { sheet: string; row: number; column: number }>();
  selection = { sheet: 'Sheet1', row: 0, column: 0 };
  syncs = 0;
  suspended = 0;
  /**
   * Value writes queued, in a batch that suspends calculation, before the suspension: each of them
   * recalculated (Application.suspendApiCalculationUntilNextSync suspends "until the next sync"; the
   * strictest reading is that it spares only what comes after it in the batch).
   */
  writesBeforeSuspend = 0;
  /** Ranges whose columns were autofitted (Range.format.autofitColumns). */
  autofitted: string[] = [];
  /** Rows hidden by a table's filter, as "sheet:row". */
  hidden = new Set<string>();
  /** Sizes of the batches sent. */
  batches: number[] = [];
  /**
   * A failure to inject: the sync with this number (counting every sync, see `syncs`) carries out the
   * first half of its operations and then fails, as a batch does when an operation in it fails or the
   * host goes away (Microsoft, "Error handling with the application-specific JavaScript APIs": the
   * operations before the failing one stay done, none after it runs). One failure, then it is cleared.
   */
  failAtSync: number | undefined;

  /**
   * The whole workbook in a canonical form, to compare two states: cells sorted, a cell with no value,
   * no formula and the General format left out (Excel does not tell it from a cell never touched),
   * tables with their size, totals, sort and filter, the settings, and the rows a filter hides.
   */
  canonical(): string {
    const blank = (c: CellData) => c.value === '' && c.formula === undefined && c.format === 'General';
    const cell = (c: CellData) => [c.value, c.formula ?? null, c.format];
    return JSON.stringify({
      sheets: [...this.sheets]
        .map(([n, cells]) => [
          n,
          [...cells]
            .filter(([, c]) => !blank(c))
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, c]) => [k, cell(c)]),
        ])
        .sort(),
      // What a shown totals row held when last hidden is in its cells now, not remembered apart.
      tables: this.tables.map(({ totalsRow, ...t }) => (t.showTotals ? t : { ...t, totalsRow })),
      settings: [...this.settings].sort(),
      hidden: [...this.hidden].sort(),
      pivots: this.pivots,
    });
  }

  cell(sheet: string, row: number, column: number): CellData | undefined {
    return this.sheets.get(sheet)?.get(`${row},${column}`);
  }

  /** The values of a block of cells ('' where empty). */
  block(sheet: string, row: number, column: number, rows: number, columns: number): unknown[][] {
    return Array.from({ length: rows }, (_, r) =>
      Array.from({ length: columns }, (_, c) => this.cell(sheet, row + r, column + c)?.value ?? ''),
    );
  }

  /** The workbook as JSON, and back: a browser test keeps it across reloads of the pane, as Excel keeps the file. */
  dump(): string {
    return JSON.stringify({
      sheets: [...this.sheets].map(([n, cells]) => [n, [...cells]]),
      tables: this.tables,
      settings: [...this.settings],
      names: [...this.names],
      pivots: this.pivots,
      selection: this.selection,
    });
  }

  static restore(text: string | null): FakeWorkbookState {
    const state = new FakeWorkbookState();
    if (!text) return state;
    const d = JSON.parse(text) as {
      sheets: [string, [string, CellData][]][];
      tables: TableData[];
      settings: [string, unknown][];
      names?: [string, { sheet: string; row: number; column: number }][];
      pivots?: FakeWorkbookState['pivots'];
      selection: FakeWorkbookState['selection'];
    };
    state.sheets = new Map(d.sheets.map(([n, cells]) => [n, new Map(cells)]));
    state.tables = d.tables;
    state.settings = new Map(d.settings);
    state.names = new Map(d.names ?? []);
    state.pivots = d.pivots ?? [];
    state.selection = d.selection;
    return state;
  }

  tableValues(name: string): unknown[][] {
    const t = this.tables.find((x) => x.name === name);
    if (!t) throw new Error(`no table ${name}`);
    return this.block(t.sheet, t.row, t.column, t.rows, t.columns);
  }
}

type Op = { bytes: number; run: () => void };

/** A proxy object whose listed properties throw until loaded and synced. */
class Loadable {
  protected readonly ctx: FakeContext;
  private loaded = new Set<string>();
  private pending = new Set<string>();
  constructor(ctx: FakeContext) {
    this.ctx = ctx;
  }
  load(props: string): this {
    for (const p of props.split(',').map((x) => x.trim().replace(/^items\//, ''))) this.pending.add(p);
    this.ctx.onSync(() => {
      for (const p of this.pending) this.loaded.add(p);
      this.refresh();
    });
    return this;
  }
  protected refresh(): void {}
  protected need(prop: string): void {
    if (!this.loaded.has(prop))
      throw new OfficeError(
        'PropertyNotLoaded',
        `The property '${prop}' is not available. Before reading the property's value, call the load method on the containing object and call "context.sync()" on the associated request context.`,
      );
  }
}

function address(sheet: string, row: number, column: number, rows: number, columns: number): string {
  const col = (c: number) => {
    let s = '';
    for (let n = c + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    return s;
  };
  // Excel quotes a sheet name that is not a plain word ('My sheet'!B2, quotes doubled), and writes one cell without ":".
  const name = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(sheet) ? sheet : `'${sheet.replace(/'/g, "''")}'`;
  const first = `${col(column)}${row + 1}`;
  return rows === 1 && columns === 1
    ? `${name}!${first}`
    : `${name}!${first}:${col(column + columns - 1)}${row + rows}`;
}

export class FakeRange extends Loadable {
  readonly sheetName: string;
  readonly r: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
  constructor(ctx: FakeContext, sheet: string, row: number, column: number, rows: number, columns: number) {
    super(ctx);
    this.sheetName = sheet;
    this.r = row;
    this.c = column;
    this.h = rows;
    this.w = columns;
  }
  get rowIndex(): number {
    this.need('rowIndex');
    return this.r;
  }
  get columnIndex(): number {
    this.need('columnIndex');
    return this.c;
  }
  get rowCount(): number {
    this.need('rowCount');
    return this.h;
  }
  get columnCount(): number {
    this.need('columnCount');
    return this.w;
  }
  get address(): string {
    this.need('address');
    return address(this.sheetName, this.r, this.c, this.h, this.w);
  }
  get worksheet(): FakeWorksheet {
    return new FakeWorksheet(this.ctx, this.sheetName);
  }
  /** Range.getCell(row, column): one cell, relative to the range's top-left. */
  getCell(row: number, column: number): FakeRange {
    return new FakeRange(this.ctx, this.sheetName, this.r + row, this.c + column, 1, 1);
  }
  /** A range got by getRange is never a null object; see FakeNamedItem.getRangeOrNullObject. */
  get isNullObject(): boolean {
    return false;
  }
  private matrix(kind: string, v: unknown[][]): void {
    if (!Array.isArray(v) || v.length !== this.h || v.some((row) => !Array.isArray(row) || row.length !== this.w)) {
      throw new OfficeError(
        'InvalidArgument',
        `The argument is invalid or missing or has an incorrect format. (${kind}: ${v.length}×${v[0]?.length ?? 0} for a ${this.h}×${this.w} range)`,
      );
    }
  }
  set values(v: unknown[][]) {
    this.ctx.countWrite();
    this.write('values', v);
  }
  get format(): { autofitColumns(): void } {
    return {
      autofitColumns: () =>
        this.ctx.queue(16, () => {
          this.ctx.state.autofitted.push(address(this.sheetName, this.r, this.c, this.h, this.w));
        }),
    };
  }
  /** Formulas ("=…") or plain values, as Range.formulas takes them. */
  set formulas(v: unknown[][]) {
    this.write('formulas', v);
  }
  private write(kind: 'values' | 'formulas', v: unknown[][]): void {
    this.ctx.queue(payloadBytes(v), () => {
      this.matrix(kind, v);
      const cells = this.ctx.state.sheets.get(this.sheetName)!;
      v.forEach((row, i) =>
        row.forEach((value, j) => {
          const key = `${this.r + i},${this.c + j}`;
          const format = cells.get(key)?.format ?? 'General';
          // A text-formatted cell keeps a value as entered; elsewhere "=…" is a formula.
          const typed = typeof value === 'string' && (kind === 'formulas' || format !== '@');
          if (typed && value.startsWith('=')) cells.set(key, { format, value: '', formula: value });
          else if (typed && format !== '@' && /^[+-]?\d+(\.\d+)?$/.test(value.trim()))
            cells.set(key, { format, value: Number(value) });
          else cells.set(key, { format, value });
        }),
      );
    });
  }
  /** Each cell's value (load 'values' first); here a formula's value is '', as the fake computes nothing. */
  get values(): unknown[][] {
    this.need('values');
    return Array.from({ length: this.h }, (_, i) =>
      Array.from(
        { length: this.w },
        (_, j) => this.ctx.state.cell(this.sheetName, this.r + i, this.c + j)?.value ?? '',
      ),
    );
  }
  /** Each cell's formula, or its value when it has none (load 'formulas' first). */
  get formulas(): unknown[][] {
    this.need('formulas');
    return Array.from({ length: this.h }, (_, i) =>
      Array.from({ length: this.w }, (_, j) => {
        const cell = this.ctx.state.cell(this.sheetName, this.r + i, this.c + j);
        return cell?.formula ?? cell?.value ?? '';
      }),
    );
  }
  /** Each cell's number format (load 'numberFormat' first). */
  get numberFormat(): unknown[][] {
    this.need('numberFormat');
    return Array.from({ length: this.h }, (_, i) =>
      Array.from(
        { length: this.w },
        (_, j) => this.ctx.state.cell(this.sheetName, this.r + i, this.c + j)?.format ?? 'General',
      ),
    );
  }
  set numberFormat(v: unknown[][]) {
    this.ctx.queue(payloadBytes(v), () => {
      this.matrix('numberFormat', v);
      const cells = this.ctx.state.sheets.get(this.sheetName)!;
      v.forEach((row, i) =>
        row.forEach((format, j) => {
          const key = `${this.r + i},${this.c + j}`;
          cells.set(key, { value: cells.get(key)?.value ?? '', format: String(format) });
        }),
      );
    });
  }
  clear(_applyTo?: unknown): void {
    this.ctx.queue(64, () => {
      const cells = this.ctx.state.sheets.get(this.sheetName)!;
      for (let i = 0; i < this.h; i++)
        for (let j = 0; j < this.w; j++) {
          const key = `${this.r + i},${this.c + j}`;
          const old = cells.get(key);
          if (old) cells.set(key, { format: old.format, value: '' });
        }
    });
  }
  getUsedRangeOrNullObject(_valuesOnly?: boolean): FakeUsedRange {
    return new FakeUsedRange(this.ctx, this);
  }
  /**
   * Range.getTables(fullyContained): "the tables that overlap with the range"; with fullyContained true,
   * only those wholly inside it (Microsoft, "Excel.Range.getTables").
   */
  getTables(fullyContained?: boolean): FakeTables {
    const [r, c, h, w] = [this.r, this.c, this.h, this.w];
    return new FakeTables(this.ctx, (t) =>
      t.sheet !== this.sheetName
        ? false
        : fullyContained
          ? t.row >= r && t.row + t.rows <= r + h && t.column >= c && t.column + t.columns <= c + w
          : r < t.row + t.rows && t.row < r + h && c < t.column + t.columns && t.column < c + w,
    );
  }
}

class FakeUsedRange extends Loadable {
  private readonly of: FakeRange;
  private found: { r: number; c: number; h: number; w: number } | undefined;
  constructor(ctx: FakeContext, of: FakeRange) {
    super(ctx);
    this.of = of;
  }
  protected override refresh(): void {
    let minR = Infinity,
      minC = Infinity,
      maxR = -1,
      maxC = -1;
    const cells = this.ctx.state.sheets.get(this.of.sheetName)!;
    for (const [key, cell] of cells) {
      if ((cell.value === '' || cell.value === null || cell.value === undefined) && cell.formula === undefined)
        continue;
      const [r, c] = key.split(',').map(Number) as [number, number];
      if (r < this.of.r || r >= this.of.r + this.of.h || c < this.of.c || c >= this.of.c + this.of.w) continue;
      minR = Math.min(minR, r);
      minC = Math.min(minC, c);
      maxR = Math.max(maxR, r);
      maxC = Math.max(maxC, c);
    }
    this.found = maxR < 0 ? undefined : { r: minR, c: minC, h: maxR - minR + 1, w: maxC - minC + 1 };
  }
  get isNullObject(): boolean {
    return this.found === undefined;
  }
  get address(): string {
    this.need('address');
    return address(this.of.sheetName, this.found!.r, this.found!.c, this.found!.h, this.found!.w);
  }
}

export class FakeTable extends Loadable {
  /** The name or id the table was asked for by (TableCollection.getItem takes either). */
  readonly key: string;
  private seen: TableData | undefined;
  constructor(ctx: FakeContext, key: string) {
    super(ctx);
    this.key = key;
  }
  protected find(): TableData | undefined {
    const tables = this.ctx.state.tables;
    return tables.find((t) => t.id === this.key) ?? tables.find((t) => t.name.toLowerCase() === this.key.toLowerCase());
  }
  private data(): TableData {
    const t = this.find();
    if (!t) throw new OfficeError('ItemNotFound', `The requested resource doesn't exist. (table ${this.key})`);
    return t;
  }
  protected override refresh(): void {
    this.seen = this.find();
  }
  /** The name as loaded (the key until then, for tables listed by a collection). */
  get tableName(): string {
    return this.seen?.name ?? this.find()?.name ?? this.key;
  }
  get name(): string {
    this.need('name');
    return this.tableName;
  }
  set name(v: string) {
    this.ctx.queue(payloadBytes(v), () => {
      const t = this.data();
      if (this.ctx.state.tables.some((x) => x.name.toLowerCase() === v.toLowerCase() && x !== t))
        throw new OfficeError('InvalidArgument', `A table named ${v} exists already.`);
      t.name = v;
    });
  }
  get id(): string {
    this.need('id');
    return this.seen?.id ?? this.data().id;
  }
  get worksheet(): FakeWorksheet {
    return new FakeWorksheet(this.ctx, this.find()?.sheet ?? '');
  }
  getRange(): FakeRange {
    const t = this.data();
    return new FakeRange(this.ctx, t.sheet, t.row, t.column, t.rows, t.columns);
  }
  get showTotals(): boolean {
    this.need('showTotals');
    return (this.seen ?? this.data()).showTotals === true;
  }
  set showTotals(on: boolean) {
    this.ctx.queue(16, () => toggleTotals(this.ctx.state, this.data(), on));
  }
  get sort(): { reapply(): void } {
    return { reapply: () => this.ctx.queue(16, () => sortTable(this.ctx.state, this.data())) };
  }
  get autoFilter(): { reapply(): void } {
    return { reapply: () => this.ctx.queue(16, () => filterTable(this.ctx.state, this.data())) };
  }
  /**
   * Table.delete ("Deletes the table"): the reference says nothing of the cells; the strictest reading
   * for a caller that deletes a table it made is that they stay, so here they do.
   */
  delete(): void {
    this.ctx.queue(16, () => {
      const t = this.data();
      this.ctx.state.tables = this.ctx.state.tables.filter((x) => x !== t);
    });
  }
  resize(range: FakeRange): void {
    this.ctx.queue(64, () => {
      const t = this.data();
      if (range.r !== t.row || range.c !== t.column)
        throw new OfficeError('InvalidArgument', 'The table must keep its top-left cell.');
      if (range.h < 2) throw new OfficeError('InvalidArgument', 'A table needs a header and at least one row.');
      if (overlapsTable(this.ctx.state, range, t))
        throw new OfficeError('InvalidArgument', "A table can't overlap another table.");
      t.rows = range.h;
      t.columns = range.w;
    });
  }
}

function toggleTotals(state: FakeWorkbookState, t: TableData, on: boolean): void {
  if (on === (t.showTotals === true)) return;
  const cells = state.sheets.get(t.sheet)!;
  if (!on) {
    const last = t.row + t.rows - 1;
    t.totalsRow = Array.from({ length: t.columns }, (_, j) => cells.get(`${last},${t.column + j}`));
    for (let j = 0; j < t.columns; j++) cells.delete(`${last},${t.column + j}`);
    t.rows -= 1;
    t.showTotals = false;
    return;
  }
  const below = t.row + t.rows;
  for (let j = 0; j < t.columns; j++) {
    const cell = cells.get(`${below},${t.column + j}`);
    if (cell && (cell.value !== '' || cell.formula !== undefined))
      throw new OfficeError('InvalidOperation', 'The totals row would cover cells in use below the table.');
  }
  (t.totalsRow ?? []).forEach((cell, j) => {
    if (cell && j < t.columns) cells.set(`${below},${t.column + j}`, cell);
  });
  t.rows += 1;
  t.showTotals = true;
}

function sortTable(state: FakeWorkbookState, t: TableData): void {
  if (!t.sort) return;
  const cells = state.sheets.get(t.sheet)!;
  const rows = Array.from({ length: t.rows - 1 - (t.showTotals ? 1 : 0) }, (_, i) =>
    Array.from({ length: t.columns }, (_, j) => cells.get(`${t.row + 1 + i},${t.column + j}`)),
  );
  const { column, ascending } = t.sort;
  const key = (r: (CellData | undefined)[]) => r[column]?.value as string | number;
  rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (ascending ? 1 : -1));
  rows.forEach((r, i) =>
    r.forEach((cell, j) => {
      const at = `${t.row + 1 + i},${t.column + j}`;
      if (cell) cells.set(at, cell);
      else cells.delete(at);
    }),
  );
}

function filterTable(state: FakeWorkbookState, t: TableData): void {
  for (const h of [...state.hidden]) if (h.startsWith(`${t.sheet}:`)) state.hidden.delete(h);
  if (!t.filter) return;
  for (let i = 1; i < t.rows - (t.showTotals ? 1 : 0); i++) {
    const value = state.cell(t.sheet, t.row + i, t.column + t.filter.column)?.value;
    if (!t.filter.values.includes(value)) state.hidden.add(`${t.sheet}:${t.row + i}`);
  }
}

/** Whether `range` overlaps a table of its sheet other than `except`. */
function overlapsTable(state: FakeWorkbookState, range: FakeRange, except?: TableData): boolean {
  return state.tables.some(
    (t) =>
      t !== except &&
      t.sheet === range.sheetName &&
      range.r < t.row + t.rows &&
      t.row < range.r + range.h &&
      range.c < t.column + t.columns &&
      t.column < range.c + range.w,
  );
}

class FakeNullTable extends FakeTable {
  private exists = false;
  protected override refresh(): void {
    super.refresh();
    this.exists = this.find() !== undefined;
  }
  get isNullObject(): boolean {
    return !this.exists;
  }
}

export class FakeTables extends Loadable {
  private readonly filter: (t: TableData) => boolean;
  private snapshot: FakeTable[] = [];
  private readonly sheet: string | undefined;
  constructor(ctx: FakeContext, filter: (t: TableData) => boolean = () => true, sheet?: string) {
    super(ctx);
    this.filter = filter;
    this.sheet = sheet;
  }
  protected override refresh(): void {
    this.snapshot = this.ctx.state.tables.filter(this.filter).map((t) => {
      const table = new FakeTable(this.ctx, t.id);
      (table as unknown as { loaded: Set<string> }).loaded.add('name');
      (table as unknown as { loaded: Set<string> }).loaded.add('id');
      return table;
    });
  }
  get items(): FakeTable[] {
    this.need('name');
    return this.snapshot;
  }
  getItemOrNullObject(nameOrId: string): FakeNullTable {
    return new FakeNullTable(this.ctx, nameOrId);
  }
  add(range: FakeRange, hasHeaders: boolean): FakeTable {
    const state = this.ctx.state;
    const id = `{${(state.tables.length + 1).toString(16).padStart(8, '0')}-${Math.random().toString(16).slice(2, 6)}}`;
    const name = `Table${state.tables.length + 1}_${Math.random().toString(36).slice(2, 6)}`;
    this.ctx.queue(64, () => {
      if (!hasHeaders) throw new Error('the fake only makes tables with headers');
      if (overlapsTable(state, range)) throw new OfficeError('InvalidArgument', "A table can't overlap another table.");
      state.tables.push({
        id,
        name,
        sheet: this.sheet ?? range.sheetName,
        row: range.r,
        column: range.c,
        rows: range.h,
        columns: range.w,
      });
    });
    return new FakeTable(this.ctx, id);
  }
}

export class FakeWorksheet extends Loadable {
  readonly sheetName: string;
  constructor(ctx: FakeContext, name: string) {
    super(ctx);
    this.sheetName = name;
  }
  get name(): string {
    this.need('name');
    return this.sheetName;
  }
  get tables(): FakeTables {
    return new FakeTables(this.ctx, (t) => t.sheet === this.sheetName, this.sheetName);
  }
  get pivotTables(): FakePivotTables {
    return new FakePivotTables(this.ctx, this.sheetName);
  }
  activate(): void {
    this.ctx.queue(16, () => {
      this.ctx.state.active = this.sheetName;
    });
  }
  /** A worksheet got by getItemOrNullObject is null when no sheet has that name (case-insensitive, as Excel's). */
  get isNullObject(): boolean {
    return ![...this.ctx.state.sheets.keys()].some((n) => n.toLowerCase() === this.sheetName.toLowerCase());
  }
  /** Worksheet.getRange(address): one cell in A1 notation here ("B2", "$B$2"); anything else is refused. */
  getRange(a1: string): FakeRange {
    const m = /^\$?([A-Za-z]{1,3})\$?(\d+)$/.exec(a1);
    if (!m) throw new OfficeError('InvalidArgument', `The fake reads one cell in A1 notation, not "${a1}".`);
    const column = [...m[1]!.toUpperCase()].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
    return this.getRangeByIndexes(Number(m[2]) - 1, column, 1, 1);
  }
  getRangeByIndexes(row: number, column: number, rows: number, columns: number): FakeRange {
    if (rows < 1 || columns < 1)
      throw new OfficeError('InvalidArgument', `A range needs at least one row and column (${rows}×${columns}).`);
    if (row < 0 || column < 0 || row + rows > MAX_ROWS || column + columns > MAX_COLUMNS)
      throw new OfficeError(
        'InvalidArgument',
        `The range is outside the worksheet's grid (${MAX_ROWS} × ${MAX_COLUMNS}).`,
      );
    return new FakeRange(this.ctx, this.sheetName, row, column, rows, columns);
  }
  delete(): void {
    this.ctx.queue(16, () => {
      this.ctx.state.sheets.delete(this.sheetName);
      this.ctx.state.tables = this.ctx.state.tables.filter((t) => t.sheet !== this.sheetName);
      this.ctx.state.pivots = this.ctx.state.pivots.filter((p) => p.sheet !== this.sheetName);
    });
  }
}

class FakeWorksheets extends Loadable {
  private snapshot: FakeWorksheet[] = [];
  protected override refresh(): void {
    this.snapshot = [...this.ctx.state.sheets.keys()].map((n) => {
      const s = new FakeWorksheet(this.ctx, n);
      (s as unknown as { loaded: Set<string> }).loaded.add('name');
      return s;
    });
  }
  get items(): FakeWorksheet[] {
    this.need('name');
    return this.snapshot;
  }
  getItemOrNullObject(name: string): FakeWorksheet {
    const found = [...this.ctx.state.sheets.keys()].find((n) => n.toLowerCase() === name.toLowerCase());
    return new FakeWorksheet(this.ctx, found ?? name);
  }
  add(name: string): FakeWorksheet {
    this.ctx.queue(payloadBytes(name), () => {
      if (this.ctx.state.sheets.has(name))
        throw new OfficeError('ItemAlreadyExists', `A sheet named ${name} exists already.`);
      this.ctx.state.sheets.set(name, new Map());
    });
    return new FakeWorksheet(this.ctx, name);
  }
}

/**
 * PivotTables (Microsoft, "Excel.PivotTableCollection", "Excel.PivotTable", ExcelApi 1.8):
 * - `add(name, source, destination)` puts a PivotTable of the source (here: a table) at the destination's
 *   top-left cell; its name must be new (the strictest reading: in the whole workbook, case-insensitive,
 *   as Excel's UI refuses a second report of one name), and it may not land on a table;
 * - a PivotTable reads its source when made and when refreshed, never by itself when the source changes
 *   ("PivotTable.refresh", "PivotTableCollection.refreshAll"): `cache` is what it last read;
 * - `hierarchies.getItem(name)` is a field of the source, by its header; adding one that the source has
 *   not fails when the batch runs.
 */
class FakePivotTables extends Loadable {
  private readonly sheet: string | undefined;
  private names: { name: string }[] = [];
  constructor(ctx: FakeContext, sheet?: string) {
    super(ctx);
    this.sheet = sheet;
  }
  protected override refresh(): void {
    this.names = this.ctx.state.pivots
      .filter((p) => !this.sheet || p.sheet === this.sheet)
      .map((p) => ({ name: p.name }));
  }
  get items(): { name: string }[] {
    this.need('name');
    return this.names;
  }
  refreshAll(): void {
    this.ctx.queue(16, () => {
      for (const p of this.ctx.state.pivots)
        if (!this.sheet || p.sheet === this.sheet) p.cache = pivotSource(this.ctx.state, p.source);
    });
  }
  add(name: string, source: FakeTable, destination: FakeRange): FakePivotTable {
    const state = this.ctx.state;
    this.ctx.queue(payloadBytes(name) + 64, () => {
      if (state.pivots.some((p) => p.name.toLowerCase() === name.toLowerCase()))
        throw new OfficeError('InvalidArgument', `A PivotTable named ${name} exists already.`);
      const t = state.tables.find((x) => x.id === source.key || x.name.toLowerCase() === source.key.toLowerCase());
      if (!t) throw new OfficeError('InvalidArgument', 'The PivotTable source is not in the workbook.');
      if (overlapsTable(state, destination.getCell(0, 0)))
        throw new OfficeError('InvalidArgument', "A PivotTable can't be put on a table.");
      state.pivots.push({
        name,
        sheet: this.sheet ?? destination.sheetName,
        row: destination.r,
        column: destination.c,
        source: t.id,
        data: [],
        cache: pivotSource(state, t.id),
      });
    });
    return new FakePivotTable(this.ctx, name);
  }
}

/** What a PivotTable reads of its source table: header and data rows. */
function pivotSource(state: FakeWorkbookState, tableId: string): unknown[][] {
  const t = state.tables.find((x) => x.id === tableId);
  if (!t) throw new OfficeError('InvalidOperation', 'The PivotTable source is gone.');
  return state.block(t.sheet, t.row, t.column, t.rows - (t.showTotals ? 1 : 0), t.columns);
}

class FakePivotTable {
  private readonly ctx: FakeContext;
  private readonly name: string;
  constructor(ctx: FakeContext, name: string) {
    this.ctx = ctx;
    this.name = name;
  }
  get hierarchies(): { getItem(field: string): { field: string } } {
    return { getItem: (field) => ({ field }) };
  }
  get dataHierarchies(): { add(h: { field: string }): void } {
    return {
      add: (h) =>
        this.ctx.queue(payloadBytes(h.field), () => {
          const p = this.ctx.state.pivots.find((x) => x.name === this.name)!;
          if (!(p.cache[0] ?? []).includes(h.field))
            throw new OfficeError('ItemNotFound', `The PivotTable's source has no field ${h.field}.`);
          p.data.push(h.field);
        }),
    };
  }
}

/**
 * A workbook name (Excel.NamedItem): names are not case-sensitive (Microsoft, "Names in formulas");
 * getRangeOrNullObject is the cell it refers to, null for a name that is not a range.
 */
class FakeNamedItem extends Loadable {
  private readonly key: string;
  private present = false;
  constructor(ctx: FakeContext, key: string) {
    super(ctx);
    this.key = key;
    // isNullObject is known after the next sync, without a load (Microsoft, "*OrNullObject methods and properties").
    ctx.onSync(() => this.refresh());
  }
  private target() {
    return [...this.ctx.state.names].find(([n]) => n.toLowerCase() === this.key.toLowerCase())?.[1];
  }
  protected override refresh(): void {
    this.present = this.target() !== undefined;
  }
  get isNullObject(): boolean {
    return !this.present;
  }
  getRangeOrNullObject(): FakeRange {
    const t = this.target();
    if (!t) throw new OfficeError('InvalidObjectPath', `The name ${this.key} does not exist (a null object was used).`);
    return new FakeRange(this.ctx, t.sheet, t.row, t.column, 1, 1);
  }
}

class FakeSetting extends Loadable {
  private readonly key: string;
  private current: unknown;
  private present = false;
  constructor(ctx: FakeContext, key: string) {
    super(ctx);
    this.key = key;
  }
  protected override refresh(): void {
    this.present = this.ctx.state.settings.has(this.key);
    this.current = this.ctx.state.settings.get(this.key);
  }
  get isNullObject(): boolean {
    return !this.present;
  }
  get value(): unknown {
    this.need('value');
    return this.current;
  }
}

export class FakeContext {
  readonly state: FakeWorkbookState;
  private ops: Op[] = [];
  private after: (() => void)[] = [];
  readonly workbook: {
    tables: FakeTables;
    worksheets: FakeWorksheets;
    settings: { getItemOrNullObject(key: string): FakeSetting; add(key: string, value: unknown): void };
    names: { getItemOrNullObject(name: string): FakeNamedItem };
    pivotTables: FakePivotTables;
    getSelectedRange(): FakeRange;
  };
  /** Value writes queued in this batch so far, and how many before calculation was suspended in it. */
  private writes = 0;
  private beforeSuspend: number | undefined;
  readonly application = {
    suspendApiCalculationUntilNextSync: () => {
      this.state.suspended++;
      this.beforeSuspend ??= this.writes;
    },
  };
  countWrite(): void {
    this.writes++;
  }

  constructor(state: FakeWorkbookState) {
    this.state = state;
    this.workbook = {
      tables: new FakeTables(this),
      worksheets: new FakeWorksheets(this),
      settings: {
        getItemOrNullObject: (key) => new FakeSetting(this, key),
        add: (key, value) =>
          this.queue(payloadBytes(value), () => {
            state.settings.set(key, value);
          }),
      },
      names: { getItemOrNullObject: (name) => new FakeNamedItem(this, name) },
      pivotTables: new FakePivotTables(this),
      getSelectedRange: () =>
        new FakeRange(this, state.selection.sheet, state.selection.row, state.selection.column, 1, 1),
    };
  }

  queue(bytes: number, run: () => void): void {
    this.ops.push({ bytes, run });
  }

  onSync(fn: () => void): void {
    this.after.push(fn);
  }

  async sync(): Promise<void> {
    const ops = this.ops;
    const after = this.after;
    this.ops = [];
    this.after = [];
    this.state.writesBeforeSuspend += this.beforeSuspend ?? 0;
    this.writes = 0;
    this.beforeSuspend = undefined;
    this.state.syncs++;
    const bytes = ops.reduce((s, o) => s + o.bytes, 0);
    this.state.batches.push(bytes);
    if (bytes > PAYLOAD_LIMIT)
      throw new OfficeError(
        'RequestPayloadSizeLimitExceeded',
        `The request payload size has exceeded the limit (${bytes} bytes).`,
      );
    if (this.state.syncs === this.state.failAtSync) {
      this.state.failAtSync = undefined;
      for (const op of ops.slice(0, Math.floor(ops.length / 2))) op.run();
      throw new OfficeError('GeneralException', `Injected failure of sync ${this.state.syncs}.`);
    }
    // Excel carries out a batch in order and stops at the first failure.
    for (const op of ops) op.run();
    for (const fn of after) fn();
  }
}

/**
 * The `Office` global as the pane meets it: `onReady`, and `context.requirements.isSetSupported(name,
 * minVersion)`, true when the host implements that requirement set at `minVersion` or later (Microsoft,
 * "Office.RequirementSetSupport", "Excel JavaScript API requirement sets"). `excelApi`: the newest ExcelApi
 * version this host has (Excel 2019: 1.8; Microsoft 365 in 2026: 1.20).
 */
export function fakeOffice(excelApi: string, state?: FakeWorkbookState) {
  const atLeast = (have: string, want: string) => {
    const [a1 = 0, a2 = 0] = have.split('.').map(Number);
    const [b1 = 0, b2 = 0] = want.split('.').map(Number);
    return a1 > b1 || (a1 === b1 && a2 >= b2);
  };
  return {
    onReady: (cb?: (info: { host: string; platform: string }) => void) =>
      Promise.resolve({ host: 'Excel', platform: 'OfficeOnline' }).then((info) => {
        cb?.(info);
        return info;
      }),
    context: {
      requirements: {
        isSetSupported: (name: string, minVersion = '1.1') => name === 'ExcelApi' && atLeast(excelApi, minVersion),
      },
      /**
       * Office.context.document.settings (the Common API's Office.Settings): the document's own settings,
       * the same store as Excel's workbook.settings here; changes are kept once saveAsync succeeds.
       */
      document: { settings: documentSettings(state ?? new FakeWorkbookState()) },
    },
    AsyncResultStatus: { Succeeded: 'succeeded', Failed: 'failed' },
  };
}

function documentSettings(state: FakeWorkbookState) {
  const pending = new Map<string, unknown>();
  const removed = new Set<string>();
  return {
    get: (key: string) => (removed.has(key) ? null : (pending.get(key) ?? state.settings.get(key) ?? null)),
    set: (key: string, value: unknown) => {
      removed.delete(key);
      pending.set(key, value);
    },
    remove: (key: string) => {
      pending.delete(key);
      removed.add(key);
    },
    saveAsync: (cb?: (r: { status: string; error?: Error }) => void) => {
      for (const [k, v] of pending) state.settings.set(k, v);
      for (const k of removed) state.settings.delete(k);
      pending.clear();
      removed.clear();
      cb?.({ status: 'succeeded' });
    },
  };
}
