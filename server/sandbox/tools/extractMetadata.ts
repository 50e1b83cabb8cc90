/**
 * Writes server/catalog/metadata.json: the endpoints the sandbox serves, with Exact's field names and Edm
 * types, taken from the scraped Exact documentation metadata (exact-endpoints-metadata-2021.json).
 * Run once when the list changes:  node server/sandbox/tools/extractMetadata.ts <path-to-metadata.json>
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface Property {
  name: string;
  type: string;
  primaryKey: boolean;
}
interface Endpoint {
  uri: string;
  supportedMethods: Record<string, boolean>;
  properties: Property[];
}

const WANTED = [
  'Me',
  'Divisions',
  'GLAccounts',
  'Journals',
  'Accounts',
  'Addresses',
  'Contacts',
  'Items',
  'TransactionLines',
  'Transactions',
  'SalesInvoices',
  'SalesInvoiceLines',
  'SalesOrders',
  'SalesOrderLines',
  'PurchaseEntries',
  'PurchaseEntryLines',
  'Receivables',
  'PayablesList',
  'ReceivablesList',
  'Documents',
  'DocumentAttachments',
  'DocumentTypes',
];

const source = process.argv[2];
if (!source) throw new Error('usage: extractMetadata.ts <exact-endpoints-metadata-2021.json>');
const all = JSON.parse(readFileSync(source, 'utf8')) as Record<string, Endpoint>;
const out: Record<string, { uri: string; methods: string[]; key: string; fields: [string, string][] }> = {};
for (const name of WANTED) {
  const e = all[name];
  if (!e) throw new Error(`${name} is not in ${source}`);
  out[name] = {
    uri: e.uri,
    methods: Object.entries(e.supportedMethods)
      .filter(([, ok]) => ok)
      .map(([m]) => m.toUpperCase()),
    key: e.properties.find((p) => p.primaryKey)!.name,
    fields: e.properties.map((p) => [p.name, p.type.replace(/^Edm\./, '')]),
  };
}
const target = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'catalog', 'metadata.json');
writeFileSync(target, `${JSON.stringify(out, null, 1)}\n`);
console.log(`wrote ${Object.keys(out).length} endpoints to ${target}`);
