import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { api, authorize, sandboxForFile } from '../helpers/sandbox.ts';

/**
 * The sandbox answers the requests of real recorded Exact exchanges (test/fixtures/exact) in the same
 * shape: the same envelope ({"d":{"results":…}}, {"d":[…]} or {"d":{…}}), the same keys in each row, and
 * the same format of every value that is set on both sides. Values themselves are not compared.
 */
const DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'exact');
const RECORDED = 124132;

interface Fixture {
  request: string | { method: string; path: string; body: Record<string, unknown> };
  params?: Record<string, string>;
  response: { d: unknown };
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as Fixture] as const);

/** The format of a JSON value as Exact writes it. */
export function formatOf(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') {
    if (/^\/Date\(-?\d+\)\/$/.test(v)) return 'date';
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)) return 'guid';
    return 'string';
  }
  if (typeof v === 'object') {
    if (Array.isArray(v)) return 'array';
    if ('__deferred' in v) return 'deferred';
    if ('results' in v) return 'expanded';
    if ('uri' in v && 'type' in v) return 'metadata';
    return 'object';
  }
  return typeof v;
}

function envelope(d: unknown): { kind: string; rows: Record<string, unknown>[]; next: boolean } {
  if (Array.isArray(d)) return { kind: 'array', rows: d as Record<string, unknown>[], next: false };
  const o = d as { results?: Record<string, unknown>[]; __next?: string };
  if (o.results) return { kind: 'results', rows: o.results, next: o.__next !== undefined };
  return { kind: 'entity', rows: [d as Record<string, unknown>], next: false };
}

// The recordings were made by an app Exact spares from mandatory filtering (bare GETs answered 200,
// docs/exact-online.md 4.5), so they are replayed against a sandbox told the same.
const sb = await sandboxForFile({ scale: 3000, limits: false, mandatoryFilter: false });
const { access_token: token } = await authorize(sb);
const division = sb.sandbox.divisions[0]!.code;

/** Formats seen for each key over all rows of a response, nulls aside. */
function formats(rows: readonly Record<string, unknown>[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      const f = formatOf(v);
      if (!out.has(k)) out.set(k, new Set());
      if (f !== 'null') out.get(k)!.add(f);
    }
  }
  return out;
}

function compare(real: unknown, ours: unknown): void {
  const r = envelope(real);
  const o = envelope(ours);
  expect(o.kind).toBe(r.kind);
  expect(o.next).toBe(r.next);
  expect(o.rows.length).toBeGreaterThan(0);
  expect(Object.keys(o.rows[0]!).sort()).toEqual(Object.keys(r.rows[0]!).sort());
  const rf = formats(r.rows);
  const of = formats(o.rows);
  for (const [key, realFormats] of rf) {
    const ourFormats = of.get(key)!;
    // Where both sides have a value, it is written the same way ("" and padded codes are strings too).
    for (const f of ourFormats) if (realFormats.size > 0) expect(realFormats, `${key}: ours ${f}`).toContain(f);
  }
}

describe('sandbox answers match recorded Exact responses in shape', () => {
  for (const [name, fx] of fixtures) {
    if (typeof fx.request !== 'string') continue;
    it(`${name}: ${fx.request}`, async () => {
      let p = (fx.request as string).replace(/^GET /, '').replace(String(RECORDED), String(division));
      if (p.includes("Accounts(guid'"))
        p = p.replace(/guid'[^']+'/, `guid'${String(sb.sandbox.table(division, 'Accounts').get(0)!.ID)}'`);
      const res = await api(sb, token, `${p}${fx.params ? `?${new URLSearchParams(fx.params)}` : ''}`);
      expect(res.status, res.text).toBe(200);
      compare(fx.response.d, res.body.d);
    });
  }

  for (const [name, fx] of fixtures) {
    if (typeof fx.request === 'string') continue;
    it(`${name}: ${fx.request.method} ${fx.request.path}`, async () => {
      const req = fx.request as { method: string; path: string; body: Record<string, unknown> };
      const body = { ...req.body };
      if ('Account' in body) body.Account = sb.sandbox.table(division, 'Accounts').get(0)!.ID;
      if ('Document' in body) body.Document = sb.sandbox.table(division, 'Documents').get(0)!.ID;
      const res = await api(sb, token, req.path.replace(String(RECORDED), String(division)), {
        method: req.method,
        body: JSON.stringify(body),
      });
      expect(res.status, res.text).toBe(201);
      compare(fx.response.d, res.body.d);
    });
  }

  it('orders GUID keys as Exact does (SQL Server uniqueidentifier order), checked on recorded pages', async () => {
    const { compareSqlGuid } = await import('../../server/sandbox/ids.ts');
    for (const name of ['gl_accounts_page_with_next.json', 'transaction_lines_page_with_next.json']) {
      const page = JSON.parse(readFileSync(path.join(DIR, name), 'utf8')) as Fixture;
      const ids = envelope(page.response.d).rows.map((r) => r.ID as string);
      expect(ids.length).toBe(3);
      expect([...ids].sort(compareSqlGuid), name).toEqual(ids);
      expect([...ids].sort(), name).not.toEqual(ids);
    }
  });
});
