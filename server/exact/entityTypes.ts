/**
 * sync/Deleted's EntityType numbers (exact-api.md 5.3, Exact's docs as of 2025-04-09; 52 is not listed).
 * Written to the warehouse as the `entitytype` lookup table.
 */
export const ENTITY_TYPES: readonly (readonly [number, string])[] = [
  [1, 'TransactionLines'], [2, 'Accounts'], [3, 'Addresses'], [4, 'Attachments'], [5, 'Contacts'], [6, 'Documents'], [7, 'GLAccounts'],
  [8, 'ItemPrices'], [9, 'Items'], [10, 'PaymentTerms'], [11, 'Quotations'], [12, 'SalesOrders'], [13, 'SalesInvoices'],
  [14, 'TimeCostTransactions'], [15, 'StockPositions'], [16, 'GoodsDeliveries'], [17, 'GoodsDeliveryLines'], [18, 'GLClassifications'],
  [19, 'ItemWarehouses'], [20, 'StorageLocationStockPositions'], [21, 'Projects'], [22, 'PurchaseOrders'], [23, 'Subscriptions'],
  [24, 'SubscriptionLines'], [25, 'ProjectWBS'], [26, 'ProjectPlanning'], [27, 'LeaveAbsenceHoursByDay'], [28, 'SerialBatchNumbers'],
  [29, 'StockSerialBatchNumbers'], [30, 'ItemAccounts'], [31, 'DiscountTables'], [32, 'SalesOrderHeaders'], [33, 'SalesOrderLines'],
  [34, 'QuotationHeaders'], [35, 'QuotationLines'], [36, 'ShopOrders'], [37, 'ShopOrderMaterialPlans'], [38, 'ShopOrderRoutingStepPlans'],
  [39, 'Schedules'], [40, 'ScheduleEntries'], [41, 'ItemStorageLocations'], [42, 'Employees'], [43, 'Employments'],
  [44, 'EmploymentContracts'], [45, 'EmploymentOrganizations'], [46, 'EmploymentCLAs'], [47, 'EmploymentSalaries'], [48, 'BankAccounts'],
  [49, 'EmploymentTaxAuthoritiesGeneral'], [50, 'ShopOrderPurchasePlanning'], [51, 'ShopOrderSubOrders'], [53, 'RequirementIssues'],
  [54, 'BillOfMaterialMaterials'], [55, 'BillOfMaterialVersions'],
];
