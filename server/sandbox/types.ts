import { REFERENCE, referenceEndpoint } from '../catalog/reference.ts';
import type { EntityDef, FieldDef } from './model.ts';

/**
 * The types the sandbox's endpoints serve, read from the facts file itself (server/catalog/reference.json,
 * made from Exact's reference by server/catalog/tools/extractReference.ts, through its plain accessor
 * catalog/reference.ts) — not from the client's catalog decisions (tables.ts select and lacks).
 *
 * - A sync and a bulk endpoint serve the fields of their own type: the sync types drop fields the plain
 *   endpoint has (`GLAccountSync` lacks `DeductibilityPercentages`: picqer/exact-php-client issue 652;
 *   `TransactionLineSync` lacks `ShopOrder`) and add `Timestamp` (docs/exact-online.md 5.1, 13).
 * - A `$select` naming any other field fails the whole request with Exact's 400 (docs/exact-online.md 4.4):
 *   `Type '<type>' does not have a property named '<field>'.`, the sync type being named `<plain type>Sync`
 *   as Exact names it (`Exact.Web.Api.Models.Financial.TransactionLineSync`).
 * - Fields can be dropped at run time (Exact adds and drops fields without notice), to test drift.
 */

/** The fields the endpoint at `path` serves per the facts file; padding as the entity's stored fields have it. */
export function referenceFields(def: EntityDef, path: string): FieldDef[] {
  const e = referenceEndpoint(path);
  if (!e) throw new Error(`sandbox: ${path} is not in the facts file`);
  return e.fields.map(({ name, edm }) => {
    const stored = def.fieldByLower.get(name.toLowerCase());
    const nav = edm.startsWith('nav:');
    return { name, type: nav ? edm.slice(4) : edm, nav, ...(stored?.pad ? { pad: stored.pad } : {}) };
  });
}

/** The entities (last path segment, lower case) that Exact's reference has a sync endpoint for. */
const SYNCED = new Set([...REFERENCE.keys()].filter((u) => u.startsWith('sync/')).map((u) => u.split('/').pop()!));

/**
 * Whether Exact's reference has a sync endpoint for the entity a plain or bulk path serves (same last
 * path segment: `salesinvoice/SalesInvoices` ↔ `sync/SalesInvoice/SalesInvoices`). Those endpoints fall
 * under mandatory filtering (docs/exact-online.md 4.5).
 */
export function hasSyncCounterpart(path: string): boolean {
  return SYNCED.has(path.split('/').pop()!.toLowerCase());
}

/** The `__metadata.type`-style name of the type behind a path, as Exact's messages name it. */
export function typeNameAt(def: EntityDef, mode: 'plain' | 'bulk' | 'sync'): string {
  return mode === 'sync' && def.name !== 'Deleted' ? `${def.type}Sync` : def.type;
}

/** Fields dropped from endpoints while the sandbox runs: path (lower case) → field names. */
export class Drift {
  private readonly dropped = new Map<string, Set<string>>();
  private readonly cache = new Map<string, readonly FieldDef[]>();

  drop(path: string, field: string): void {
    if (!referenceEndpoint(path)) throw new Error(`sandbox: ${path} is not an endpoint`);
    const set = this.dropped.get(path.toLowerCase()) ?? new Set<string>();
    set.add(field.toLowerCase());
    this.dropped.set(path.toLowerCase(), set);
    this.cache.delete(path.toLowerCase());
  }

  restore(path: string, field: string): void {
    this.dropped.get(path.toLowerCase())?.delete(field.toLowerCase());
    this.cache.delete(path.toLowerCase());
  }

  /** What `path` serves now: its reference fields less those dropped. */
  served(def: EntityDef, path: string): readonly FieldDef[] {
    const key = path.toLowerCase();
    let fields = this.cache.get(key);
    if (!fields) {
      const gone = this.dropped.get(key);
      fields = referenceFields(def, path).filter((f) => !gone?.has(f.name.toLowerCase()));
      this.cache.set(key, fields);
    }
    return fields;
  }
}
