import metadata from './metadata.json' with { type: 'json' };
import { referenceEndpoint } from './reference.ts';
import { ENTITY_TYPES } from './entityTypes.ts';

/**
 * Exact Online's endpoints as exact-sync knows them: paths, keys, methods (scraped Exact documentation
 * metadata, server/sandbox/tools/extractMetadata.ts) and the fields each path serves (Exact's reference,
 * server/catalog/reference.ts), plus what the facts document adds: sync and bulk paths, sync/Deleted
 * entity-type numbers, padded CHAR widths, navigation properties.
 */

export type Row = Record<string, unknown>;

export interface FieldDef {
  name: string;
  /** Edm type without the `Edm.` prefix, or the child entity for a navigation property. */
  type: string;
  nav: boolean;
  /** CHAR(n) fields come back space-padded to n (left-padded for codes, right-padded otherwise). */
  pad?: { width: number; left: boolean };
  /** Exact's description of a DateTime field (calendar date or instant). */
  doc?: string;
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
  /** Each of the entity's endpoint paths (lower case) → the fields Exact's reference says it serves. */
  served: ReadonlyMap<string, readonly FieldDef[]>;
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

/** The fields of the endpoint at `path` per Exact's reference, with padding where Exact pads. */
function fieldsOf(entityName: string, path: string): FieldDef[] | undefined {
  const ref = referenceEndpoint(path);
  if (!ref) return undefined;
  return ref.fields.map((f): FieldDef => {
    const pad = PADDED[entityName]?.[f.name];
    const nav = f.edm.startsWith('nav:');
    return {
      name: f.name,
      type: nav ? f.edm.slice(4) : f.edm,
      nav,
      ...(pad ? { pad } : {}),
      ...(f.doc !== undefined ? { doc: f.doc } : {}),
    };
  });
}

function define(
  name: string,
  extra: Omit<Partial<EntityDef>, 'fields' | 'methods' | 'served'> & { type: string; methods?: string[] },
): EntityDef {
  const meta = META[name];
  const path = extra.path ?? meta!.uri.replace('/api/v1/{division}/', '').replace('/api/v1/', '');
  const served = new Map<string, readonly FieldDef[]>();
  for (const p of [path, extra.syncPath, extra.bulkPath]) {
    if (!p) continue;
    const pathFields = fieldsOf(name, p);
    if (!pathFields) throw new Error(`catalog: ${p} is not in Exact's reference (server/catalog/reference.json)`);
    served.set(p.toLowerCase(), pathFields);
  }
  const fields = served.get(path.toLowerCase())!;
  const refKey = referenceEndpoint(path)!.key;
  // A sync endpoint's reference key is Timestamp (the client library's cursor); the row's own key is its ID.
  const key =
    extra.key ??
    (meta && fields.some((f) => f.name === meta.key)
      ? meta.key
      : refKey === 'Timestamp' && fields.some((f) => f.name === 'ID')
        ? 'ID'
        : refKey);
  const keyField = fields.find((f) => f.name === key);
  return {
    name,
    path,
    key,
    keyType: (keyField?.type ?? 'Guid') as EntityDef['keyType'],
    type: extra.type,
    methods: new Set(extra.methods ?? meta?.methods ?? ['GET']),
    fields,
    fieldByLower: new Map(fields.map((f) => [f.name.toLowerCase(), f])),
    served,
    ...(extra.syncPath ? { syncPath: extra.syncPath } : {}),
    ...(extra.bulkPath ? { bulkPath: extra.bulkPath } : {}),
    ...(extra.deletedType !== undefined ? { deletedType: extra.deletedType } : {}),
    ...(extra.children ? { children: extra.children } : {}),
  };
}

const T = 'Exact.Web.Api.Models.';

/** Entities described by hand: what the facts document adds (children, padding, bulk paths) matters here. */
const DESCRIBED: readonly EntityDef[] = [
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
  // The legacy sales orders Exact is phasing out (EntityType 12 "going to be removed"): headers only now,
  // its lines are salesorderlines' own, through the Sync API. The same orders as SalesOrderHeaders (32).
  define('SalesOrders', {
    type: `${T}SalesOrder`,
    bulkPath: 'bulk/SalesOrder/SalesOrders',
    deletedType: 32,
    children: { SalesOrderLines: { entity: 'SalesOrderLines', foreignKey: 'OrderID' } },
  }),
  // Their successors through the Sync API (EntityType 32 and 33, docs/exact-online.md 5.1, 5.3).
  define('SalesOrderHeaders', {
    type: `${T}SalesOrderHeader`,
    path: 'sync/SalesOrder/SalesOrderHeaders',
    syncPath: 'sync/SalesOrder/SalesOrderHeaders',
    deletedType: 32,
  }),
  define('SalesOrderLines', {
    type: `${T}SalesOrderLine`,
    syncPath: 'sync/SalesOrder/SalesOrderLines',
    bulkPath: 'bulk/SalesOrder/SalesOrderLines',
    deletedType: 33,
  }),
  define('PurchaseEntries', {
    type: `${T}PurchaseEntry`,
    children: { PurchaseEntryLines: { entity: 'PurchaseEntryLines', foreignKey: 'EntryID' } },
  }),
  define('PurchaseEntryLines', { type: `${T}PurchaseEntryLine` }),
  // Sales booked as entries (how most accountancy clients book sales, not through invoicing): like purchase
  // entries, lines only through their entry, no sync/Deleted type.
  define('SalesEntries', {
    type: `${T}SalesEntry`,
    path: 'salesentry/SalesEntries',
    children: { SalesEntryLines: { entity: 'SalesEntryLines', foreignKey: 'EntryID' } },
  }),
  define('SalesEntryLines', { type: `${T}SalesEntryLine`, path: 'salesentry/SalesEntryLines' }),
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
  // Reporting: which classification (RGS, balance sheet and P&L layout) each GL account belongs to, per scheme.
  define('GLAccountClassificationMappings', {
    type: `${T}Financial.GLAccountClassificationMapping`,
    path: 'financial/GLAccountClassificationMappings',
  }),
  define('GLSchemes', { type: `${T}Financial.GLScheme`, path: 'financial/GLSchemes' }),
  // Balances per GL account, reporting year and period (and cost centre and unit), read a year at a time.
  define('ReportingBalance', { type: `${T}Financial.ReportingBalance`, path: 'financial/ReportingBalance' }),
  // Revenue, costs and result of this year and period against last year's: one row.
  define('ProfitLossOverview', {
    type: `${T}Financial.ProfitLossOverview`,
    path: 'read/financial/ProfitLossOverview',
  }),
  // Dimensions: transaction lines name them by code (CostCenter, CostUnit).
  define('Costcenters', { type: `${T}HRM.Costcenter`, path: 'hrm/Costcenters' }),
  define('Costunits', { type: `${T}HRM.Costunit`, path: 'hrm/Costunits' }),
  define('Deleted', {
    type: `${T}Sync.Deleted`,
    path: 'sync/Deleted',
    syncPath: 'sync/Deleted',
    key: 'ID',
    methods: ['GET'],
  }),
];

/**
 * Entities read exactly as Exact's reference describes them: [name, plain path, sync path]. The name is
 * Exact's (the warehouse table is it in lower case); the sync/Deleted entity type is the one Exact gives
 * that name (docs/exact-online.md 5.3). Sync-only entities have their sync path as their path.
 */
const FROM_REFERENCE: readonly (readonly [string, string, string?])[] = [
  // Financial lookups and planning.
  ['VATCodes', 'vat/VATCodes'],
  ['PaymentConditions', 'cashflow/PaymentConditions'],
  ['PaymentTerms', 'sync/Cashflow/PaymentTerms', 'sync/Cashflow/PaymentTerms'],
  ['Budgets', 'budget/Budgets'],
  ['ExchangeRates', 'financial/ExchangeRates'],
  ['Transactions', 'financialtransaction/Transactions'],
  ['Assets', 'assets/Assets'],
  // CRM.
  ['AccountClassifications', 'crm/AccountClassifications'],
  ['AccountClassificationNames', 'crm/AccountClassificationNames'],
  ['Opportunities', 'crm/Opportunities'],
  // The administration's users: who Created/Modifier GUIDs are.
  ['Users', 'users/Users'],
  ['QuotationHeaders', 'sync/CRM/QuotationHeaders', 'sync/CRM/QuotationHeaders'],
  ['QuotationLines', 'crm/QuotationLines', 'sync/CRM/QuotationLines'],
  // Sales and purchase.
  ['SalesItemPrices', 'logistics/SalesItemPrices', 'sync/Logistics/SalesItemPrices'],
  ['SalesPriceListVolumeDiscounts', 'sales/SalesPriceListVolumeDiscounts', 'sync/Sales/SalesPriceListVolumeDiscounts'],
  ['GoodsDeliveries', 'salesorder/GoodsDeliveries', 'sync/SalesOrder/GoodsDeliveries'],
  ['GoodsDeliveryLines', 'salesorder/GoodsDeliveryLines', 'sync/SalesOrder/GoodsDeliveryLines'],
  ['Subscriptions', 'subscription/Subscriptions', 'sync/Subscription/Subscriptions'],
  ['SubscriptionLines', 'subscription/SubscriptionLines', 'sync/Subscription/SubscriptionLines'],
  ['PurchaseOrders', 'purchaseorder/PurchaseOrders', 'sync/PurchaseOrder/PurchaseOrders'],
  ['PurchaseItemPrices', 'sync/Logistics/PurchaseItemPrices', 'sync/Logistics/PurchaseItemPrices'],
  ['SupplierItem', 'logistics/SupplierItem', 'sync/Logistics/SupplierItem'],
  // Inventory.
  ['ItemGroups', 'logistics/ItemGroups'],
  ['Warehouses', 'inventory/Warehouses'],
  ['ItemWarehouses', 'inventory/ItemWarehouses', 'sync/Inventory/ItemWarehouses'],
  ['StockPositions', 'sync/Inventory/StockPositions', 'sync/Inventory/StockPositions'],
  ['ItemStorageLocations', 'sync/Inventory/ItemStorageLocations', 'sync/Inventory/ItemStorageLocations'],
  ['SerialBatchNumbers', 'sync/Inventory/SerialBatchNumbers', 'sync/Inventory/SerialBatchNumbers'],
  ['StockSerialBatchNumbers', 'sync/Inventory/StockSerialBatchNumbers', 'sync/Inventory/StockSerialBatchNumbers'],
  [
    'StorageLocationStockPositions',
    'sync/Inventory/StorageLocationStockPositions',
    'sync/Inventory/StorageLocationStockPositions',
  ],
  // Projects.
  ['Projects', 'project/Projects', 'sync/Project/Projects'],
  ['ProjectPlanning', 'project/ProjectPlanning', 'sync/Project/ProjectPlanning'],
  ['ProjectWBS', 'sync/Project/ProjectWBS', 'sync/Project/ProjectWBS'],
  ['TimeCostTransactions', 'sync/Project/TimeCostTransactions', 'sync/Project/TimeCostTransactions'],
  // HR and payroll.
  ['Employees', 'payroll/Employees', 'sync/Payroll/Employees'],
  ['Employments', 'payroll/Employments', 'sync/Payroll/Employments'],
  ['EmploymentContracts', 'payroll/EmploymentContracts', 'sync/Payroll/EmploymentContracts'],
  ['EmploymentOrganizations', 'payroll/EmploymentOrganizations', 'sync/Payroll/EmploymentOrganizations'],
  ['EmploymentCLAs', 'sync/Payroll/EmploymentCLAs', 'sync/Payroll/EmploymentCLAs'],
  ['EmploymentSalaries', 'payroll/EmploymentSalaries', 'sync/Payroll/EmploymentSalaries'],
  [
    'EmploymentTaxAuthoritiesGeneral',
    'payroll/EmploymentTaxAuthoritiesGeneral',
    'sync/Payroll/EmploymentTaxAuthoritiesGeneral',
  ],
  // Payroll's bank accounts (EntityType 48 BankAccounts); crm/BankAccounts is another entity.
  ['BankAccounts', 'sync/Payroll/BankAccounts', 'sync/Payroll/BankAccounts'],
  ['AbsenceRegistrations', 'hrm/AbsenceRegistrations', 'sync/HRM/AbsenceRegistrations'],
  [
    'AbsenceRegistrationTransactions',
    'hrm/AbsenceRegistrationTransactions',
    'sync/HRM/AbsenceRegistrationTransactions',
  ],
  ['LeaveAbsenceHoursByDay', 'hrm/LeaveAbsenceHoursByDay', 'sync/HRM/LeaveAbsenceHoursByDay'],
  ['LeaveBuildUpRegistrations', 'hrm/LeaveBuildUpRegistrations', 'sync/HRM/LeaveBuildUpRegistrations'],
  ['LeaveRegistrations', 'hrm/LeaveRegistrations', 'sync/HRM/LeaveRegistrations'],
  ['Schedules', 'hrm/Schedules', 'sync/HRM/Schedules'],
  ['ScheduleEntries', 'sync/HRM/ScheduleEntries', 'sync/HRM/ScheduleEntries'],
  // Manufacturing.
  ['ShopOrders', 'manufacturing/ShopOrders', 'sync/Manufacturing/ShopOrders'],
  ['ShopOrderMaterialPlans', 'manufacturing/ShopOrderMaterialPlans', 'sync/Manufacturing/ShopOrderMaterialPlans'],
  [
    'ShopOrderRoutingStepPlans',
    'manufacturing/ShopOrderRoutingStepPlans',
    'sync/Manufacturing/ShopOrderRoutingStepPlans',
  ],
  [
    'ShopOrderPurchasePlanning',
    'sync/Manufacturing/ShopOrderPurchasePlanning',
    'sync/Manufacturing/ShopOrderPurchasePlanning',
  ],
  ['ShopOrderSubOrders', 'sync/Manufacturing/ShopOrderSubOrders', 'sync/Manufacturing/ShopOrderSubOrders'],
  ['MaterialIssues', 'manufacturing/MaterialIssues', 'sync/Manufacturing/MaterialIssues'],
  ['BillOfMaterialMaterials', 'manufacturing/BillOfMaterialMaterials', 'sync/Manufacturing/BillOfMaterialMaterials'],
  ['BillOfMaterialVersions', 'manufacturing/BillOfMaterialVersions', 'sync/Manufacturing/BillOfMaterialVersions'],
];

/** Entity types Exact names otherwise than the endpoint (docs/exact-online.md 5.3: 8 was SalesItemPrices). */
const TYPE_NAMES: Readonly<Record<string, string>> = { SalesItemPrices: 'ItemPrices' };

export const REFERENCE_ENTITIES: readonly EntityDef[] = FROM_REFERENCE.map(([name, path, syncPath]) => {
  const model = referenceEndpoint(path)!.model.replace(/^Sync/, '');
  const typeName = TYPE_NAMES[name] ?? name;
  const deletedType = ENTITY_TYPES.find(([, n]) => n === typeName)?.[0];
  return define(name, {
    type: `${T}${model}`,
    path,
    ...(syncPath ? { syncPath } : {}),
    ...(deletedType !== undefined && syncPath ? { deletedType } : {}),
  });
});

export const DIVISIONS_ENTITY = define('Divisions', { type: `${T}System.Division` });
export const ME_ENTITY = define('Me', { type: `${T}System.Me`, path: 'current/Me' });

/** Every entity exact-sync reads (and the sandbox serves). */
export const ENTITIES: readonly EntityDef[] = [...DESCRIBED, ...REFERENCE_ENTITIES];

export const ENTITY_BY_NAME: ReadonlyMap<string, EntityDef> = new Map(ENTITIES.map((e) => [e.name, e]));

/**
 * The fields the endpoint at `path` serves (its plain, sync or bulk path): Exact's types of their own
 * (docs/exact-online.md 13).
 */
export function fieldsAt(def: EntityDef, path: string): readonly FieldDef[] {
  const fields = def.served.get(path.toLowerCase());
  if (!fields) throw new Error(`catalog: ${def.name} is not served at ${path}`);
  return fields;
}

export function entity(name: string): EntityDef {
  const def = ENTITY_BY_NAME.get(name);
  if (!def) throw new Error(`unknown sandbox entity ${name}`);
  return def;
}
