import type { Request } from 'express';
import { z } from 'zod';
import {
  addAttachment,
  createDocument,
  decodeBase64,
  downloadAttachment,
  findOne,
  updateDocument,
  upsertDocument,
} from '../../documents/documents.ts';
import { documentClient, documentWrites, recorded, type DocumentDeps } from '../../documents/service.ts';
import { route, type ApiRoute } from '../route.ts';
import type { Services } from '../services.ts';

/**
 * /api/v1/documents: write documents and attachments to Exact, find them, download attachments. All of
 * it takes an admin key: writes change Exact, and every read here calls Exact live, spending the
 * division's 60 calls a minute and 5,000 a day that the syncs need (the synced documents are in the
 * warehouse for read keys). Every write is recorded in exact_sync.document_writes; the documents reach the
 * warehouse with the next sync.
 */

const where = { connection: z.number().int().positive(), division: z.number().int().positive() };
const fields = z.record(z.string(), z.unknown());
/** Who made a write, for exact_sync.document_writes: an API key by its id, or a console session. */
const actorOf = (req: Request) => (req.caller?.via === 'api_key' ? `api_key:${req.caller.keyId}` : 'session');

type Deps = DocumentDeps;

export function documentRoutes(s: Services): ApiRoute[] {
  const deps: Deps = { pool: s.pool, tokens: s.tokens, pacer: s.pacer, clientId: s.app.clientId };
  return [...documentWriteRoutes(s, deps), ...attachmentRoutes(s, deps)];
}

/** Create or upsert, update, and find documents. */
function documentWriteRoutes(s: Services, deps: Deps): ApiRoute[] {
  return [
    route({
      method: 'post',
      path: '/documents',
      scope: 'admin',
      summary:
        'Create a document, or upsert it by a field (upsertBy, e.g. "Subject"): update when one matches, create when none, ambiguous_match when several',
      status: 201,
      body: z.strictObject({
        ...where,
        fields,
        upsertBy: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9]*$/)
          .optional(),
      }),
      handle: async ({ body, req }) => {
        const client = await documentClient(deps, body.connection, body.division);
        const w = {
          connectionId: body.connection,
          division: body.division,
          actor: actorOf(req),
          subject: typeof body.fields.Subject === 'string' ? body.fields.Subject : undefined,
        };
        if (body.upsertBy)
          return recorded(s.pool, { ...w, action: 'upsert' }, () =>
            upsertDocument(client, body.division, body.fields, body.upsertBy),
          );
        return {
          action: 'created',
          document: await recorded(s.pool, { ...w, action: 'create' }, () =>
            createDocument(client, body.division, body.fields),
          ),
        };
      },
    }),
    route({
      method: 'put',
      path: '/documents/:id',
      scope: 'admin',
      summary: 'Update the given fields of a document',
      body: z.strictObject({ ...where, fields }),
      handle: async ({ params, body, req }) => {
        const client = await documentClient(deps, body.connection, body.division);
        return recorded(
          s.pool,
          { connectionId: body.connection, division: body.division, action: 'update', actor: actorOf(req) },
          () => updateDocument(client, body.division, params.id ?? '', body.fields),
        );
      },
    }),
    route({
      method: 'get',
      path: '/documents',
      scope: 'admin',
      summary: 'The one document whose subject (or ?field=) equals ?value=',
      query: z.object({
        connection: z.coerce.number().int().positive(),
        division: z.coerce.number().int().positive(),
        value: z.string().min(1),
        field: z.string().optional(),
      }),
      handle: async ({ query }) =>
        findOne(
          await documentClient(deps, query.connection, query.division),
          query.division,
          query.value,
          query.field ?? 'Subject',
        ),
    }),
  ];
}

/** Attach and download files, and the log of writes. */
function attachmentRoutes(s: Services, deps: Deps): ApiRoute[] {
  return [
    route({
      method: 'post',
      path: '/documents/:id/attachments',
      scope: 'admin',
      summary: 'Attach a file (base64, up to 15 MB of request) to a document; names are unique within a document',
      status: 201,
      largeBody: '15mb',
      body: z.strictObject({ ...where, fileName: z.string().min(1).max(255), base64: z.string().min(1) }),
      handle: async ({ params, body, req }) => {
        const bytes = decodeBase64(body.base64);
        const client = await documentClient(deps, body.connection, body.division);
        return recorded(
          s.pool,
          {
            connectionId: body.connection,
            division: body.division,
            action: 'attach',
            actor: actorOf(req),
            fileName: body.fileName,
          },
          () => addAttachment(client, body.division, params.id ?? '', body.fileName, bytes),
        );
      },
    }),
    route({
      method: 'get',
      path: '/documents/:id/attachments/:attachment',
      scope: 'admin',
      summary: 'Download an attachment, by its ID or its file name',
      query: z.object({ connection: z.coerce.number().int().positive(), division: z.coerce.number().int().positive() }),
      handle: async ({ params, query, res }) => {
        const a = params.attachment ?? '';
        const by = /^[0-9a-f-]{36}$/i.test(a) ? { id: a } : { fileName: a };
        const file = await downloadAttachment(
          await documentClient(deps, query.connection, query.division),
          query.division,
          params.id ?? '',
          by,
        );
        res.status(200).setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Disposition', `attachment; filename="${file.fileName.replace(/["\r\n]/g, '')}"`);
        res.end(file.bytes);
        return undefined;
      },
    }),
    route({
      method: 'get',
      path: '/documents/writes',
      scope: 'admin',
      summary: 'The writes made to Exact documents, newest first',
      handle: async () => {
        return { writes: await documentWrites(s.pool) };
      },
    }),
  ];
}
