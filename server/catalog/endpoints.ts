import metadata from './metadata.json' with { type: 'json' };

/**
 * Exact Online's endpoints as exact-sync knows them, shared by the sync catalog and the sandbox: paths,
 * keys and fields (names and Edm types from the scraped Exact documentation metadata, see
 * server/sandbox/tools/extractMetadata.ts), plus what the facts document adds: sync and bulk paths,
 * sync/Deleted entity-type numbers, padded CHAR widths, navigation properties.
 */

export type Row = Record<string, unknown>;

export interface FieldDef {
  name: string;
  /** Edm type without the `Edm.` prefix, or the child entity for a navigation property. */
  type: string;
  nav: boolean;
  /** CHAR(n) fields come back space-padded to n (left-padded for codes, right-padded otherwise). */
  pad?: { width: number; left: boolean };
}

export interface EntityDef {
  name: string;
  /** The plain path after /api/v1/{division}/, e.g. `financialtransaction/TransactionLines`. */
  path: string;
  syncPath?: string;
  bulkPath?: string;
  key: string;
  keyType: 'Guid' | 'Int32' | 'Int64';
  /** `__metadata.type`. */
  type: string;
  methods: ReadonlySet<string>;
  fields: readonly FieldDef[];
  fieldByLower: ReadonlyMap<string, FieldDef>;
  /** sync/Deleted EntityType number (docs/exact-online.md 5.3). */
  deletedType?: number;
  /** Navigation property → child entity and the child's field that points back. */
  children?: Readonly<Record<string, { entity: string; foreignKey: string }>>;
}

type Meta = Record<string, { uri: string; methods: string[]; key: string; fields: [string, string][] }>;
const META = metadata as unknown as Meta;

/** Fields docs/exact-online.md reports as space-padded CHAR columns. */
const PADDED: Record<string, Record<string, { width: number; left: boolean }>> = {
  Accounts: { Code: { width: 18, left: true }, Country: { width: 3, left: false } },
  Contacts: { Country: { width: 3, left: false } },
  Items: { Unit: { width: 8, left: false }, SalesVatCode: { width: 3, left: false } },
  Divisions: {
    Country: { width: 3, left: false },
    Legislation: { width: 3, left: false },
    CustomerCode: { width: 18, left: true },
  },
  Me: { DivisionCustomerCode: { width: 18, left: true }, CustomerCode: { width: 18, left: true } },
};

/**
 * Fields Exact added after the 2021 metadata, seen in the 2026 recordings (test/fixtures/exact) or in
 * PICQER's 2025 models (docs/exact-online.md 7, 9). Types follow the recorded values.
 */
const NEWER: Record<string, [string, string][]> = {
  Accounts: [
    ['AddressSource', 'Int16'],
    ['AutomaticProcessProposedEntry', 'Int16'],
    ['ClientGroup', 'Guid'],
    ['ClientGroupDescription', 'String'],
    ['CustomField', 'String'],
    ['EnableSalesPaymentLink', 'Boolean'],
    ['EORINumber', 'String'],
    ['IncotermAddressPurchase', 'String'],
    ['IncotermAddressSales', 'String'],
    ['IncotermCodePurchase', 'String'],
    ['IncotermCodeSales', 'String'],
    ['IncotermVersionPurchase', 'Int16'],
    ['IncotermVersionSales', 'Int16'],
    ['PeppolIdentifier', 'String'],
    ['PeppolIdentifierType', 'Int32'],
    ['Source', 'Int16'],
  ],
  Me: [
    ['CustomerCode', 'String'],
    ['IsEmployeeSelfServiceUser', 'Boolean'],
    ['IsMyFirmLiteUser', 'Boolean'],
    ['IsOEIMigrationMandatory', 'Boolean'],
    ['IsStarterUser', 'Boolean'],
    ['PackageCode', 'String'],
  ],
  Journals: [['CustomField', 'String']],
  Documents: [
    ['ActionRegenerateEntryProposal', 'Boolean'],
    ['ContractID', 'Guid'],
    ['ContractNumber', 'Int32'],
    ['CostcenterCode', 'String'],
    ['CostcenterDescription', 'String'],
    ['CostunitCode', 'String'],
    ['CostunitDescription', 'String'],
    ['EntryStatusDescription', 'String'],
    ['InheritShare', 'Boolean'],
    ['Item', 'Guid'],
    ['ItemCode', 'String'],
    ['ItemDescription', 'String'],
    ['ProposedEntryStatus', 'Int16'],
    ['ScanServiceStatus', 'Int16'],
    ['TeamsMeetingId', 'String'],
  ],
  Divisions: [
    ['ArchiveDate', 'DateTime'],
    ['DivisionHRLinkUnlinkDate', 'DateTime'],
    ['IsHRDivision', 'Boolean'],
    ['IsPracticeDivision', 'Boolean'],
  ],
  TransactionLines: [
    ['CustomField', 'String'],
    ['ExternalLinkDescription', 'String'],
    ['ExternalLinkReference', 'String'],
  ],
};

const EDM = new Set([
  'Guid',
  'String',
  'Int16',
  'Int32',
  'Int64',
  'Double',
  'Boolean',
  'DateTime',
  'Binary',
  'Byte',
  'Decimal',
]);

function define(
  name: string,
  extra: Omit<Partial<EntityDef>, 'fields' | 'methods'> & {
    type: string;
    methods?: string[];
    extraFields?: [string, string][];
    metaName?: string;
  },
): EntityDef {
  const meta = META[extra.metaName ?? name];
  const rawFields = [...(meta?.fields ?? []), ...(NEWER[name] ?? []), ...(extra.extraFields ?? [])];
  const fields = rawFields.map(([fname, type]): FieldDef => {
    const pad = PADDED[name]?.[fname];
    return { name: fname, type, nav: !EDM.has(type), ...(pad ? { pad } : {}) };
  });
  const key = extra.key ?? meta?.key ?? 'ID';
  const keyField = fields.find((f) => f.name === key);
  return {
    name,
    path: extra.path ?? meta!.uri.replace('/api/v1/{division}/', ''),
    key,
    keyType: (keyField?.type ?? 'Guid') as EntityDef['keyType'],
    type: extra.type,
    methods: new Set(extra.methods ?? meta?.methods ?? ['GET']),
    fields,
    fieldByLower: new Map(fields.map((f) => [f.name.toLowerCase(), f])),
    ...(extra.syncPath ? { syncPath: extra.syncPath } : {}),
    ...(extra.bulkPath ? { bulkPath: extra.bulkPath } : {}),
    ...(extra.deletedType !== undefined ? { deletedType: extra.deletedType } : {}),
    ...(extra.children ? { children: extra.children } : {}),
  };
}

const T = 'Exact.Web.Api.Models.';

/** Sync rows carry a Timestamp (Int64) that the plain endpoints do not have. */
const TIMESTAMP: [string, string] = ['Timestamp', 'Int64'];

export const ENTITIES: readonly EntityDef[] = [
  define('GLAccounts', {
    type: `${T}GLAccount`,
    syncPath: 'sync/Financial/GLAccounts',
    bulkPath: 'bulk/Financial/GLAccounts',
    deletedType: 7,
  }),
  define('Journals', { type: `${T}Journal` }),
  define('FinancialPeriods', {
    type: `${T}FinancialPeriod`,
    path: 'financial/FinancialPeriods',
    key: 'ID',
    methods: ['GET'],
    // Not in the scraped metadata; fields as documented for financial/FinancialPeriods.
    extraFields: [
      ['ID', 'Guid'],
      ['Created', 'DateTime'],
      ['Creator', 'Guid'],
      ['CreatorFullName', 'String'],
      ['Division', 'Int32'],
      ['EndDate', 'DateTime'],
      ['FinPeriod', 'Int16'],
      ['FinYear', 'Int16'],
      ['Modified', 'DateTime'],
      ['Modifier', 'Guid'],
      ['ModifierFullName', 'String'],
      ['StartDate', 'DateTime'],
    ],
  }),
  define('Accounts', {
    type: `${T}Account`,
    syncPath: 'sync/CRM/Accounts',
    bulkPath: 'bulk/CRM/Accounts',
    deletedType: 2,
  }),
  define('Contacts', {
    type: `${T}Contact`,
    syncPath: 'sync/CRM/Contacts',
    bulkPath: 'bulk/CRM/Contacts',
    deletedType: 5,
  }),
  define('Addresses', {
    type: `${T}Address`,
    syncPath: 'sync/CRM/Addresses',
    bulkPath: 'bulk/CRM/Addresses',
    deletedType: 3,
  }),
  define('GLClassifications', {
    type: `${T}Financial.GLClassification`,
    path: 'financial/GLClassifications',
    key: 'ID',
    methods: ['GET'],
    syncPath: 'sync/Financial/GLClassifications',
    bulkPath: 'bulk/Financial/GLClassifications',
    deletedType: 18,
    // Not in the scraped metadata: the fields of PICQER's GLClassification model (docs 2025); types inferred.
    extraFields: [
      ['ID', 'Guid'],
      ['Abstract', 'Boolean'],
      ['Balance', 'String'],
      ['Code', 'String'],
      ['Created', 'DateTime'],
      ['Creator', 'Guid'],
      ['CreatorFullName', 'String'],
      ['Description', 'String'],
      ['Division', 'Int32'],
      ['IsTupleSubElement', 'Boolean'],
      ['Modified', 'DateTime'],
      ['Modifier', 'Guid'],
      ['ModifierFullName', 'String'],
      ['Name', 'String'],
      ['Nondeductible', 'Boolean'],
      ['Parent', 'Guid'],
      ['PeriodType', 'String'],
      ['TaxonomyNamespace', 'Guid'],
      ['TaxonomyNamespaceDescription', 'String'],
      ['Type', 'Guid'],
    ],
  }),
  define('Items', {
    type: `${T}Item`,
    syncPath: 'sync/Logistics/Items',
    bulkPath: 'bulk/Logistics/Items',
    deletedType: 9,
  }),
  define('TransactionLines', {
    type: `${T}Financial.TransactionLine`,
    syncPath: 'sync/Financial/TransactionLines',
    bulkPath: 'bulk/Financial/TransactionLines',
    deletedType: 1,
  }),
  define('SalesInvoices', {
    type: `${T}SalesInvoice`,
    bulkPath: 'bulk/SalesInvoice/SalesInvoices',
    deletedType: 13,
    children: { SalesInvoiceLines: { entity: 'SalesInvoiceLines', foreignKey: 'InvoiceID' } },
  }),
  define('SalesInvoiceLines', { type: `${T}SalesInvoiceLine`, bulkPath: 'bulk/SalesInvoice/SalesInvoiceLines' }),
  define('SalesOrders', {
    type: `${T}SalesOrder`,
    bulkPath: 'bulk/SalesOrder/SalesOrders',
    deletedType: 32,
    children: { SalesOrderLines: { entity: 'SalesOrderLines', foreignKey: 'OrderID' } },
  }),
  define('SalesOrderLines', {
    type: `${T}SalesOrderLine`,
    bulkPath: 'bulk/SalesOrder/SalesOrderLines',
    deletedType: 33,
  }),
  define('PurchaseEntries', {
    type: `${T}PurchaseEntry`,
    children: { PurchaseEntryLines: { entity: 'PurchaseEntryLines', foreignKey: 'EntryID' } },
  }),
  define('PurchaseEntryLines', { type: `${T}PurchaseEntryLine` }),
  define('Receivables', { type: `${T}Cashflow.Receivable`, bulkPath: 'bulk/Cashflow/Receivables' }),
  // Outstanding items, keyed by an Int64 HID: what Exact's own receivables and payables screens list.
  define('ReceivablesList', { type: `${T}Financial.ReceivablesList` }),
  define('PayablesList', { type: `${T}Financial.PayablesList` }),
  define('Documents', {
    type: `${T}Document`,
    syncPath: 'sync/Documents/Documents',
    bulkPath: 'bulk/Documents/Documents',
    deletedType: 6,
  }),
  define('DocumentAttachments', {
    type: `${T}DocumentAttachment`,
    syncPath: 'sync/Documents/DocumentAttachments',
    bulkPath: 'bulk/Documents/DocumentAttachments',
    deletedType: 4,
  }),
  define('DocumentTypes', { type: `${T}DocumentType` }),
  define('Deleted', {
    type: `${T}Sync.Deleted`,
    path: 'sync/Deleted',
    syncPath: 'sync/Deleted',
    key: 'ID',
    methods: ['GET'],
    // docs/exact-online.md 5.3 (PICQER SyncDeleted, TAP-TS deleted_schema).
    extraFields: [
      ['ID', 'Guid'],
      ['DeletedBy', 'Guid'],
      ['DeletedDate', 'DateTime'],
      ['Division', 'Int32'],
      ['EntityKey', 'Guid'],
      ['EntityType', 'Int32'],
      TIMESTAMP,
    ],
  }),
];

export const DIVISIONS_ENTITY = define('Divisions', { type: `${T}System.Division` });
export const ME_ENTITY = define('Me', { type: `${T}System.Me`, path: 'current/Me' });

export const ENTITY_BY_NAME: ReadonlyMap<string, EntityDef> = new Map(ENTITIES.map((e) => [e.name, e]));

/** Fields of an entity as its sync endpoint serves them: the plain fields plus Timestamp. */
export function syncFields(def: EntityDef): readonly FieldDef[] {
  return def.fields.some((f) => f.name === 'Timestamp')
    ? def.fields
    : [...def.fields, { name: 'Timestamp', type: 'Int64', nav: false }];
}

export function entity(name: string): EntityDef {
  const def = ENTITY_BY_NAME.get(name);
  if (!def) throw new Error(`unknown sandbox entity ${name}`);
  return def;
}
