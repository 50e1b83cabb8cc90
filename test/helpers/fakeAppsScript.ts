import { spawnSync } from 'node:child_process';
import {
  clockDate,
  ExecutionClock,
  fakeLockService,
  fakeScriptApp,
  PROPERTY_STORE_LIMIT,
  PROPERTY_VALUE_LIMIT,
  type Trigger,
} from './fakeAppsScriptRuntime.ts';

/**
 * Rules added for issue 19, each from Google's Apps Script reference ("Class Sheet", "Class Range",
 * "Class Spreadsheet") and its quotas page:
 * - a sheet has a grid: insertSheet makes 1000 rows × 26 columns; getRange past it throws "The
 *   coordinates of the range are outside the dimensions of the sheet."; insertRowsAfter /
 *   insertColumnsAfter / deleteRows / deleteColumns change it, moving the cells after;
 * - 10 million cells a spreadsheet, counted as grid cells (rows × columns of every sheet), refused when
 *   a sheet, rows or columns would pass it;
 * - a spreadsheet has a time zone (getSpreadsheetTimeZone; a new one gets its creator's, here New York);
 *   a Date written to a cell is an instant and shows as the wall clock of that zone, a number under a
 *   date format is a date serial and shows as that day and time in every zone ("Class Spreadsheet",
 *   "Date-time and number formats");
 * - setValues takes a string as typed input: "=…" becomes a formula unless the cell is formatted as
 *   plain text ("@"); getFormulas gives each cell's formula ('' when none); copyTo copies formulas with
 *   their relative row references moved, as a paste does.
 *
 * Stand-ins for the Apps Script services the module uses, following Google's documented behaviour:
 * SpreadsheetApp (sheets of cells, ranges whose setValues must match their size, 10 million cells a
 * spreadsheet, notes, number formats, menus, prompts, alerts, toasts, sidebars), UrlFetchApp (synchronous,
 * as in Apps Script: a real HTTP request made by a child process; muteHttpExceptions honoured; 50 MB
 * responses at most), PropertiesService (user and document properties), HtmlService. A test loads the
 * built Code.js into a vm context holding these.
 */

export const CELL_LIMIT = 10_000_000;
export const FETCH_RESPONSE_LIMIT = 50 * 1024 * 1024;

/** A property store: values are strings of at most 9 kB, 500 kB a store (fakeAppsScriptRuntime.ts). */
class Props {
  readonly data = new Map<string, string>();
  private readonly clock: ExecutionClock;
  constructor(clock: ExecutionClock) {
    this.clock = clock;
  }
  getProperty(k: string): string | null {
    this.clock.charge(this.clock.costs.call);
    return this.data.get(k) ?? null;
  }
  setProperty(k: string, v: string): this {
    return this.setProperties({ [k]: v });
  }
  setProperties(o: Record<string, string>): this {
    this.clock.charge(this.clock.costs.call);
    for (const v of Object.values(o))
      if (new TextEncoder().encode(String(v)).length > PROPERTY_VALUE_LIMIT)
        throw new Error('Exception: Argument too large: value');
    const next = new Map(this.data);
    for (const [k, v] of Object.entries(o)) next.set(k, String(v));
    const size = [...next].reduce((n, [k, v]) => n + k.length + v.length, 0);
    if (size > PROPERTY_STORE_LIMIT)
      throw new Error(
        'Exception: You have exceeded the property storage quota. Please remove some properties and try again.',
      );
    for (const [k, v] of Object.entries(o)) this.data.set(k, String(v));
    return this;
  }
  deleteProperty(k: string): this {
    this.clock.charge(this.clock.costs.call);
    this.data.delete(k);
    return this;
  }
  getKeys(): string[] {
    this.clock.charge(this.clock.costs.call);
    return [...this.data.keys()];
  }
}

type Cell = { value: unknown; format?: string; formula?: string };

/** A formula copied from `fromRow` to `toRow`: relative row references move by the distance ($-anchored stay). */
export function moveFormula(formula: string, by: number): string {
  return formula.replace(/(\$?[A-Z]{1,3})(\$?)(\d+)/g, (m, col: string, anchor: string, row: string) =>
    anchor ? m : `${col}${Number(row) + by}`,
  );
}

export class FakeSheet {
  readonly cells = new Map<string, Cell>();
  maxRows = 1000;
  maxColumns = 26;
  notes = new Map<string, string>();
  frozenRows = 0;
  boldRows = new Set<number>();
  readonly book: FakeSpreadsheet;
  readonly id: number;
  name: string;
  constructor(book: FakeSpreadsheet, name: string, id: number) {
    this.book = book;
    this.name = name;
    this.id = id;
  }
  getName(): string {
    return this.name;
  }
  getSheetId(): number {
    return this.id;
  }
  getLastRow(): number {
    let m = 0;
    for (const [k, c] of this.cells) if (c.value !== '' || c.formula) m = Math.max(m, Number(k.split(',')[0]));
    return m;
  }
  getLastColumn(): number {
    let m = 0;
    for (const [k, c] of this.cells) if (c.value !== '' || c.formula) m = Math.max(m, Number(k.split(',')[1]));
    return m;
  }
  hidden = false;
  hideSheet(): this {
    this.book.clock.charge(this.book.clock.costs.call);
    this.hidden = true;
    return this;
  }
  getMaxRows(): number {
    return this.maxRows;
  }
  getMaxColumns(): number {
    return this.maxColumns;
  }
  insertRowsAfter(after: number, howMany: number): this {
    this.book.clock.charge(this.book.clock.costs.call * 10);
    this.book.grow(howMany * this.maxColumns);
    this.shift(0, after, howMany);
    this.maxRows += howMany;
    return this;
  }
  insertColumnsAfter(after: number, howMany: number): this {
    this.book.clock.charge(this.book.clock.costs.call * 10);
    this.book.grow(howMany * this.maxRows);
    this.shift(1, after, howMany);
    this.maxColumns += howMany;
    return this;
  }
  deleteRows(position: number, howMany: number): void {
    this.book.clock.charge(this.book.clock.costs.call * 10);
    if (howMany >= this.maxRows) throw new Error("Exception: You can't delete all the rows on the sheet.");
    this.cut(0, position, howMany);
    this.maxRows -= howMany;
  }
  deleteColumns(position: number, howMany: number): void {
    this.book.clock.charge(this.book.clock.costs.call * 10);
    if (howMany >= this.maxColumns) throw new Error("Exception: You can't delete all the columns on the sheet.");
    this.cut(1, position, howMany);
    this.maxColumns -= howMany;
  }
  /** Cells at index > after on the axis (0 rows, 1 columns) move by `by`. */
  private shift(axis: 0 | 1, after: number, by: number): void {
    const moved = [...this.cells].map(([k, c]) => {
      const p = k.split(',').map(Number) as [number, number];
      if (p[axis] > after) p[axis] += by;
      return [`${p[0]},${p[1]}`, c] as const;
    });
    this.cells.clear();
    for (const [k, c] of moved) this.cells.set(k, c);
  }
  private cut(axis: 0 | 1, position: number, howMany: number): void {
    for (const k of [...this.cells.keys()]) {
      const p = k.split(',').map(Number) as [number, number];
      if (p[axis] >= position && p[axis] < position + howMany) this.cells.delete(k);
    }
    this.shift(axis, position + howMany - 1, -howMany);
  }
  setFrozenRows(n: number): void {
    this.frozenRows = n;
  }
  getRange(row: number, column: number, rows = 1, columns = 1): FakeRange {
    if (
      row < 1 ||
      column < 1 ||
      rows < 1 ||
      columns < 1 ||
      row + rows - 1 > this.maxRows ||
      column + columns - 1 > this.maxColumns
    )
      throw new Error(`Exception: The coordinates of the range are outside the dimensions of the sheet.`);
    return new FakeRange(this, row, column, rows, columns);
  }
  value(row: number, column: number): unknown {
    return this.cells.get(`${row},${column}`)?.value ?? '';
  }
  /** The values of the used block, as getDataRange().getValues() would give them. */
  values(): unknown[][] {
    return Array.from({ length: this.getLastRow() }, (_, r) =>
      Array.from({ length: this.getLastColumn() }, (_, c) => this.value(r + 1, c + 1)),
    );
  }
  /**
   * What the cell shows: a date serial under a date format as yyyy-mm-dd (hh:mm:ss when the format has
   * a time), a Date as the spreadsheet zone's wall clock, anything else as it is.
   */
  displayed(row: number, column: number): unknown {
    const cell = this.cells.get(`${row},${column}`);
    const withTime = /h/.test(cell?.format ?? '');
    if (cell?.value instanceof Date) {
      const text = new Intl.DateTimeFormat('sv-SE', {
        timeZone: this.book.timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      }).format(cell.value);
      return withTime ? text : text.slice(0, 10);
    }
    if (typeof cell?.value === 'number' && /y/.test(cell.format ?? '')) {
      const text = new Date(Math.round((cell.value - 25_569) * 86_400_000)).toISOString().replace('T', ' ');
      return withTime ? text.slice(0, 19) : text.slice(0, 10);
    }
    return cell?.value ?? '';
  }
  /** Grid cells: what Google's 10-million-cell limit counts. */
  cellCount(): number {
    return this.maxRows * this.maxColumns;
  }
  /** A value as typed: "=…" is a formula unless the cell is plain text. */
  set(row: number, column: number, value: unknown): void {
    const key = `${row},${column}`;
    const cell = this.cells.get(key);
    if (typeof value === 'string' && value.startsWith('=') && cell?.format !== '@')
      this.cells.set(key, { ...cell, value: '', formula: value });
    else this.cells.set(key, { format: cell?.format, value } as Cell);
  }
}

class FakeRange {
  readonly sheet: FakeSheet;
  readonly row: number;
  readonly column: number;
  readonly rows: number;
  readonly columns: number;
  constructor(sheet: FakeSheet, row: number, column: number, rows: number, columns: number) {
    this.sheet = sheet;
    this.row = row;
    this.column = column;
    this.rows = rows;
    this.columns = columns;
  }
  setValues(values: unknown[][]): this {
    this.sheet.book.clock.writes(this.rows * this.columns);
    if (values.length !== this.rows || values.some((r) => r.length !== this.columns)) {
      throw new Error(
        `Exception: The number of rows in the data does not match the number of rows in the range. The data has ${values.length} but the range has ${this.rows}.`,
      );
    }
    values.forEach((r, i) =>
      r.forEach((v, j) => this.sheet.set(this.row + i, this.column + j, v instanceof Date ? new Date(v.getTime()) : v)),
    );
    return this;
  }
  getA1Notation(): string {
    const col = (c: number) => {
      let out = '';
      for (let n = c; n > 0; n = Math.floor((n - 1) / 26)) out = String.fromCharCode(65 + ((n - 1) % 26)) + out;
      return out;
    };
    const first = `${col(this.column)}${this.row}`;
    return this.rows === 1 && this.columns === 1
      ? first
      : `${first}:${col(this.column + this.columns - 1)}${this.row + this.rows - 1}`;
  }
  /** Each cell's `pick` of its data, read as a block (cost: the cells read). */
  private read<T>(pick: (cell: Cell | undefined) => T): T[][] {
    this.sheet.book.clock.reads(this.rows * this.columns);
    return Array.from({ length: this.rows }, (_, i) =>
      Array.from({ length: this.columns }, (_, j) => pick(this.sheet.cells.get(`${this.row + i},${this.column + j}`))),
    );
  }
  getValues(): unknown[][] {
    return this.read((c) => c?.value ?? '');
  }
  getFormulas(): string[][] {
    return this.read((c) => c?.formula ?? '');
  }
  /** Copies this range over `to` (repeated to fill it), formulas moved as a paste moves them. */
  copyTo(to: FakeRange): void {
    this.sheet.book.clock.writes(to.rows * to.columns);
    for (let i = 0; i < to.rows; i++)
      for (let j = 0; j < to.columns; j++) {
        const from = this.sheet.cells.get(`${this.row + (i % this.rows)},${this.column + (j % this.columns)}`);
        const key = `${to.row + i},${to.column + j}`;
        if (!from) to.sheet.cells.delete(key);
        else
          to.sheet.cells.set(key, {
            ...from,
            ...(from.formula ? { formula: moveFormula(from.formula, to.row + i - (this.row + (i % this.rows))) } : {}),
          });
      }
  }
  setNumberFormat(format: string): this {
    this.sheet.book.clock.writes(this.rows * this.columns);
    for (let i = 0; i < this.rows; i++)
      for (let j = 0; j < this.columns; j++) {
        const key = `${this.row + i},${this.column + j}`;
        this.sheet.cells.set(key, {
          ...this.sheet.cells.get(key),
          value: this.sheet.cells.get(key)?.value ?? '',
          format,
        });
      }
    return this;
  }
  setFontWeight(weight: string): this {
    if (weight === 'bold') this.sheet.boldRows.add(this.row);
    return this;
  }
  clearContent(): this {
    this.sheet.book.clock.writes(this.rows * this.columns);
    for (let i = 0; i < this.rows; i++)
      for (let j = 0; j < this.columns; j++) {
        const key = `${this.row + i},${this.column + j}`;
        const c = this.sheet.cells.get(key);
        if (c) this.sheet.cells.set(key, { format: c.format, value: '' } as Cell);
      }
    return this;
  }
  setNote(note: string): this {
    this.sheet.book.clock.charge(this.sheet.book.clock.costs.call);
    this.sheet.notes.set(`${this.row},${this.column}`, note);
    return this;
  }
}

export class FakeSpreadsheet {
  sheets: FakeSheet[] = [];
  /** The spreadsheet's time zone (File → Settings); a new spreadsheet gets its creator's. */
  timeZone = 'America/New_York';
  active: FakeSheet;
  toasts: string[] = [];
  private nextId = 1;
  /** The execution's clock: every call costs time (fakeAppsScriptRuntime.ts). */
  readonly clock: ExecutionClock;
  constructor(clock: ExecutionClock = new ExecutionClock()) {
    this.clock = clock;
    this.active = this.insertSheet('Sheet1');
  }
  cellCount(): number {
    return this.sheets.reduce((s, x) => s + x.cellCount(), 0);
  }
  /** Refuses to add `cells` grid cells past the 10-million-cell limit. */
  grow(cells: number): void {
    if (this.cellCount() + cells > CELL_LIMIT)
      throw new Error(
        'Exception: This action would increase the number of cells in the workbook above the limit of 10000000 cells.',
      );
  }
  getSheets(): FakeSheet[] {
    return [...this.sheets];
  }
  getSheetByName(name: string): FakeSheet | null {
    return this.sheets.find((s) => s.name === name) ?? null;
  }
  insertSheet(name: string): FakeSheet {
    this.clock.charge(this.clock.costs.call * 10);
    if (this.getSheetByName(name))
      throw new Error(`Exception: A sheet with the name "${name}" already exists. Please enter another name.`);
    if (this.sheets.length) this.grow(1000 * 26);
    const sheet = new FakeSheet(this, name, this.nextId++);
    this.sheets.push(sheet);
    this.active = sheet;
    return sheet;
  }
  /** insertSheet makes the new sheet the active one ("Class Spreadsheet": insertSheet). */
  getActiveSheet(): FakeSheet {
    return this.active;
  }
  setActiveSheet(sheet: FakeSheet): FakeSheet {
    this.clock.charge(this.clock.costs.call);
    this.active = sheet;
    return sheet;
  }
  getSpreadsheetTimeZone(): string {
    return this.timeZone;
  }
  deleteSheet(sheet: FakeSheet): void {
    this.clock.charge(this.clock.costs.call * 10);
    if (this.sheets.length === 1) throw new Error("Exception: You can't remove all the sheets in a document.");
    this.sheets = this.sheets.filter((x) => x !== sheet);
    if (this.active === sheet) this.active = this.sheets[0]!;
  }
  toast(message: string, title?: string): void {
    this.clock.charge(this.clock.costs.call);
    this.toasts.push(`${title ?? ''}: ${message}`);
  }
}

export interface AppsScriptWorld {
  globals: Record<string, unknown>;
  spreadsheet: FakeSpreadsheet;
  userProps: Props;
  documentProps: Props;
  menus: { name: string; items: [string, string][] }[];
  alerts: string[];
  sidebars: { title: string; html: string }[];
  /** Answers the next prompts will get, in order: [button, text]. */
  prompts: ['OK' | 'CANCEL', string][];
  fetches: string[];
  clock: ExecutionClock;
  triggers: Trigger[];
  /** The document lock's holder (an execution's id), and the running execution's id. */
  lock: { holder: string | undefined; execution: string };
}

export function appsScriptWorld(): AppsScriptWorld {
  const clock = new ExecutionClock();
  const spreadsheet = new FakeSpreadsheet(clock);
  const userProps = new Props(clock);
  const documentProps = new Props(clock);
  const world: World = {
    spreadsheet,
    userProps,
    documentProps,
    menus: [],
    alerts: [],
    sidebars: [],
    prompts: [],
    fetches: [],
    clock,
    triggers: [],
    lock: { holder: undefined, execution: 'none' },
  };
  const ui = fakeUi(world);
  const globals: Record<string, unknown> = {
    SpreadsheetApp: {
      getUi: () => {
        if (clock.kind === 'trigger')
          throw new Error('Exception: Cannot call SpreadsheetApp.getUi() from this context.');
        return ui;
      },
      getActiveSpreadsheet: () => spreadsheet,
      getActiveSheet: () => spreadsheet.active,
    },
    PropertiesService: { getUserProperties: () => userProps, getDocumentProperties: () => documentProps },
    HtmlService: {
      createHtmlOutput(html: string) {
        const out = {
          title: '',
          setTitle(t: string) {
            out.title = t;
            return out;
          },
          getContent: () => html,
        };
        return out;
      },
    },
    UrlFetchApp: fakeUrlFetchApp(world),
    ScriptApp: fakeScriptApp(clock, world.triggers),
    LockService: fakeLockService(clock, world.lock),
    Date: clockDate(clock),
    console,
  };
  return { ...world, globals };
}

type World = Omit<AppsScriptWorld, 'globals'>;

/** SpreadsheetApp.getUi(): menus, alerts and prompts (answered from world.prompts), sidebars. */
function fakeUi(world: World) {
  const Button = { OK: 'OK', CANCEL: 'CANCEL' };
  const ui = {
    Button,
    ButtonSet: { OK: 'OK', OK_CANCEL: 'OK_CANCEL' },
    createMenu(name: string) {
      const menu = { name, items: [] as [string, string][] };
      const builder = {
        addItem(caption: string, fn: string) {
          menu.items.push([caption, fn]);
          return builder;
        },
        addSeparator() {
          return builder;
        },
        addToUi() {
          world.menus.push(menu);
        },
      };
      return builder;
    },
    alert(title: string, message?: string) {
      world.alerts.push(message === undefined ? title : `${title}: ${message}`);
      return Button.OK;
    },
    prompt(_title: string, _message: string) {
      const next = world.prompts.shift();
      if (!next) throw new Error('the test gave no answer for this prompt');
      return { getSelectedButton: () => next[0], getResponseText: () => next[1] };
    },
    showSidebar(output: { title: string; getContent(): string }) {
      world.sidebars.push({ title: output.title, html: output.getContent() });
    },
  };
  return ui;
}

/**
 * UrlFetchApp.fetch: synchronous, as in Apps Script, by running the request in a child process; answers
 * over the 50 MB limit and failures are refused as Apps Script refuses them.
 */
function fakeUrlFetchApp(world: World) {
  return {
    fetch(
      url: string,
      params: {
        method?: string;
        headers?: Record<string, string>;
        payload?: string;
        contentType?: string;
        muteHttpExceptions?: boolean;
      } = {},
    ) {
      world.fetches.push(`${(params.method ?? 'get').toUpperCase()} ${url}`);
      const script = `const r = JSON.parse(require('fs').readFileSync(0, 'utf8'));
            fetch(r.url, { method: r.method, headers: r.headers, body: r.body }).then(async (res) => process.stdout.write(JSON.stringify({ status: res.status, body: await res.text() })),
              (e) => process.stdout.write(JSON.stringify({ error: String(e.cause?.code ?? e.message) })));`;
      const headers = {
        ...(params.headers ?? {}),
        ...(params.contentType ? { 'Content-Type': params.contentType } : {}),
      };
      const r = spawnSync(process.execPath, ['-e', script], {
        input: JSON.stringify({ url, method: (params.method ?? 'get').toUpperCase(), headers, body: params.payload }),
        encoding: 'utf8',
        maxBuffer: FETCH_RESPONSE_LIMIT + 1024,
      });
      const answer = JSON.parse(r.stdout || '{"error":"no answer"}') as {
        status?: number;
        body?: string;
        error?: string;
      };
      world.clock.charge(world.clock.costs.fetch + ((answer.body?.length ?? 0) / 1024) * world.clock.costs.fetchPerKb);
      if (answer.error) throw new Error(`Exception: Address unavailable: ${url} (${answer.error})`);
      if (answer.body!.length > FETCH_RESPONSE_LIMIT)
        throw new Error('Exception: The response is too large (over 50 MB).');
      if (answer.status! >= 400 && !params.muteHttpExceptions)
        throw new Error(`Exception: Request failed for ${url} returned code ${answer.status}.`);
      return { getResponseCode: () => answer.status!, getContentText: () => answer.body! };
    },
  };
}
