import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_NAMESPACES } from '../server/db/locks.ts';

/**
 * The shape of the code, checked on every run (docs/architecture.md draws it): imports run down the
 * layers and never sideways between the parts of one layer; route files do not import each other; the
 * browser bundles take from the server only type-only shapes and the runtime-free client contract;
 * every table of instance state is written and read by its owner module only.
 */

const ROOT = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.tsx?$/.test(e.name)) out.push(rel);
  }
  return out;
}

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

const IMPORT = /(import|export)\s+(type\s+)?[^'";]*?\sfrom\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** The relative imports of the given folders (static, re-exports and dynamic import()). */
function importsOf(dirs: string[]): Import[] {
  const out: Import[] = [];
  for (const file of dirs.flatMap(sourceFiles)) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[3] ?? m[4]!;
      out.push({ from: file, to: path.normalize(path.join(path.dirname(file), spec)), typeOnly: Boolean(m[2]) });
    }
  }
  return out;
}

/**
 * The server's layers, lowest first. A module may import its own group and any group of a lower rank;
 * groups of the same rank are independent of each other (exact and warehouse meet only in sync).
 */
const RANK: Record<string, number> = {
  lib: 0,
  db: 1,
  catalog: 2,
  state: 3,
  exact: 4,
  warehouse: 4,
  sandbox: 4,
  auth: 5,
  query: 5,
  sync: 6,
  documents: 6,
  sheets: 6,
  schedule: 7,
  demo: 8,
  runtime: 8,
  api: 9,
  commands: 9,
  main: 10,
  cli: 11,
};

/** server/<group>/… or server/<group>.ts */
const groupOf = (file: string) => file.split(path.sep)[1]!.replace(/\.ts$/, '');

/** Imports from a lower module to a higher one, or sideways between groups of one rank. */
export function layerViolations(imports: readonly Import[]): string[] {
  const bad: string[] = [];
  for (const i of imports) {
    if (!i.to.startsWith(`server${path.sep}`)) continue;
    const [a, b] = [groupOf(i.from), groupOf(i.to)];
    if (a === b) continue;
    const [ra, rb] = [RANK[a], RANK[b]];
    if (ra === undefined || rb === undefined) bad.push(`${i.from}: ${a} or ${b} has no layer in RANK`);
    else if (rb >= ra) bad.push(`${i.from} imports ${i.to} (${a} → ${b})`);
  }
  return bad;
}

function cycles(imports: readonly Import[]): string[][] {
  const next = new Map<string, string[]>();
  for (const i of imports) next.set(i.from, [...(next.get(i.from) ?? []), i.to]);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, trail: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push([...trail.slice(trail.indexOf(file)), file]);
      return;
    }
    state.set(file, 'open');
    for (const to of next.get(file) ?? []) visit(to, [...trail, file]);
    state.set(file, 'done');
  };
  for (const file of next.keys()) visit(file, []);
  return found;
}

describe('layers', () => {
  const server = importsOf(['server']);

  it('every server import runs down the layers', () => {
    expect(server.length).toBeGreaterThan(300);
    expect(layerViolations(server)).toEqual([]);
  });

  it('the rule catches an upward and a sideways import (so a pass means something)', () => {
    const up = { from: 'server/state/x.ts', to: 'server/exact/tokens.ts', typeOnly: true };
    const sideways = { from: 'server/exact/x.ts', to: 'server/warehouse/load.ts', typeOnly: true };
    const down = { from: 'server/sync/x.ts', to: 'server/state/runs.ts', typeOnly: false };
    expect(layerViolations([up, sideways, down])).toHaveLength(2);
  });

  it('has no import cycles', () => {
    expect(cycles([...server, ...importsOf(['addin/src', 'console/src', 'apps-script/src', 'bench'])])).toEqual([]);
  });

  it('route files do not import each other: what two routes share lives below the API', () => {
    const routes = `server${path.sep}api${path.sep}routes${path.sep}`;
    expect(server.filter((i) => i.from.startsWith(routes) && i.to.startsWith(routes))).toEqual([]);
  });

  it('the browser and Apps Script bundles take from the server only type-only shapes and the client contract', () => {
    const allowedTypes = [
      path.join('server', 'api', 'types.ts'),
      path.join('server', 'state', 'types.ts'),
      path.join('server', 'query', 'types.ts'),
    ];
    const bundles = importsOf(['addin/src', 'console/src', 'apps-script/src']);
    const leaks = bundles.filter((i) => {
      const own = i.to.split(path.sep)[0] === i.from.split(path.sep)[0];
      if (own || i.to.startsWith(`client-contract${path.sep}`)) return false;
      return !(i.typeOnly && allowedTypes.includes(i.to));
    });
    expect(leaks).toEqual([]);
  });
});

/**
 * Which module owns each table of the exact_sync schema: the only place its SQL may be. (The migration
 * runner's own exact_sync.schema_migrations is named through STATE_SCHEMA in server/db/migrate.ts.)
 */
const OWNERS: Record<string, string> = {
  connections: 'server/state/',
  divisions: 'server/state/',
  runs: 'server/state/',
  run_tables: 'server/state/',
  sync_state: 'server/state/',
  table_syncs: 'server/state/',
  connection_tables: 'server/state/',
  instance_settings: 'server/state/',
  dropped_fields: 'server/state/',
  api_keys: 'server/auth/apiKeys.ts',
  sessions: 'server/auth/sessions.ts',
  oauth_states: 'server/auth/oauthStates.ts',
  saved_queries: 'server/query/savedQueries.ts',
  published_views: 'server/query/views.ts',
  webhook_events: 'server/state/',
  webhook_subscriptions: 'server/state/',
  bi_users: 'server/query/biUsers.ts',
  sheet_targets: 'server/sheets/targets.ts',
  sheet_pushes: 'server/sheets/targets.ts',
  sheets_write_budget: 'server/state/sheetsBudget.ts',
  document_writes: 'server/documents/service.ts',
};

const withoutComments = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

describe('instance state', () => {
  it('each exact_sync table is named in SQL by its owner only (migrations aside)', () => {
    const misplaced: string[] = [];
    const seen = new Set<string>();
    for (const file of [...sourceFiles('server'), ...sourceFiles('bench')]) {
      for (const m of withoutComments(fs.readFileSync(path.join(ROOT, file), 'utf8')).matchAll(/exact_sync\.(\w+)/g)) {
        const table = m[1]!;
        seen.add(table);
        const owner = OWNERS[table];
        if (owner === undefined) misplaced.push(`${file}: exact_sync.${table} has no owner in OWNERS`);
        else if (!file.startsWith(owner)) misplaced.push(`${file}: exact_sync.${table} belongs in ${owner}`);
      }
    }
    expect(misplaced).toEqual([]);
    // Every owner still holds its table's SQL: the map is not a list of tables that went away.
    expect([...seen].sort()).toEqual(Object.keys(OWNERS).sort());
  });

  it('every table the migrations create has an owner', () => {
    const dir = path.join(ROOT, 'server', 'db', 'migrations');
    const created = new Set<string>();
    for (const f of fs.readdirSync(dir)) {
      for (const m of fs
        .readFileSync(path.join(dir, f), 'utf8')
        .matchAll(/CREATE TABLE (?:IF NOT EXISTS )?exact_sync\.(\w+)/gi))
        created.add(m[1]!);
    }
    expect(created.size).toBeGreaterThan(10);
    expect([...created].filter((t) => !(t in OWNERS))).toEqual([]);
  });
});

describe('advisory locks', () => {
  it('no two namespaces share a key', () => {
    const values = Object.values(LOCK_NAMESPACES);
    expect(new Set(values).size).toBe(values.length);
  });

  it('no advisory lock is taken with a key that is not named in server/db/locks.ts', () => {
    const stray: string[] = [];
    for (const file of sourceFiles('server')) {
      if (file === path.join('server', 'db', 'locks.ts')) continue;
      const text = withoutComments(fs.readFileSync(path.join(ROOT, file), 'utf8'));
      for (const m of text.matchAll(/pg_(?:try_)?advisory_(?:xact_)?lock\(([^)]*)\)[^\n]*/g)) {
        if (!/LOCK_NAMESPACES|LOCK_KEY|LockKey/.test(m[0])) stray.push(`${file}: ${m[0].trim()}`);
      }
    }
    expect(stray).toEqual([]);
  });

  it('exact-sync never waits for a lock without bound: only the try forms, in locks.ts', () => {
    const blocking: string[] = [];
    for (const file of sourceFiles('server')) {
      const text = withoutComments(fs.readFileSync(path.join(ROOT, file), 'utf8'));
      for (const m of text.matchAll(/pg_advisory_(?:xact_)?lock(?:_shared)?\(/g)) blocking.push(`${file}: ${m[0]}`);
    }
    expect(blocking).toEqual([]);
  });
});
