import type { ExactClient } from '../exact/client.ts';
import { ExactApiError } from '../exact/errors.ts';
import { unwrapEntity, type ExactRow } from '../exact/values.ts';
import { AppError } from '../lib/errors.ts';

/**
 * Exact Online documents and their attachments (docs/exact-online.md 8): create, update, find by a field, upsert,
 * attach a file, find and download attachments. Every call goes through the ExactClient (tokens, pacing).
 * A create is sent once (`once`): when its answer is lost, the document is looked for before trying again,
 * so a network failure never makes two.
 */

const DOCUMENTS = 'documents/Documents';
const ATTACHMENTS = 'documents/DocumentAttachments';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "A single HTTP POST request to the Exact Online API has a size limit of 10 MB"; base64 is 4/3 of the bytes, plus the JSON around it. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
export const MAX_ATTACHMENT_BYTES = Math.floor(((MAX_REQUEST_BYTES - 64 * 1024) * 3) / 4);

export type DocumentFields = Record<string, unknown>;

/** An OData string literal ('' for '). */
export const odataString = (v: string): string => `'${v.replace(/'/g, "''")}'`;

function checkGuid(id: string, what: string): string {
  if (!GUID.test(id))
    throw new AppError(
      'invalid_id',
      `${what} must be an Exact ID (a GUID such as 9d648f77-9556-48b5-a701-fdcfa88f177f), got ${JSON.stringify(id)}.`,
      { status: 400 },
    );
  return id.toLowerCase();
}

/** Documents whose `field` equals `value` (a string field such as Subject). */
export async function findDocuments(
  client: ExactClient,
  division: number,
  field: string,
  value: string,
): Promise<ExactRow[]> {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(field))
    throw new AppError('invalid_field', `${JSON.stringify(field)} is not a field name.`, { status: 400 });
  const rows: ExactRow[] = [];
  for await (const page of client.pages(division, DOCUMENTS, {
    $filter: `${field} eq ${odataString(value)}`,
    $select: 'ID,Subject,Type,Account,DocumentDate,Modified',
  }))
    rows.push(...page.rows);
  return rows;
}

/** The one document whose Subject is `subject`: not found and ambiguous are errors that say so. */
export async function findOne(
  client: ExactClient,
  division: number,
  subject: string,
  field = 'Subject',
): Promise<ExactRow> {
  const found = await findDocuments(client, division, field, subject);
  if (found.length === 0)
    throw new AppError(
      'document_not_found',
      `No document in division ${division} has ${field} ${JSON.stringify(subject)}.`,
      { status: 404 },
    );
  if (found.length > 1)
    throw new AppError(
      'ambiguous_match',
      `${found.length} documents in division ${division} have ${field} ${JSON.stringify(subject)}: ${found.map((d) => d.ID).join(', ')}. Use one of these IDs.`,
      { status: 409 },
    );
  return found[0]!;
}

/**
 * Creates a document. The POST is sent once; if its answer is lost, the document is looked up by
 * Subject: found (made by that POST) it is returned, not found the POST is sent again.
 */
export async function createDocument(client: ExactClient, division: number, fields: DocumentFields): Promise<ExactRow> {
  if (typeof fields.Subject !== 'string' || !fields.Subject.trim())
    throw new AppError('subject_required', 'A document needs a Subject.', { status: 400 });
  for (let attempt = 1; ; attempt++) {
    const before = attempt > 1 ? [] : await findDocuments(client, division, 'Subject', fields.Subject);
    try {
      const res = await client.request('POST', division, DOCUMENTS, { body: fields, once: true });
      return unwrapEntity(res.body, DOCUMENTS);
    } catch (err) {
      const lost = err instanceof ExactApiError && (err.httpStatus === 0 || err.httpStatus >= 500);
      if (!lost || attempt >= 3) throw err;
      const known = new Set(before.map((d) => String(d.ID)));
      const made = (await findDocuments(client, division, 'Subject', fields.Subject)).filter(
        (d) => !known.has(String(d.ID)),
      );
      if (made.length === 1) return made[0]!;
    }
  }
}

/** Updates the fields given (PUT answers 204; the document is read back). */
export async function updateDocument(
  client: ExactClient,
  division: number,
  id: string,
  fields: DocumentFields,
): Promise<ExactRow> {
  const guid = checkGuid(id, 'The document');
  try {
    await client.request('PUT', division, `${DOCUMENTS}(guid'${guid}')`, { body: fields });
  } catch (err) {
    if (err instanceof ExactApiError && err.httpStatus === 404)
      throw new AppError('document_not_found', `Division ${division} has no document ${guid}.`, { status: 404 });
    throw err;
  }
  return unwrapEntity(await client.get(division, `${DOCUMENTS}(guid'${guid}')`), DOCUMENTS);
}

export interface UpsertResult {
  action: 'created' | 'updated';
  document: ExactRow;
}

/** Update when exactly one document matches `field` (default Subject), create when none, ambiguous_match when several. */
export async function upsertDocument(
  client: ExactClient,
  division: number,
  fields: DocumentFields,
  field = 'Subject',
): Promise<UpsertResult> {
  const value = fields[field];
  if (typeof value !== 'string' || !value)
    throw new AppError('search_field_missing', `Upsert by ${field} needs ${field} in the document.`, { status: 400 });
  const found = await findDocuments(client, division, field, value);
  if (found.length > 1)
    throw new AppError(
      'ambiguous_match',
      `${found.length} documents in division ${division} have ${field} ${JSON.stringify(value)}: ${found.map((d) => d.ID).join(', ')}.`,
      { status: 409 },
    );
  if (found.length === 1)
    return { action: 'updated', document: await updateDocument(client, division, String(found[0]!.ID), fields) };
  return { action: 'created', document: await createDocument(client, division, fields) };
}

/** Checks base64 (standard alphabet, padded, whitespace allowed) and answers the bytes. */
export function decodeBase64(text: string): Buffer {
  const clean = text.replace(/\s+/g, '');
  if (clean.length === 0 || clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(clean)) {
    throw new AppError(
      'invalid_base64',
      'The attachment is not valid base64 (standard alphabet A–Z a–z 0–9 + /, padded with = to a multiple of 4 characters).',
      { status: 400 },
    );
  }
  return Buffer.from(clean, 'base64');
}

export async function addAttachment(
  client: ExactClient,
  division: number,
  documentId: string,
  fileName: string,
  bytes: Buffer,
): Promise<ExactRow> {
  const doc = checkGuid(documentId, 'The document');
  if (!fileName.trim() || /[\\/]/.test(fileName))
    throw new AppError(
      'invalid_file_name',
      `A file name without folders is needed (got ${JSON.stringify(fileName)}).`,
      { status: 400 },
    );
  if (bytes.length > MAX_ATTACHMENT_BYTES) {
    throw new AppError(
      'attachment_too_large',
      `${fileName} is ${(bytes.length / 2 ** 20).toFixed(1)} MB; Exact takes requests up to 10 MB, so an attachment up to ${(MAX_ATTACHMENT_BYTES / 2 ** 20).toFixed(1)} MB (base64 makes it a third larger).`,
      { status: 413 },
    );
  }
  const existing = await findAttachment(client, division, doc, { fileName }).catch((err: unknown) => {
    if (err instanceof AppError && err.code === 'attachment_not_found') return undefined;
    throw err;
  });
  if (existing)
    throw new AppError(
      'attachment_exists',
      `Document ${doc} already has an attachment named ${fileName} (${String(existing.ID)}).`,
      { status: 409 },
    );
  const res = await client.request('POST', division, ATTACHMENTS, {
    body: { Document: doc, FileName: fileName, Attachment: bytes.toString('base64') },
    once: true,
  });
  return unwrapEntity(res.body, ATTACHMENTS);
}

/** An attachment of a document by its ID or by its file name (unique within the document). */
export async function findAttachment(
  client: ExactClient,
  division: number,
  documentId: string,
  by: { id?: string; fileName?: string },
): Promise<ExactRow> {
  const doc = checkGuid(documentId, 'The document');
  const rows: ExactRow[] = [];
  for await (const page of client.pages(division, ATTACHMENTS, {
    $filter: `Document eq guid'${doc}'`,
    $select: 'ID,Document,FileName,FileSize,Url',
  }))
    rows.push(...page.rows);
  const match = rows.filter((r) =>
    by.id ? String(r.ID).toLowerCase() === by.id.toLowerCase() : r.FileName === by.fileName,
  );
  if (match.length === 0)
    throw new AppError(
      'attachment_not_found',
      `Document ${doc} has no attachment ${by.id ?? JSON.stringify(by.fileName)}.`,
      { status: 404 },
    );
  if (match.length > 1)
    throw new AppError(
      'ambiguous_match',
      `Document ${doc} has ${match.length} attachments named ${by.fileName}: ${match.map((m) => m.ID).join(', ')}.`,
      { status: 409 },
    );
  return match[0]!;
}

/** The bytes of an attachment: its Url with Download=1, with the connection's token (docs/exact-online.md 8.2). */
export async function downloadAttachment(
  client: ExactClient,
  division: number,
  documentId: string,
  by: { id?: string; fileName?: string },
): Promise<{ fileName: string; bytes: Buffer }> {
  const attachment = await findAttachment(client, division, documentId, by);
  const url = String(attachment.Url);
  const res = await client.request('GET', division, `${url}${url.includes('?') ? '&' : '?'}Download=1`, { raw: true });
  return { fileName: String(attachment.FileName), bytes: res.body as Buffer };
}
