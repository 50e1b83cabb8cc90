import { isCalendarDate } from '../../catalog/tables.ts';
import { guidAt, guidPrefix, mix } from '../ids.ts';
import { ENTITIES, type EntityDef, type FieldDef, type Row } from '../model.ts';
import { DAY, round2, type LedgerCore } from './core.ts';

/**
 * Rows for the entities no hand-written module generates (HR, payroll, manufacturing, inventory, projects,
 * lookups): made from each endpoint's fields in Exact's reference (docs/exact-online.md 13), by type and
 * name, deterministic per (seed, division, index). What joins rely on holds: a field named after an entity
 * the administration has (`GLAccount`, `Account`, `Item`, `Project`, `Employee`, …) holds a key of a row of
 * that entity; `…Code` and `…Description` beside it are that row's; calendar-date fields are local
 * midnights, moments office hours (catalog/tables.ts isCalendarDate); codes are short and unique.
 */

/** Rows per generated entity: enough to page and join, few enough to cost nothing. */
export const GENERIC_ROWS = 24;

/** Reference fields → the entity whose rows they point at (the entity must be generated or hand-written). */
const POINTS_AT: Record<string, string> = {
  GLAccount: 'GLAccounts',
  Account: 'Accounts',
  Customer: 'Accounts',
  Supplier: 'Accounts',
  OrderedBy: 'Accounts',
  InvoiceTo: 'Accounts',
  DeliverTo: 'Accounts',
  Item: 'Items',
  Contact: 'Contacts',
  Project: 'Projects',
  Employee: 'Employees',
  Employment: 'Employments',
  Warehouse: 'Warehouses',
  ShopOrder: 'ShopOrders',
  Subscription: 'Subscriptions',
  PurchaseOrder: 'PurchaseOrders',
  ItemGroup: 'ItemGroups',
  Schedule: 'Schedules',
  Quotation: 'QuotationHeaders',
  QuotationID: 'QuotationHeaders',
  Classification: 'AccountClassifications',
};

/** How many rows each entity has, for the keys fields point at. */
export type Counts = (entity: string) => number;

export function genericEntity(c: LedgerCore, def: EntityDef, count: Counts): { count: number; row(i: number): Row } {
  const fields = uniqueFields(def);
  // A line's link to its parent (SalesEntryLines.EntryID → SalesEntries), from the parent's navigation.
  const parent = ENTITIES.find((e) => Object.values(e.children ?? {}).some((l) => l.entity === def.name));
  const parentKey = parent ? Object.values(parent.children!).find((l) => l.entity === def.name)!.foreignKey : undefined;
  const n = count(def.name);
  const singular = def.name.replace(/ies$/, 'y').replace(/s$/, '');
  const keyOf = (entity: string, i: number) => guidAt(guidPrefix(c.o.seed, c.o.division, entity), i);
  const value = (f: FieldDef, i: number): unknown => {
    const h = mix(c.seed ^ 0x27d4eb2d, i * 131 + f.name.length * 7 + f.name.charCodeAt(0));
    if (f.name === def.key) return def.keyType === 'Guid' ? keyOf(def.name, i) : i + 1;
    if (f.name === 'Division') return c.o.division;
    const target =
      f.name === parentKey
        ? parent!.name
        : (POINTS_AT[f.name] ?? (f.name.endsWith('ID') ? POINTS_AT[f.name.slice(0, -2)] : undefined));
    if (f.type === 'Guid') {
      if (target && count(target) > 0) return keyOf(target, h % count(target));
      return /^(Creator|Modifier)$/.test(f.name) ? null : h % 3 === 0 ? keyOf(`${def.name}.${f.name}`, i) : null;
    }
    switch (f.type) {
      case 'String':
        if (f.name === 'Code') return `${singular.slice(0, 3).toUpperCase()}${String(i + 1).padStart(3, '0')}`;
        if (f.name === 'Description' || f.name === 'Name') return `${singular} ${i + 1}`;
        if (f.name === 'Currency' || f.name.endsWith('Currency')) return 'EUR';
        if (/Description$|Name$/.test(f.name))
          return h % 2 ? `${f.name.replace(/Description$|Name$/, '')} ${h % 97}` : null;
        return h % 4 === 0 ? `${f.name} ${h % 997}` : null;
      case 'Int16':
      case 'Int32':
      case 'Byte':
        return h % 10;
      case 'Int64':
        return i + 1;
      case 'Double':
      case 'Decimal':
        return round2((h % 1_000_000) / 100);
      case 'Boolean':
        return h % 2 === 0;
      case 'DateTime':
        if (/^(Created|Modified)$/.test(f.name)) return c.stamp(c.startDay + (i % 300) * DAY, i);
        if (isCalendarDate(f)) return h % 5 === 0 ? null : c.startDay + (h % 900) * DAY;
        return h % 5 === 0 ? null : c.stamp(c.startDay + (h % 900) * DAY, h);
      default:
        return null;
    }
  };
  return {
    count: n,
    row: (i) => {
      const row: Row = {};
      for (const f of fields) row[f.name] = value(f, i);
      return row;
    },
  };
}

/** Every scalar field any of the entity's endpoints serves (Timestamp is the store's own). */
function uniqueFields(def: EntityDef): FieldDef[] {
  const byName = new Map<string, FieldDef>();
  for (const list of def.served.values())
    for (const f of list) if (!f.nav && f.type !== 'Binary' && f.name !== 'Timestamp') byName.set(f.name, f);
  return [...byName.values()];
}
