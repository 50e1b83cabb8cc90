/** The fixed data the generated ledgers are made of: a chart of accounts, journals, names and products. */

/** Code, description, GLAccount.Type, BalanceType (B balance sheet / W profit and loss), BalanceSide. */
export const CHART: readonly [string, string, number, 'B' | 'W', 'D' | 'C'][] = [
  ['0100', 'Equipment', 30, 'B', 'D'], ['0110', 'Computers', 30, 'B', 'D'], ['0120', 'Vehicles', 30, 'B', 'D'], ['0130', 'Furniture', 30, 'B', 'D'],
  ['0150', 'Accumulated depreciation equipment', 35, 'B', 'C'], ['0160', 'Accumulated depreciation computers', 35, 'B', 'C'],
  ['0170', 'Accumulated depreciation vehicles', 35, 'B', 'C'], ['0200', 'Software licences', 32, 'B', 'D'], ['0300', 'Deposits paid', 32, 'B', 'D'],
  ['0500', 'Share capital', 50, 'B', 'C'], ['0600', 'Retained earnings', 52, 'B', 'C'], ['0700', 'Result for the year', 52, 'B', 'C'],
  ['0800', 'Long-term loan', 55, 'B', 'C'], ['0810', 'Current portion of long-term loan', 60, 'B', 'C'],
  ['1000', 'Cash', 10, 'B', 'D'], ['1010', 'Petty cash', 10, 'B', 'D'], ['1100', 'Bank', 12, 'B', 'D'], ['1110', 'Savings account', 12, 'B', 'D'],
  ['1120', 'Credit card', 14, 'B', 'C'], ['1150', 'Payment provider', 16, 'B', 'D'], ['1300', 'Accounts receivable', 20, 'B', 'D'],
  ['1310', 'Doubtful debts provision', 20, 'B', 'C'], ['1350', 'Prepayments received', 21, 'B', 'C'], ['1400', 'Prepaid expenses', 26, 'B', 'D'],
  ['1410', 'Accrued expenses', 27, 'B', 'C'], ['1500', 'VAT receivable', 24, 'B', 'D'], ['1510', 'VAT payable', 24, 'B', 'C'],
  ['1520', 'VAT settlement', 24, 'B', 'C'], ['1550', 'Corporate income tax payable', 29, 'B', 'C'], ['1600', 'Accounts payable', 22, 'B', 'C'],
  ['1610', 'Invoices to receive', 22, 'B', 'C'], ['1700', 'Wages payable', 25, 'B', 'C'], ['1710', 'Payroll taxes payable', 100, 'B', 'C'],
  ['1720', 'Pension premiums payable', 25, 'B', 'C'], ['1730', 'Holiday allowance reserve', 25, 'B', 'C'], ['1800', 'Suspense account', 90, 'B', 'D'],
  ['1900', 'Bank transfers in transit', 90, 'B', 'D'], ['3000', 'Inventory', 40, 'B', 'D'], ['3010', 'Inventory in transit', 40, 'B', 'D'],
  ['3020', 'Work in progress', 40, 'B', 'D'],
  ['4000', 'Wages and salaries', 125, 'W', 'D'], ['4010', 'Holiday allowance', 125, 'W', 'D'], ['4020', 'Social security charges', 126, 'W', 'D'],
  ['4030', 'Pension costs', 126, 'W', 'D'], ['4040', 'Temporary staff', 125, 'W', 'D'], ['4050', 'Training', 125, 'W', 'D'],
  ['4060', 'Travel allowances', 125, 'W', 'D'], ['4070', 'Recruitment', 125, 'W', 'D'], ['4080', 'Canteen', 125, 'W', 'D'],
  ['4100', 'Rent', 121, 'W', 'D'], ['4110', 'Energy', 121, 'W', 'D'], ['4120', 'Cleaning', 121, 'W', 'D'], ['4130', 'Building maintenance', 121, 'W', 'D'],
  ['4140', 'Building insurance', 121, 'W', 'D'], ['4150', 'Property taxes', 121, 'W', 'D'], ['4200', 'Car lease', 121, 'W', 'D'],
  ['4210', 'Fuel', 121, 'W', 'D'], ['4220', 'Car maintenance', 121, 'W', 'D'], ['4230', 'Car insurance', 121, 'W', 'D'], ['4240', 'Parking', 121, 'W', 'D'],
  ['4250', 'Road tax', 121, 'W', 'D'], ['4300', 'Office supplies', 121, 'W', 'D'], ['4310', 'Printing and copying', 121, 'W', 'D'],
  ['4320', 'Postage', 121, 'W', 'D'], ['4330', 'Telephone and internet', 121, 'W', 'D'], ['4340', 'Subscriptions and memberships', 121, 'W', 'D'],
  ['4350', 'Books and journals', 121, 'W', 'D'], ['4360', 'Small equipment', 121, 'W', 'D'], ['4400', 'Advertising', 121, 'W', 'D'],
  ['4410', 'Trade fairs', 121, 'W', 'D'], ['4420', 'Representation', 121, 'W', 'D'], ['4430', 'Gifts to customers', 121, 'W', 'D'],
  ['4440', 'Website', 121, 'W', 'D'], ['4450', 'Online marketing', 121, 'W', 'D'], ['4500', 'Depreciation equipment', 122, 'W', 'D'],
  ['4510', 'Depreciation computers', 122, 'W', 'D'], ['4520', 'Depreciation vehicles', 122, 'W', 'D'], ['4600', 'Software and subscriptions', 121, 'W', 'D'],
  ['4610', 'Hosting', 121, 'W', 'D'], ['4620', 'IT support', 121, 'W', 'D'], ['4700', 'Accountancy fees', 121, 'W', 'D'], ['4710', 'Legal fees', 121, 'W', 'D'],
  ['4720', 'Consultancy fees', 121, 'W', 'D'], ['4730', 'Bank charges', 121, 'W', 'D'], ['4740', 'General insurance', 121, 'W', 'D'],
  ['4750', 'Bad debts', 121, 'W', 'D'], ['4760', 'Other general expenses', 121, 'W', 'D'], ['4800', 'Research and development', 123, 'W', 'D'],
  ['7000', 'Cost of goods sold', 111, 'W', 'D'], ['7010', 'Purchase of materials', 111, 'W', 'D'], ['7020', 'Subcontracted work', 111, 'W', 'D'],
  ['7030', 'Freight inwards', 111, 'W', 'D'], ['7040', 'Inventory differences', 111, 'W', 'D'], ['7050', 'Purchase discounts received', 111, 'W', 'C'],
  ['8000', 'Revenue products', 110, 'W', 'C'], ['8010', 'Revenue products EU', 110, 'W', 'C'], ['8020', 'Revenue products export', 110, 'W', 'C'],
  ['8100', 'Revenue services', 110, 'W', 'C'], ['8110', 'Revenue installation', 110, 'W', 'C'], ['8120', 'Revenue maintenance', 110, 'W', 'C'],
  ['8200', 'Revenue subscriptions', 110, 'W', 'C'], ['8300', 'Sales discounts given', 110, 'W', 'D'], ['8400', 'Other revenue', 110, 'W', 'C'],
  ['9000', 'Interest income', 160, 'W', 'C'], ['9010', 'Interest expense', 160, 'W', 'D'], ['9100', 'Exchange rate differences', 160, 'W', 'D'],
  ['9200', 'Exceptional income', 140, 'W', 'C'], ['9210', 'Exceptional costs', 130, 'W', 'D'], ['9500', 'Corporate income tax', 150, 'W', 'D'],
];
/** Code, description, Journal.Type, GL account code. */
export const JOURNALS: readonly [string, string, number, string | null][] = [
  ['10', 'Cash', 10, '1000'],
  ['20', 'Bank', 12, '1100'],
  ['60', 'Purchase', 22, '1600'],
  ['70', 'Sales', 20, '1300'],
  ['90', 'General journal', 90, null],
];

export const COMPANY_A = ['Van Dijk', 'Jansen', 'De Vries', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Mulder', 'De Boer', 'Bos', 'Peeters', 'Maes', 'Dubois', 'Schmidt', 'Janssens', 'Hendriks'];
export const COMPANY_B = ['Installatietechniek', 'Bouw', 'Logistics', 'Consultancy', 'Bakkerij', 'Transport', 'Design', 'Software', 'Metaal', 'Catering', 'Media', 'Tuinen'];
export const COMPANY_C = ['B.V.', 'BV', 'N.V.', 'VOF', 'BVBA', 'GmbH'];
export const CITIES: readonly [string, string][] = [['Amsterdam', 'NL'], ['Rotterdam', 'NL'], ['Utrecht', 'NL'], ['Eindhoven', 'NL'], ['Delft', 'NL'], ['Antwerpen', 'BE'], ['Gent', 'BE'], ['Düsseldorf', 'DE']];
export const FIRST = ['Anna', 'Bram', 'Chantal', 'Daan', 'Eva', 'Floris', 'Greet', 'Hugo', 'Iris', 'Joost', 'Kim', 'Lars', 'Mila', 'Noah', 'Olga', 'Pieter'];
export const PRODUCTS = ['Consulting hour', 'Installation', 'Maintenance contract', 'Pump unit', 'Valve set', 'Control panel', 'Cable 10m', 'Sensor', 'Training day', 'Support subscription', 'Spare parts kit', 'Filter pack'];
export const USER_ID = '9d6e1f5a-3b2c-4d8e-a1f0-5c7b9e2d4a60';
export const USER_NAME = 'Demo User';

