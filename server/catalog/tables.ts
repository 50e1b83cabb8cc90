import { ENTITY_TYPES } from './entityTypes.ts';
import {
  DIVISIONS_ENTITY,
  ENTITY_BY_NAME,
  fieldsAt,
  REFERENCE_ENTITIES,
  type EntityDef,
  type FieldDef,
} from './endpoints.ts';

/**
 * The tables exact-sync offers, as data: for each, where it comes from in Exact, how it is read (the
 * cheapest way Exact allows), its key, and its columns with their PostgreSQL types. Adding a table is
 * adding a line to TABLES.
 */

export type Strategy =
  /** The Sync API: rows changed after the last Timestamp, 1000 a page; deletes come from sync/Deleted. */
  | 'sync'
  /**
   * Entities without a Sync endpoint: rows whose `Modified` is on or after the last one seen (less an
   * overlap), with their lines through `$expand` when they have them; the lines of each parent read are
   * replaced as a whole.
   */
  | 'modified'
  /** Lines read only through their parent (they have no `Modified` of their own). */
  | 'child'
  /** Small reference tables read whole every run; rows not seen are removed. */
  | 'full';

export type PgType = 'uuid' | 'text' | 'integer' | 'bigint' | 'numeric' | 'boolean' | 'timestamptz' | 'date';

export interface Column {
  /** The Exact field. */
  field: string;
  /** The warehouse column: the field in lower case. */
  name: string;
  type: PgType;
  edm: string;
  /** Space-padded CHAR field: trimmed on the way in. */
  trim: boolean;
}

/** Where a table belongs in the console's picker. */
export type Area =
  'Financial' | 'CRM' | 'Sales' | 'Purchase' | 'Inventory' | 'Projects' | 'HR/Payroll' | 'Manufacturing' | 'Documents';

export interface CatalogTable {
  /** Warehouse table name, e.g. `transactionlines`. */
  name: string;
  area: Area;
  /** Synced unless turned off: the finance core (ledger, relations, classifications, dimensions, invoices, entries, VAT, budgets). */
  byDefault: boolean;
  entity: EntityDef;
  strategy: Strategy;
  /** The path read: the sync endpoint for `sync`, the plain one for `full`. */
  path: string;
  /** Exact's key field and its column. */
  key: Column;
  /**
   * The warehouse columns: the union of the fields of the entity's endpoints (plain, sync, bulk), so a
   * column stays when the endpoint read lacks it (NULL then) and a table reads the same whichever way.
   */
  columns: readonly Column[];
  /** The columns the path read serves (Exact's reference, docs/exact-online.md 13): its `$select`. */
  select: readonly Column[];
  /** Columns the path read does not serve: NULL unless another read fills them (README lists them). */
  lacks: readonly Column[];
  /** The Timestamp column, for sync tables. */
  timestamp: Column | undefined;
  /** sync/Deleted entity type whose deletes apply to this table. */
  deletedType: number | undefined;
  /**
   * Days between key sweeps, for tables whose deletes Exact reports nowhere (no sync/Deleted type): all of
   * the table's keys are read and rows Exact no longer has are removed (docs/warehouse.md, "Deletes").
   */
  sweepDays: number | undefined;
  /** Lines read through this table's `$expand` (strategy `modified`). */
  children: { nav: string; table: CatalogTable; foreignKey: Column } | undefined;
  /**
   * How the connection's starting year limits the first sync: `sync` tables start at the Timestamp Exact's
   * SyncTimestamp gives for January 1 (rows modified since then), `modified` tables filter on this date field.
   */
  since:
    | { kind: 'sync_timestamp' }
    | { kind: 'date'; field: string }
    /** Read a year at a time (`$filter=<field> eq <year>`), from the starting year (or five years back) to this one. */
    | { kind: 'years'; field: string }
    | undefined;
}

/** Date-bearing tables and how the starting year applies to them. */
const SINCE: Record<string, CatalogTable['since']> = {
  TransactionLines: { kind: 'sync_timestamp' },
  SalesInvoices: { kind: 'date', field: 'InvoiceDate' },
  SalesOrders: { kind: 'date', field: 'OrderDate' },
  PurchaseEntries: { kind: 'date', field: 'EntryDate' },
  SalesEntries: { kind: 'date', field: 'EntryDate' },
  ReportingBalance: { kind: 'years', field: 'ReportingYear' },
  Receivables: { kind: 'date', field: 'EntryDate' },
};

const PG_TYPES: Record<string, PgType> = {
  Guid: 'uuid',
  String: 'text',
  Int16: 'integer',
  Int32: 'integer',
  Byte: 'integer',
  Int64: 'bigint',
  Double: 'numeric',
  Decimal: 'numeric',
  Boolean: 'boolean',
  DateTime: 'timestamptz',
};

/**
 * Code-like text fields, trimmed on the way in: Exact keeps codes in fixed-width CHAR columns and sends
 * them space-padded (`Accounts.Code` is CHAR(18); `AccountCode` on transaction lines and documents,
 * `Country`, `Legislation`, `Unit`, VAT codes: docs/exact-online.md 4.5). One rule for every endpoint, so
 * `transactionlines.accountcode = accounts.code` joins. Descriptions and names are left as they are.
 */
export function isCodeLike(field: string): boolean {
  return /Code$/.test(field) || ['Country', 'Legislation', 'Unit', 'Currency'].includes(field);
}

/** DateTime fields that are moments although their names end in Date: stamped by Exact when something happened. */
const INSTANT_NAMES = new Set([
  'DeletedDate',
  'DivisionMoveDate',
  'DivisionHRLinkUnlinkDate',
  'ControlledDate',
  'SignalDate',
  'CreatedDate',
  'ModifiedDate',
  'ApprovedDate',
  'RejectedDate',
  'SubmittedDate',
]);

/**
 * Whether an Edm.DateTime field is a calendar date (PostgreSQL `date`) rather than an instant
 * (`timestamptz`). Exact writes both as `/Date(ms)/` of its local wall clock; a date-only value is local
 * midnight (docs/exact-online.md 4.6). The rule (docs/exact-online.md 13):
 * - an instant when Exact's description speaks of a time (`Date and time …`, `datetime`, `time`), when the
 *   name ends in `Time`, or is an audit stamp (`Created`, `Modified`, `Approved`, `…Selected`) or one of
 *   INSTANT_NAMES (moments Exact stamps: when a row was deleted, a division moved, data was checked);
 * - a calendar date when the name ends in `Date` or `Since`, or is `Date`, `From` or `To` (an accrual range),
 *   or a user's free date field (`FreeDateField_01`, "Free date field 1");
 * - an instant otherwise (nothing is cut off a value whose kind is unknown).
 */
export function isCalendarDate(f: Pick<FieldDef, 'name' | 'doc'>): boolean {
  const doc = f.doc ?? '';
  if (/\b(date and time|datetime|date ?time|time)\b/i.test(doc)) return false;
  if (/Time$/.test(f.name) || /^(Created|Modified|Approved)$/.test(f.name) || /Selected$/.test(f.name)) return false;
  if (INSTANT_NAMES.has(f.name)) return false;
  return /(Date|Since)$/.test(f.name) || /^(Date|From|To|FreeDateField_\d+)$/.test(f.name);
}

function column(f: FieldDef): Column | undefined {
  const type = f.type === 'DateTime' && isCalendarDate(f) ? 'date' : PG_TYPES[f.type];
  // Navigation properties and binary content (attachments are downloaded on demand) are not columns.
  if (!type) return undefined;
  return { field: f.name, name: f.name.toLowerCase(), type, edm: f.type, trim: type === 'text' && isCodeLike(f.name) };
}

/** The path a table reads (see CatalogTable.path). */
function readPath(entity: EntityDef, strategy: Strategy, hasChildren: boolean): string {
  if (strategy === 'sync') return entity.syncPath!;
  // Lines come along through $expand, which the plain endpoint serves; without lines the bulk endpoint reads 1000 rows a page.
  if (strategy === 'modified' && !hasChildren && entity.bulkPath) return entity.bulkPath;
  return entity.path;
}

/** The union of the fields of the entity's endpoints, plain first, each name once. */
function unionOfFields(entity: EntityDef): FieldDef[] {
  const byName = new Map<string, FieldDef>();
  for (const fields of entity.served.values()) for (const f of fields) if (!byName.has(f.name)) byName.set(f.name, f);
  return [...byName.values()];
}

/** Exact's service (the path's first segment, or the second under sync/ and bulk/) → the area. */
const AREAS: Record<string, Area> = {
  financial: 'Financial',
  financialtransaction: 'Financial',
  vat: 'Financial',
  budget: 'Financial',
  assets: 'Financial',
  cashflow: 'Financial',
  read: 'Financial',
  crm: 'CRM',
  salesinvoice: 'Sales',
  salesorder: 'Sales',
  sales: 'Sales',
  subscription: 'Sales',
  purchaseentry: 'Purchase',
  salesentry: 'Sales',
  purchaseorder: 'Purchase',
  logistics: 'Inventory',
  inventory: 'Inventory',
  project: 'Projects',
  hrm: 'HR/Payroll',
  users: 'HR/Payroll',
  payroll: 'HR/Payroll',
  manufacturing: 'Manufacturing',
  documents: 'Documents',
  system: 'Financial',
};

/** Entities whose service says little of what a finance team uses them for. */
const AREA_OF_ENTITY: Readonly<Record<string, Area>> = { Costcenters: 'Financial', Costunits: 'Financial' };

export function areaOf(path: string): Area {
  const parts = path.toLowerCase().split('/');
  const service = parts[0] === 'sync' || parts[0] === 'bulk' ? parts[1]! : parts[0]!;
  return AREAS[service] ?? 'Financial';
}

function table(
  entityName: string,
  strategy: Strategy,
  byDefault?: boolean,
  o: { withoutLines?: boolean } = {},
): CatalogTable {
  const entity = entityName === 'Divisions' ? DIVISIONS_ENTITY : ENTITY_BY_NAME.get(entityName);
  if (!entity) throw new Error(`catalog: unknown entity ${entityName}`);
  if (strategy === 'sync' && !entity.syncPath) throw new Error(`catalog: ${entityName} has no sync endpoint`);
  const columns = unionOfFields(entity)
    .map(column)
    .filter((c): c is Column => c !== undefined);
  const timestamp = strategy === 'sync' ? columns.find((c) => c.field === 'Timestamp') : undefined;
  if (strategy === 'sync' && !timestamp) throw new Error(`catalog: ${entity.syncPath} has no Timestamp`);
  const key = columns.find((c) => c.field === entity.key);
  if (!key) throw new Error(`catalog: ${entityName} has no key column`);
  let children: CatalogTable['children'];
  if (strategy === 'modified' && entity.children && !o.withoutLines) {
    const [nav, link] = Object.entries(entity.children)[0]!;
    const child = table(link.entity, 'child');
    const foreignKey = child.columns.find((c) => c.field === link.foreignKey);
    if (!foreignKey) throw new Error(`catalog: ${link.entity} has no ${link.foreignKey}`);
    children = { nav, table: child, foreignKey };
  }
  const path = readPath(entity, strategy, children !== undefined);
  const served = new Set(fieldsAt(entity, path).map((f) => f.name));
  const select = columns.filter((c) => served.has(c.field));
  if (!select.includes(key)) throw new Error(`catalog: ${path} does not serve the key ${key.field}`);
  if (strategy === 'modified' && !select.some((c) => c.field === 'Modified'))
    throw new Error(`catalog: ${path} has no Modified`);
  const area = AREA_OF_ENTITY[entityName] ?? areaOf(entity.path);
  return {
    name: entityName.toLowerCase(),
    area,
    byDefault: byDefault ?? true,
    entity,
    strategy,
    path,
    key,
    columns,
    select,
    lacks: columns.filter((c) => !served.has(c.field)),
    timestamp,
    deletedType: entity.deletedType,
    // Weekly: a sweep reads every key (a page per 60 rows on plain endpoints), and deletes are rare.
    sweepDays: strategy === 'modified' && entity.deletedType === undefined ? 7 : undefined,
    children,
    since: SINCE[entityName],
  };
}

/** Reference entities small enough to read whole every run (and rows gone from Exact go with it). */
const SMALL_LOOKUPS: ReadonlySet<string> = new Set([
  'VATCodes',
  'PaymentConditions',
  'AccountClassifications',
  'AccountClassificationNames',
  'ItemGroups',
  'Warehouses',
]);

/**
 * Of the reference entities, those a new connection syncs by default with the tables above: VAT, payment
 * conditions and terms, budgets, exchange rates, entry headers, account classifications. The rest is a
 * click (or `exact-sync connections tables ID --enable …`) away.
 */
const FINANCE_CORE: ReadonlySet<string> = new Set([
  'VATCodes',
  'PaymentConditions',
  'PaymentTerms',
  'Budgets',
  'ExchangeRates',
  'Transactions',
  'AccountClassifications',
  'AccountClassificationNames',
]);

/** What each table holds, in words for the console (the entity's name in words when not written here). */
const TABLE_TITLES: Readonly<Record<string, string>> = {
  transactionlines: 'Transaction lines (general ledger)',
  glaccounts: 'G/L accounts',
  glclassifications: 'G/L classifications',
  journals: 'Journals',
  financialperiods: 'Financial periods',
  accounts: 'Accounts (customers, suppliers)',
  contacts: 'Contacts',
  addresses: 'Addresses',
  items: 'Items',
  salesinvoices: 'Sales invoices and lines',
  salesorders: 'Sales orders, legacy (headers; Exact is phasing them out: see salesorderheaders)',
  salesorderheaders: 'Sales orders (headers)',
  salesorderlines: 'Sales order lines',
  purchaseentries: 'Purchase entries and lines',
  salesentries: 'Sales entries and lines (sales booked in the ledger)',
  receivables: 'Receivables',
  receivableslist: 'Outstanding receivables',
  payableslist: 'Outstanding payables',
  documents: 'Documents',
  documentattachments: 'Document attachments (metadata)',
  glaccountclassificationmappings: 'G/L account classification mappings (reporting schemes)',
  glschemes: 'G/L reporting schemes',
  costcenters: 'Cost centres',
  costunits: 'Cost units',
  reportingbalance: 'Balances per G/L account, year and period (and cost centre and unit)',
  profitlossoverview: 'Profit and loss: this year and period against last year',
  deleted: 'Deleted records (carries deletes to the other tables)',
};

/** A table's title: written for the hand-described ones, Exact's entity name in words for the others. */
export function titleOf(name: string): string | undefined {
  const written = TABLE_TITLES[name];
  if (written) return written;
  const entity = ALL_TABLE_ENTITY.get(name);
  if (!entity) return undefined;
  // A plural acronym (EmploymentCLAs) stays whole.
  const words = entity
    .replace(/([A-Z]{2,})s$/, '$1_')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(' ')
    .map((w, i) => (/^[A-Z]{2,}_?$/.test(w) ? w.replace('_', 's') : i === 0 ? w : w.toLowerCase()));
  return words.join(' ');
}

export const TABLES: readonly CatalogTable[] = [
  table('GLAccounts', 'sync'),
  table('Accounts', 'sync'),
  table('Contacts', 'sync'),
  table('Addresses', 'sync'),
  table('GLClassifications', 'sync'),
  table('Items', 'sync'),
  table('TransactionLines', 'sync'),
  table('Documents', 'sync'),
  table('DocumentAttachments', 'sync'),
  table('SalesInvoices', 'modified'),
  // Legacy: still offered, off for new connections; its lines are salesorderlines, read through the Sync API.
  table('SalesOrders', 'modified', false, { withoutLines: true }),
  table('SalesOrderHeaders', 'sync'),
  table('SalesOrderLines', 'sync'),
  table('PurchaseEntries', 'modified'),
  table('SalesEntries', 'modified'),
  table('Receivables', 'modified'),
  table('Journals', 'full'),
  table('FinancialPeriods', 'full'),
  table('ReceivablesList', 'full'),
  table('PayablesList', 'full'),
  table('GLAccountClassificationMappings', 'full'),
  table('GLSchemes', 'full'),
  table('Costcenters', 'full'),
  table('Costunits', 'full'),
  table('ReportingBalance', 'full'),
  table('ProfitLossOverview', 'full'),
  // Every entity read as Exact's reference describes it: the Sync API when Exact has one, else `Modified`
  // for entities that have it, else read whole (small lookups).
  ...REFERENCE_ENTITIES.map((e) =>
    table(e.name, e.syncPath ? 'sync' : SMALL_LOOKUPS.has(e.name) ? 'full' : 'modified', FINANCE_CORE.has(e.name)),
  ),
  table('Deleted', 'sync'),
];

/**
 * `divisions`: the administrations the connection reaches (system/Divisions), one row each with
 * `division` = its code. Read whole at the start of every run; its DivisionMoveDate tells when Exact
 * regenerated a division's Timestamps.
 */
export const DIVISIONS_TABLE: CatalogTable = { ...table('Divisions', 'full'), path: 'system/Divisions' };

/** Every table in the warehouse, lines included (they are synced with their parent, not on their own). */
export const ALL_TABLES: readonly CatalogTable[] = [
  ...TABLES,
  ...TABLES.flatMap((t) => (t.children ? [t.children.table] : [])),
];

export const TABLE_BY_NAME: ReadonlyMap<string, CatalogTable> = new Map(TABLES.map((t) => [t.name, t]));

const ALL_TABLE_ENTITY: ReadonlyMap<string, string> = new Map(ALL_TABLES.map((t) => [t.name, t.entity.name]));

/**
 * Entity types Exact still reports under an older number (docs/exact-online.md 5.3): 12 is the legacy
 * SalesOrders, replaced by 32 SalesOrderHeaders; either deletes an order's header.
 */
const DELETED_TYPE_ALIASES: Readonly<Record<number, number>> = { 12: 32 };

/**
 * The warehouse tables (lines tables included) that sync/Deleted's EntityType `n` deletes from: more than
 * one where Exact serves the same entity twice (the legacy `salesorders` and `salesorderheaders` are the
 * same orders, type 32; 12 is its older number).
 */
export function tablesForDeletedType(n: number): CatalogTable[] {
  // For tables with lines (sales invoices 13) Exact does not document whether EntityKey names the header
  // or a line (docs/exact-online.md 5.3): the engine applies it to both (GUIDs are unique).
  const type = DELETED_TYPE_ALIASES[n] ?? n;
  return ALL_TABLES.filter((t) => t.deletedType === type && t.name !== 'deleted');
}

/** The table `entitytype` names for EntityType `n`: the one called as Exact calls the type, else the first. */
export function tableForDeletedType(n: number): CatalogTable | undefined {
  const tables = tablesForDeletedType(n);
  const name = ENTITY_TYPES.find(([k]) => k === n)?.[1].toLowerCase();
  return tables.find((t) => t.name === name) ?? tables[0];
}
