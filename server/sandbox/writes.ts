import { GUID_RE } from './ids.ts';
import { parseDateLiteral } from './filter.ts';
import { DOCUMENT_TYPES } from './ledger.ts';
import type { EntityDef, Row } from './model.ts';
import { ODataError } from './odata.ts';
import type { Sandbox } from './sandbox.ts';

/**
 * POST/PUT bodies into stored rows, with Exact's answers to bad input: an unknown property is a 400; a
 * value that does not convert is a 500 "Error in converting value for property …" (as recorded in
 * docs/exact-online.md 4.7); mandatory fields per entity. Entities the sandbox lets clients write:
 */
export const WRITABLE = new Set(['Documents', 'DocumentAttachments', 'Accounts', 'Contacts', 'Items']);

const MANDATORY: Record<string, readonly string[]> = {
  Documents: ['Subject', 'Type'],
  DocumentAttachments: ['Document', 'FileName', 'Attachment'],
  Accounts: ['Name'],
  Contacts: ['Account', 'LastName'],
  Items: ['Code', 'Description'],
};

/** Fields Exact computes; values sent for them are ignored rather than refused. */
const COMPUTED = new Set([
  'Created',
  'Creator',
  'CreatorFullName',
  'Modified',
  'Modifier',
  'ModifierFullName',
  'Division',
  'Timestamp',
  'FileSize',
  'Url',
  'TypeDescription',
  'AccountName',
  'AccountCode',
  'HID',
  'DocumentViewUrl',
  'HasEmptyBody',
]);

/** Largest request body Exact accepts: "a single HTTP POST … has a size limit of 10 MB" (docs/exact-online.md 8.2, third-party). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export function convertBody(def: EntityDef, body: unknown, create: boolean): Row {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ODataError(400, 'The request body must be a JSON object.');
  const out: Row = {};
  for (const [name, value] of Object.entries(body)) {
    if (name === '__metadata') continue;
    const f = def.fieldByLower.get(name.toLowerCase());
    if (!f)
      throw new ODataError(
        400,
        `The property '${name}' does not exist on type '${def.type}'. Make sure to only use property names that are defined by the type.`,
      );
    if (f.nav || COMPUTED.has(f.name) || f.name === def.key) continue;
    out[f.name] = convert(f.name, f.type, value);
  }
  if (create) {
    for (const name of MANDATORY[def.name] ?? []) {
      if (out[name] === undefined || out[name] === null || out[name] === '')
        throw new ODataError(400, `Mandatory: ${name}`);
    }
  }
  return out;
}

function convert(name: string, type: string, value: unknown): unknown {
  if (value === null) return null;
  const bad = () =>
    new ODataError(
      500,
      `Error in converting value for property '${name}' to type '${type === 'Guid' ? 'Guid' : `Edm.${type}`}'`,
    );
  switch (type) {
    case 'Guid':
      if (typeof value !== 'string' || !GUID_RE.test(value)) throw bad();
      return value.toLowerCase();
    case 'DateTime': {
      if (typeof value !== 'string') throw bad();
      const m = /^\/Date\((-?\d+)\)\/$/.exec(value);
      const ms = m ? Number(m[1]) : parseDateLiteral(value);
      if (ms === undefined) throw bad();
      return ms;
    }
    case 'Int16':
    case 'Int32':
    case 'Int64':
    case 'Byte': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) throw bad();
      return n;
    }
    case 'Double':
    case 'Decimal':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad();
      return value;
    case 'Boolean':
      if (typeof value !== 'boolean') throw bad();
      return value;
    case 'Binary':
      if (typeof value !== 'string') throw bad();
      return value;
    default:
      if (typeof value !== 'string') throw bad();
      return value;
  }
}

/** Strict base64: what Exact's Attachment field takes. */
export function decodeBase64(text: string): Buffer | undefined {
  const t = text.replace(/\s+/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return undefined;
  return Buffer.from(t, 'base64');
}

/** Exact fills in what it derives from the written fields (descriptions, names, numbers, URLs). */
export function completeRow(sandbox: Sandbox, division: number, def: EntityDef, fields: Row): Row {
  const out = { ...fields };
  if ('Account' in out && typeof out.Account === 'string') {
    const account = sandbox.table(division, 'Accounts').find(out.Account);
    out.AccountName = account?.row.Name ?? null;
    if (def.name === 'Documents') out.AccountCode = account?.row.Code ?? null;
  }
  if (def.name === 'Documents' && out.Type !== undefined) {
    const type = DOCUMENT_TYPES.find(([id]) => id === out.Type);
    if (!type) throw new ODataError(400, `Document type ${String(out.Type)} does not exist.`);
    out.TypeDescription = type[1];
  }
  if (def.name === 'Documents' && 'Body' in out) out.HasEmptyBody = out.Body === null || out.Body === '';
  if (def.name === 'DocumentAttachments' && typeof out.Attachment === 'string') {
    const bytes = decodeBase64(out.Attachment);
    if (!bytes) throw new ODataError(400, 'The value of Attachment is not valid base64.');
    if (!sandbox.table(division, 'Documents').find(String(out.Document)))
      throw new ODataError(400, `Document ${String(out.Document)} does not exist.`);
    out._content = bytes;
    out.FileSize = bytes.length;
    out.Attachment = null;
  }
  return out;
}
