import type { Request, Response } from 'express';
import { DOCUMENT_TYPES } from './ledger.ts';
import { localIso, amsterdamOffsetSeconds } from './localTime.ts';
import { DIVISIONS_ENTITY, ENTITIES, entity, ME_ENTITY, type EntityDef, type Row } from './model.ts';
import { exactError, keyLiteral, ODataError, parseQuery, wireRow, wireRowJson } from './odata.ts';
import { parseDateLiteral } from './filter.ts';
import { fixedTable, readPage, type Mode, type Readable } from './query.ts';
import type { DivisionState, Sandbox } from './sandbox.ts';
import { completeRow, convertBody, WRITABLE } from './writes.ts';
import { hasSyncCounterpart, typeNameAt } from './types.ts';

/**
 * The Exact REST endpoints under /api/v1: resolving a path to an entity and a mode (plain, sync, bulk),
 * reading pages, single rows by key, navigation, and writes.
 */

const PAGE_SIZE = { plain: 60, bulk: 1000, sync: 1000 } as const;

interface Route {
  def: EntityDef;
  mode: Mode;
  key?: string;
  nav?: string;
}

const ROUTES = new Map<string, { def: EntityDef; mode: Mode }>();
for (const def of ENTITIES) {
  // Entities Exact serves only through the Sync API (sync/Deleted, sync/Cashflow/PaymentTerms, …) have no plain path.
  ROUTES.set(def.path.toLowerCase(), { def, mode: def.path.toLowerCase().startsWith('sync/') ? 'sync' : 'plain' });
  if (def.syncPath) ROUTES.set(def.syncPath.toLowerCase(), { def, mode: 'sync' });
  if (def.bulkPath) ROUTES.set(def.bulkPath.toLowerCase(), { def, mode: 'bulk' });
}
ROUTES.set('system/divisions', { def: DIVISIONS_ENTITY, mode: 'plain' });
ROUTES.set('system/alldivisions', { def: DIVISIONS_ENTITY, mode: 'plain' });

/** `financial/GLAccounts`, `crm/Accounts(guid'…')`, `salesinvoice/SalesInvoices(guid'…')/SalesInvoiceLines`. */
export function resolve(path: string): Route | undefined {
  const m = /^(.+?)(?:\((guid'[^']*'|\d+)\)(?:\/(\w+))?)?$/i.exec(path);
  if (!m) return undefined;
  const found = ROUTES.get(m[1]!.toLowerCase());
  if (!found) return undefined;
  const route: Route = { ...found };
  if (m[2] !== undefined) route.key = m[2].replace(/^guid'(.*)'$/i, '$1').toLowerCase();
  if (m[3] !== undefined) route.nav = m[3];
  return route;
}

export interface Ctx {
  sandbox: Sandbox;
  division: DivisionState;
  baseUrl: string;
}

function divisionRows(ctx: Ctx): Row[] {
  return ctx.sandbox.divisions.map((d, i) => ({
    Code: d.code,
    Description: d.description,
    Hid: d.hid,
    Current: i === 0,
    IsMainDivision: i === 0,
    IsDossierDivision: false,
    IsPracticeDivision: false,
    IsHRDivision: false,
    Status: 1,
    BlockingStatus: 0,
    Country: 'NL',
    Currency: 'EUR',
    Legislation: 'NL',
    TemplateCode: '1',
    CustomerName: d.description,
    CustomerCode: String(10_000 + d.hid).padStart(18, ' '),
    Customer: null,
    StartDate: Date.UTC(2019, 0, 1),
    DivisionMoveDate: d.moveDate,
    City: 'Amsterdam',
    Created: Date.UTC(2019, 0, 1),
    Modified: d.moveDate ?? Date.UTC(2024, 0, 1),
    Class_01: null,
    Class_02: null,
    Class_03: null,
    Class_04: null,
    Class_05: null,
  }));
}

function readable(ctx: Ctx, def: EntityDef): Readable {
  if (def === DIVISIONS_ENTITY) return fixedTable(def, divisionRows(ctx));
  if (def.name === 'DocumentTypes') {
    return fixedTable(
      def,
      DOCUMENT_TYPES.map(([ID, Description, TypeCategory]) => ({
        ID,
        Description,
        TypeCategory,
        DocumentIsCreatable: true,
        DocumentIsDeletable: true,
        DocumentIsUpdatable: true,
        DocumentIsViewable: true,
        Created: Date.UTC(2015, 0, 1),
        Modified: Date.UTC(2015, 0, 1),
      })),
    );
  }
  return ctx.sandbox.table(ctx.division.code, def.name);
}

/** Values Exact derives from the row's own key (download and view URLs). */
function derived(ctx: Ctx, def: EntityDef, row: Row): Row {
  if (def.name === 'DocumentAttachments')
    return {
      ...row,
      Url: `${ctx.baseUrl}/docs/SysAttachment.aspx?ID=${String(row.ID)}&_Division_=${ctx.division.code}`,
    };
  if (def.name === 'Documents')
    return {
      ...row,
      DocumentViewUrl: `${ctx.baseUrl}/docs/DocView.aspx?DocumentID=${String(row.ID)}&_Division_=${ctx.division.code}`,
    };
  return row;
}

function rowUri(ctx: Ctx, path: string, def: EntityDef, row: Row): string {
  return `${ctx.baseUrl}/api/v1/${ctx.division.code}/${path}(${keyLiteral(def, row[def.key])})`;
}

function childrenOf(ctx: Ctx, parent: EntityDef, nav: string, parentIds: ReadonlySet<string>): Map<string, Row[]> {
  const link = parent.children![nav]!;
  const table = ctx.sandbox.table(ctx.division.code, link.entity);
  const byParent = new Map<string, Row[]>();
  for (let i = 0; i < table.end; i++) {
    const row = table.get(i);
    const fk = row ? String(row[link.foreignKey]) : '';
    if (!row || !parentIds.has(fk)) continue;
    const list = byParent.get(fk) ?? [];
    list.push(row);
    byParent.set(fk, list);
  }
  return byParent;
}

/** The path a route's mode reads. */
function pathOf(def: EntityDef, mode: Mode): string {
  return mode === 'sync' ? (def.syncPath ?? def.path) : mode === 'bulk' ? def.bulkPath! : def.path;
}

export function send(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json;charset=utf-8').send(JSON.stringify(body));
}

export function handleGet(ctx: Ctx, route: Route, req: Request, res: Response): void {
  const { def, mode } = route;
  const params = new URL(req.originalUrl, 'http://x').searchParams;
  if (route.key !== undefined) {
    const path = pathOf(def, mode);
    const fields = ctx.sandbox.drift.served(def, path);
    const table = readable(ctx, def);
    const index = table.indexOf(route.key);
    const row = index === undefined ? undefined : table.get(index);
    if (!row) throw new ODataError(404, `${def.name}(${route.key}) was not found.`);
    if (route.nav !== undefined) {
      const nav = Object.keys(def.children ?? {}).find((n) => n.toLowerCase() === route.nav!.toLowerCase());
      if (!nav) throw new ODataError(400, `No navigation property '${route.nav}' exists in type '${def.type}'.`);
      const childDef = entity(def.children![nav]!.entity);
      const q = parseQuery(params, childDef, childDef.fields, { selectRequired: false });
      const rows = childrenOf(ctx, def, nav, new Set([String(row[def.key])])).get(String(row[def.key])) ?? [];
      send(res, 200, {
        d: {
          results: rows.map((r) =>
            wireRow(childDef, derived(ctx, childDef, r), q.select, rowUri(ctx, childDef.path, childDef, r)),
          ),
        },
      });
      return;
    }
    const q = parseQuery(params, def, fields, { selectRequired: false, typeName: typeNameAt(def, mode) });
    const expanded = expansions(ctx, def, q.expand, [row]);
    send(res, 200, {
      d: wireRow(
        def,
        derived(ctx, def, row),
        q.select,
        rowUri(ctx, path, def, row),
        expanded.get(String(row[def.key])),
      ),
    });
    return;
  }

  renderCollection(ctx, route, params, res);
}

/** Reads one page and writes it to `res` in slices of rows as they are serialised, so the client receives while the rest is built. */
function renderCollection(ctx: Ctx, route: Route, params: URLSearchParams, res: Response): void {
  const { def, mode } = route;
  const path = pathOf(def, mode);
  const fields = ctx.sandbox.drift.served(def, path);
  const table = readable(ctx, def);
  const q = parseQuery(params, def, fields, { selectRequired: mode !== 'plain', typeName: typeNameAt(def, mode) });
  // Mandatory filtering (docs/exact-online.md 4.5): plain and bulk endpoints whose entity has a sync
  // endpoint in Exact's reference refuse a collection GET without $filter.
  if (ctx.sandbox.mandatoryFilter && mode !== 'sync' && hasSyncCounterpart(def.path) && !q.filter) {
    throw new ODataError(
      400,
      `A GET request for this endpoint must have a $filter parameter with one of the following fields in the url:${fields
        .filter((f) => !f.nav)
        .map((f) => f.name)
        .join(',')}.`,
    );
  }
  // With $top within one page there is never a __next, so the envelope is known before the rows: the
  // array form {"d":[…]} (docs/exact-online.md 4.2) unless a count was asked for.
  const arrayForm = q.top !== undefined && q.top <= PAGE_SIZE[mode] && !q.inlinecount;
  res.status(200).type('application/json;charset=utf-8');
  let chunk = arrayForm ? '{"d":[' : '{"d":{"results":[';
  let n = 0;
  const emit = (row: Row, children?: ReadonlyMap<string, unknown[]>) => {
    const r = derived(ctx, def, row);
    const uri = rowUri(ctx, path, def, row);
    if (n > 0) chunk += ',';
    chunk += children ? JSON.stringify(wireRow(def, r, q.select, uri, children)) : wireRowJson(def, r, q.select, uri);
    if (++n % 100 === 0) {
      res.write(chunk);
      chunk = '';
    }
  };
  let page;
  if (q.expand.length > 0) {
    page = readPage(table, q, mode, PAGE_SIZE[mode], undefined, ctx.sandbox.syncOrder);
    const expanded = expansions(ctx, def, q.expand, page.rows);
    for (const row of page.rows) emit(row, expanded.get(String(row[def.key])));
  } else {
    page = readPage(table, q, mode, PAGE_SIZE[mode], (row) => emit(row), ctx.sandbox.syncOrder);
  }

  let next: string | undefined;
  if (page.next) {
    const url = new URL(`${ctx.baseUrl}/api/v1/${ctx.division.code}/${path}`);
    for (const [k, v] of params) url.searchParams.append(k, v);
    for (const [k, v] of Object.entries(page.next)) {
      if (v === undefined) url.searchParams.delete(k);
      else url.searchParams.set(k, v);
    }
    // Exact writes $-options unescaped ("?$select=ID,Code&$top=40&$skiptoken=guid'…'").
    next = url.toString().replace(/%24/g, '$').replace(/%27/g, "'").replace(/%2C/g, ',');
  }
  const tail = arrayForm
    ? ']}'
    : `]${page.count !== undefined ? `,"__count":"${page.count}"` : ''}${next ? `,"__next":${JSON.stringify(next)}` : ''}}}`;
  res.end(chunk + tail);
}

function expansions(
  ctx: Ctx,
  def: EntityDef,
  expand: readonly string[],
  rows: readonly Row[],
): Map<string, Map<string, unknown[]>> {
  const out = new Map<string, Map<string, unknown[]>>();
  if (expand.length === 0 || rows.length === 0) return out;
  const ids = new Set(rows.map((r) => String(r[def.key])));
  for (const nav of expand) {
    const childDef = entity(def.children![nav]!.entity);
    for (const [parentId, children] of childrenOf(ctx, def, nav, ids)) {
      const perRow = out.get(parentId) ?? new Map<string, unknown[]>();
      perRow.set(
        nav,
        children.map((c) =>
          wireRow(
            childDef,
            derived(ctx, childDef, c),
            childDef.fields.filter((f) => !f.nav),
            rowUri(ctx, childDef.path, childDef, c),
          ),
        ),
      );
      out.set(parentId, perRow);
    }
    for (const id of ids) {
      const perRow = out.get(id) ?? new Map<string, unknown[]>();
      if (!perRow.has(nav)) perRow.set(nav, []);
      out.set(id, perRow);
    }
  }
  return out;
}

export function handleWrite(ctx: Ctx, route: Route, req: Request, res: Response): void {
  const { def } = route;
  if (route.mode !== 'plain' || !def.methods.has(req.method) || !WRITABLE.has(def.name) || route.nav !== undefined) {
    throw new ODataError(405, `${req.method} is not supported on this endpoint.`);
  }
  if (ctx.division.readOnly) {
    throw new ODataError(403, 'Forbidden');
  }
  const sandbox = ctx.sandbox;
  const code = ctx.division.code;
  if (req.method === 'POST') {
    if (route.key !== undefined) throw new ODataError(405, 'POST is not supported on a single entity.');
    const fields = completeRow(sandbox, code, def, convertBody(def, req.body, true));
    if (def.name === 'Documents') fields.HID = sandbox.table(code, 'Documents').end + 1;
    const row = sandbox.insert(code, def.name, fields);
    // Exact answers a POST with the whole new entity (docs/exact-online.md 4.2); 201 per OData, though Nango recorded 200.
    send(res, 201, { d: wireRow(def, derived(ctx, def, row), def.fields, rowUri(ctx, def.path, def, row)) });
    return;
  }
  if (route.key === undefined) throw new ODataError(405, `${req.method} needs a key: ${def.path}(guid'…').`);
  const found = sandbox.table(code, def.name).find(route.key);
  if (req.method === 'DELETE') {
    // Deleting what is not there answers 403 "Forbidden" in Exact (docs/exact-online.md 11, ISS-P#434).
    if (!found) throw new ODataError(403, 'Forbidden');
    sandbox.remove(code, def.name, route.key);
    res.status(204).end();
    return;
  }
  if (!found) throw new ODataError(404, `${def.name}(${route.key}) was not found.`);
  sandbox.update(code, def.name, route.key, completeRow(sandbox, code, def, convertBody(def, req.body, false)));
  res.status(204).end();
}

/**
 * `read/sync/Sync/SyncTimestamp?modified=datetime'…'&endPoint='TransactionLines'`: the Timestamp from which
 * a sync reads the rows modified on or after a date (docs/exact-online.md 5.1). The answer's shape is not
 * documented where we looked; this one gives the three fields PICQER's model has, in the results form.
 * Generated rows are modified in index order (day by day), so the first one on or after the date is
 * found by bisection; changed rows all carry later Timestamps anyway.
 */
export function handleSyncTimestamp(ctx: Ctx, req: Request, res: Response): void {
  const params = new URL(req.originalUrl, 'http://x').searchParams;
  const modified = /^datetime'([^']+)'$/i.exec(params.get('modified') ?? '');
  const endPoint = /^'([^']+)'$/.exec(params.get('endPoint') ?? '');
  const date = modified ? parseDateLiteral(modified[1]!) : undefined;
  const def = endPoint
    ? ENTITIES.find((e) => e.syncPath && e.name.toLowerCase() === endPoint[1]!.toLowerCase())
    : undefined;
  if (date === undefined || !def)
    throw new ODataError(
      400,
      "SyncTimestamp needs modified=datetime'YYYY-MM-DD' and endPoint='<a sync endpoint such as TransactionLines>'.",
    );
  const table = ctx.sandbox.table(ctx.division.code, def.name);
  let lo = 0;
  let hi = table.baseCount;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const row = table.get(mid);
    if (row && (row.Modified as number) < date) lo = mid + 1;
    else hi = mid;
  }
  const timestamp = lo < table.baseCount ? table.tsBase + lo - 1 : table.tsBase + table.baseCount - 1;
  send(res, 200, {
    d: {
      results: [
        {
          __metadata: { type: 'Exact.Web.Api.Models.Sync.SyncTimestamp' },
          Modified: `/Date(${date})/`,
          API: def.name,
          TimeStampAsBigInt: String(timestamp),
        },
      ],
    },
  });
}

export function meRow(sandbox: Sandbox, userId: string, fullName: string): Row {
  const first = sandbox.divisions[0]!;
  const utc = sandbox.clock.now();
  const [firstName, ...rest] = fullName.split(' ');
  return {
    UserID: userId,
    CurrentDivision: first.code,
    AccountingDivision: first.code,
    DivisionCustomer: null,
    DivisionCustomerCode: String(10_000 + first.hid).padStart(18, ' '),
    DivisionCustomerName: first.description,
    DivisionCustomerVatNumber: null,
    DivisionCustomerSiretNumber: '',
    DossierDivision: null,
    Email: 'demo@example.com',
    FirstName: firstName,
    LastName: rest.join(' '),
    FullName: fullName,
    Gender: 'O',
    Initials: null,
    MiddleName: null,
    IsClientUser: true,
    IsMyFirmPortalUser: false,
    IsEmployeeSelfServiceUser: false,
    IsMyFirmLiteUser: false,
    IsStarterUser: false,
    IsOEIMigrationMandatory: false,
    PackageCode: 'EOLAPPCENTER',
    CustomerCode: String(10_000 + first.hid).padStart(18, ' '),
    Language: 'EN',
    LanguageCode: 'en-GB',
    Legislation: 1,
    Title: null,
    UserName: 'demo@example.com',
    Phone: null,
    Mobile: null,
    Nationality: null,
    PhoneExtension: null,
    PictureUrl: null,
    ThumbnailPicture: null,
    ThumbnailPictureFormat: null,
    ServerTime: localIso(utc + amsterdamOffsetSeconds(utc) * 1000),
    ServerUtcOffset: amsterdamOffsetSeconds(utc),
  };
}

export function handleMe(
  sandbox: Sandbox,
  baseUrl: string,
  user: { userId: string; fullName: string },
  req: Request,
  res: Response,
): void {
  const params = new URL(req.originalUrl, 'http://x').searchParams;
  const q = parseQuery(params, ME_ENTITY, ME_ENTITY.fields, { selectRequired: false });
  const row = meRow(sandbox, user.userId, user.fullName);
  // current/Me answers in the results form although it is one entity (docs/exact-online.md 4.2).
  send(res, 200, {
    d: { results: [wireRow(ME_ENTITY, row, q.select, `${baseUrl}/api/v1/current/Me(guid'${user.userId}')`)] },
  });
}

export function sendError(res: Response, err: unknown): void {
  if (err instanceof ODataError) {
    send(res, err.status, exactError(err.message));
    return;
  }
  send(res, 500, exactError('An error has occurred.'));
}
