import { guidAt, guidPrefix, indexOfGuid } from './ids.ts';
import type { Generated } from './ledger.ts';
import type { EntityDef, FieldDef, Row } from './model.ts';

/**
 * One entity of one division: the generated rows, with the changes made since (writes through the API
 * or the control API) laid over them. Every change takes the next value of the division's Timestamp
 * counter (Exact's rowversion-like Int64, docs/exact-online.md 5.2), so the sync endpoints can serve
 * "everything after Timestamp N" in order without sorting anything.
 */
export class Table {
  readonly def: EntityDef;
  readonly prefix: string;
  private readonly base: Generated;
  private readonly division: DivisionCounter;
  /** Timestamp of generated row i is tsBase + i (until it is changed). */
  tsBase: number;
  private readonly changed = new Map<number, Row>();
  private readonly deleted = new Set<number>();
  /** (Timestamp, index) of every change, in Timestamp order; superseded entries are skipped on read. */
  private readonly log: { ts: number; index: number }[] = [];
  private nextIndex: number | undefined;
  private readonly padded: readonly FieldDef[];

  constructor(
    def: EntityDef,
    base: Generated,
    division: DivisionCounter,
    tsBase: number,
    seed: number,
    divisionCode: number,
    /** The entity whose keys these rows have (sales order headers are the sales orders' rows). */
    keysOf: string = def.name,
  ) {
    this.def = def;
    this.base = base;
    this.division = division;
    this.tsBase = tsBase;
    this.prefix = guidPrefix(seed, divisionCode, keysOf);
    this.nextIndex = base.lazy ? undefined : base.count;
    this.padded = def.fields.filter((f) => f.pad);
  }

  /** The next index to use; a lazy entity's generated rows are counted when first needed. */
  private get next(): number {
    return (this.nextIndex ??= this.base.count);
  }

  private set next(n: number) {
    this.nextIndex = n;
  }

  /** One past the highest index in use: rows live at 0 … end-1 (some may be deleted). */
  get end(): number {
    return this.next;
  }

  get baseCount(): number {
    return this.base.count;
  }

  /** Rows that exist now. */
  get size(): number {
    return this.next - this.deleted.size;
  }

  get(index: number): Row | undefined {
    if (index < 0 || index >= this.next || this.deleted.has(index)) return undefined;
    const changed = this.changed.get(index);
    if (changed) return changed;
    const row = this.base.row(index);
    row.Timestamp = this.tsBase + index;
    for (const f of this.padded) row[f.name] = pad(row[f.name], f);
    return row;
  }

  /** Generated rows with a numeric key (HID) number them from 1. */
  indexOf(id: string): number | undefined {
    if (this.def.keyType === 'Guid') return indexOfGuid(this.prefix, id);
    const n = Number(id.replace(/L$/i, ''));
    if (!Number.isInteger(n) || n < 1) return undefined;
    const index = n - 1;
    const row = this.get(index);
    return row && String(row[this.def.key]) === String(n) ? index : undefined;
  }

  find(id: string): { index: number; row: Row } | undefined {
    const index = this.indexOf(id);
    if (index === undefined) return undefined;
    const row = this.get(index);
    return row ? { index, row } : undefined;
  }

  /** A new row at the next index, with the next Timestamp. */
  insert(fields: Row): Row {
    const index = this.next++;
    const row: Row = {
      ...fields,
      [this.def.key]: this.def.keyType === 'Guid' ? guidAt(this.prefix, index) : (fields[this.def.key] ?? index + 1),
    };
    return this.put(index, row);
  }

  update(index: number, fields: Row): Row {
    const current = this.get(index);
    if (!current) throw new Error(`no row ${index}`);
    return this.put(index, { ...current, ...fields, [this.def.key]: current[this.def.key] });
  }

  remove(index: number): Row | undefined {
    const current = this.get(index);
    if (!current) return undefined;
    this.deleted.add(index);
    this.changed.delete(index);
    return current;
  }

  private put(index: number, row: Row): Row {
    for (const f of this.padded) row[f.name] = pad(row[f.name], f);
    row.Timestamp = this.division.nextTimestamp();
    this.changed.set(index, row);
    this.log.push({ ts: row.Timestamp as number, index });
    return row;
  }

  /** Rows with Timestamp >= `from`, in Timestamp order: untouched generated rows first, then changes. */
  *byTimestamp(from: number): Generator<Row> {
    const start = Math.max(0, from - this.tsBase);
    for (let i = start; i < this.base.count; i++) {
      if (this.changed.has(i) || this.deleted.has(i)) continue;
      yield this.get(i)!;
    }
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid]!.ts < from) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.log.length; k++) {
      const { ts, index } = this.log[k]!;
      const row = this.changed.get(index);
      if (row && row.Timestamp === ts) yield row;
    }
  }

  /** Gives every row a new Timestamp above all current ones (Exact does this when a division moves). */
  restamp(newBase: number): void {
    this.tsBase = newBase;
    const rows = [...this.changed.entries()].sort((a, b) => (a[1].Timestamp as number) - (b[1].Timestamp as number));
    this.log.length = 0;
    for (const [index, row] of rows) {
      row.Timestamp = this.division.nextTimestamp();
      this.log.push({ ts: row.Timestamp as number, index });
    }
  }
}

export interface DivisionCounter {
  nextTimestamp(): number;
}

function pad(value: unknown, f: FieldDef): unknown {
  if (typeof value !== 'string' || !f.pad) return value;
  const v = value.trim();
  return f.pad.left ? v.padStart(f.pad.width, ' ') : v.padEnd(f.pad.width, ' ');
}
