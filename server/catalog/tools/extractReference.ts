/**
 * Writes server/catalog/reference.json: what each Exact endpoint serves, one entry per endpoint path
 * (plain, sync/… and bulk/…), from Exact's REST reference as transcribed into picqer/exact-php-client's
 * models (exact-models-picqer-2025.json), with each field's Edm type from Exact's scraped metadata
 * (2021, then 2019) and the few fields later evidence adds (EVIDENCE below, each with its source).
 * Run when the sources change:
 *   node server/catalog/tools/extractReference.ts <picqer-models.json> <metadata-2021.json> <metadata-2019.json>
 * The rules it applies are in docs/exact-online.md 13.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface PicqerField {
  name: string;
  type: string;
  doc: string;
}
interface PicqerModel {
  model: string;
  url: string;
  primaryKey: string;
  fields: PicqerField[];
}
interface MetaEndpoint {
  uri: string;
  properties: { name: string; type: string }[];
}

/**
 * Fields an endpoint serves that the transcription lacks, with the evidence. Recordings are Exact's own
 * answers (docs/exact-online.md 4.2, test/fixtures/exact); Singer taps in production select the others.
 */
const EVIDENCE: Record<string, { fields: [string, string][]; source: string }> = {
  'sync/Financial/TransactionLines': {
    fields: [['SerialNumber', 'String']],
    source: 'Singer taps for Exact Online read SerialNumber from sync/Financial/TransactionLines in production',
  },
  'sync/Financial/GLClassifications': {
    fields: [['IsTupleSubElement', 'Boolean']],
    source: 'Singer taps read IsTupleSubElement from sync/Financial/GLClassifications (bulk lists it too)',
  },
  'crm/Accounts': {
    fields: [
      ['BRIN', 'Guid'],
      ['Classification', 'Guid'],
      ['ClassificationDescription', 'String'],
      ['ClientGroup', 'Guid'],
      ['ClientGroupDescription', 'String'],
      ['Costcenter', 'String'],
      ['CostcenterDescription', 'String'],
      ['CostPaid', 'Byte'],
      ['Currency', 'String'],
      ['CustomerSince', 'DateTime'],
      ['Document', 'Guid'],
      ['DunsNumber', 'String'],
      ['IsBank', 'Boolean'],
      ['IsMember', 'Boolean'],
      ['IsPurchase', 'Boolean'],
      ['SeparateInvPerProject', 'Byte'],
      ['StatusSince', 'DateTime'],
      ['SalesTaxSchedule', 'Guid'],
      ['SalesTaxScheduleCode', 'String'],
      ['SalesTaxScheduleDescription', 'String'],
      ['AddressSource', 'Int16'],
      ['Source', 'Int16'],
    ],
    source: 'recorded answer of crm/Accounts(guid) in 2026 (account_get_by_key.json)',
  },
  'documents/Documents': {
    fields: [
      ['ScanServiceStatus', 'Int16'],
      ['CostcenterCode', 'String'],
      ['CostcenterDescription', 'String'],
      ['CostunitCode', 'String'],
      ['CostunitDescription', 'String'],
    ],
    source: 'recorded answer of POST documents/Documents in 2026 (documents_post.json)',
  },
  'financial/Journals': {
    fields: [
      ['BankAccountUseSEPA', 'Boolean'],
      ['BankAccountUseSepaDirectDebit', 'Boolean'],
    ],
    source: 'recorded answer of financial/Journals in 2026 (journals_list.json)',
  },
  'salesinvoice/SalesInvoices': {
    fields: [
      ['InvoiceStatusInformation', 'String'],
      ['TaxSchedule', 'Guid'],
      ['TaxScheduleCode', 'String'],
      ['TaxScheduleDescription', 'String'],
    ],
    source: 'recorded answer of salesinvoice/SalesInvoices(guid) in 2026 (salesinvoice_get_by_key_expand_lines.json)',
  },
};

/** Types the transcription leaves as PHP strings and Exact's metadata does not list, with their source. */
const TYPES: Record<string, Record<string, string>> = {
  // docs/exact-online.md 5.3: EntityKey is the deleted record's GUID, DeletedBy a user's (Exact's sample
  // code types EntityKey Guid).
  'sync/Deleted': { EntityKey: 'Guid', DeletedBy: 'Guid' },
};

const [picqerPath, meta2021Path, meta2019Path] = process.argv.slice(2);
if (!picqerPath || !meta2021Path || !meta2019Path)
  throw new Error('usage: extractReference.ts <picqer-models.json> <metadata-2021.json> <metadata-2019.json>');

const picqer = JSON.parse(readFileSync(picqerPath, 'utf8')) as { source: string; models: PicqerModel[] };

/** Edm types by endpoint path (lower case) and field, and by field name alone (the most common type). */
function metaTypes(file: string): Map<string, Map<string, string>> {
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, MetaEndpoint>;
  const out = new Map<string, Map<string, string>>();
  for (const e of Object.values(all)) {
    const url = e.uri.replace(/^\/api\/v1\/(\{division\}\/)?/, '').toLowerCase();
    out.set(url, new Map(e.properties.map((p) => [p.name, p.type.replace(/^Edm\./, '')])));
  }
  return out;
}
const META = [metaTypes(meta2021Path), metaTypes(meta2019Path)];
const byName = new Map<string, Map<string, number>>();
for (const meta of META)
  for (const fields of meta.values())
    for (const [name, type] of fields) {
      const counts = byName.get(name) ?? new Map<string, number>();
      counts.set(type, (counts.get(type) ?? 0) + 1);
      byName.set(name, counts);
    }
/** The plain endpoint a sync or bulk endpoint mirrors: the plain path with the same last segment. */
const lastSegment = new Map<string, string>();
for (const m of picqer.models)
  if (!/^(sync|bulk)\//.test(m.url)) lastSegment.set(m.url.split('/').pop()!.toLowerCase(), m.url.toLowerCase());

const SCALAR: Record<string, string> = { int: 'Int32', float: 'Double', bool: 'Boolean' };

function edmOf(url: string, f: PicqerField): string {
  // `?` and `mixed`: the transcription did not know the type; the name and Exact's metadata decide below.
  const unknown = f.type === '?' || f.type === 'mixed';
  if (!SCALAR[f.type] && f.type !== 'string' && !unknown) return `nav:${f.type.replace(/\[\]$/, '')}`;
  if (f.name === 'Timestamp') return 'Int64';
  const lower = url.toLowerCase();
  const mirror = lastSegment.get(lower.split('/').pop()!);
  for (const u of [lower, mirror])
    for (const meta of META) {
      const t = u === undefined ? undefined : meta.get(u)?.get(f.name);
      if (t) return t;
    }
  const counts = byName.get(f.name);
  if (counts) return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  if (SCALAR[f.type]) return SCALAR[f.type]!;
  if (unknown && /^(Created|Modified)$/.test(f.name)) return 'DateTime';
  // A string in PHP: a GUID, a date or text. Exact's descriptions say which.
  const override = TYPES[url]?.[f.name];
  if (override) return override;
  if (f.name === 'ID' || /^(ID|Id|Reference to|Guid)\b/.test(f.doc) || /\bID of\b/.test(f.doc)) return 'Guid';
  if (/(ID|Id)$/.test(f.name) && /\b(ID|GUID|guid)\b/.test(f.doc)) return 'Guid';
  if (/(Date|Since)$/.test(f.name) || /^(Date|Start|End)\b/.test(f.name)) return 'DateTime';
  return 'String';
}

type Field = [name: string, edm: string, doc?: string];
const endpoints: Record<string, { model: string; key: string; fields: Field[]; evidence?: string }> = {};
for (const m of [...picqer.models].sort((a, b) => a.url.localeCompare(b.url))) {
  const fields: Field[] = m.fields.map((f) => {
    const edm = edmOf(m.url, f);
    // Descriptions are kept for date fields only: they decide between a calendar date and an instant.
    return edm === 'DateTime' ? [f.name, edm, f.doc] : [f.name, edm];
  });
  const extra = EVIDENCE[m.url];
  if (extra)
    for (const [name, edm] of extra.fields)
      if (!fields.some((f) => f[0] === name)) fields.push(edm === 'DateTime' ? [name, edm, ''] : [name, edm]);
  endpoints[m.url] = { model: m.model, key: m.primaryKey, fields, ...(extra ? { evidence: extra.source } : {}) };
}
for (const url of Object.keys(EVIDENCE)) if (!endpoints[url]) throw new Error(`evidence for unknown endpoint ${url}`);

const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'reference.json');
writeFileSync(
  out,
  JSON.stringify(
    {
      source: `${picqer.source} Edm types from Exact's scraped REST metadata (2021, 2019); additions with evidence.`,
      endpoints,
    },
    null,
    0,
  ) + '\n',
);
console.log(`wrote ${Object.keys(endpoints).length} endpoints to ${out}`);
