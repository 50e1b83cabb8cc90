import { createHash } from 'node:crypto';

/**
 * Deterministic ids and numbers for the generated ledgers. A generated row's GUID carries its index in the
 * last 6 bytes, so SQL Server's uniqueidentifier order (which compares the last 6 bytes first) is the
 * index order, and `$skiptoken=guid'…'` keyset paging is an index range: no table is ever materialised.
 */

/** 32-bit FNV-1a over a string: cheap, stable seeds for per-entity prefixes. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A well-mixed 32-bit value for (seed, n): the same inputs always give the same output. */
export function mix(seed: number, n: number): number {
  let x = (seed ^ Math.imul(n, 0x9e3779b1)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A number in [0, 1) for (seed, n). */
export function unit(seed: number, n: number): number {
  return mix(seed, n) / 4294967296;
}

/** The id space of one (seed, division, entity): an opaque string that seeds its GUIDs. */
export function guidPrefix(seed: number, division: number, entity: string): string {
  return createHash('sha256').update(`${seed}:${division}:${entity}`).digest('hex').slice(0, 16);
}

const seeds = new Map<string, number>();
function seedOf(prefix: string): number {
  let s = seeds.get(prefix);
  if (s === undefined) seeds.set(prefix, (s = hash32(prefix)));
  return s;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (n: number) => HEX[n >>> 24]! + HEX[(n >>> 16) & 255]! + HEX[(n >>> 8) & 255]! + HEX[n & 255]!;
/** 12 hex digits of a number below 2^48. */
const hex12 = (n: number) => {
  const hi = Math.floor(n / 4294967296);
  return HEX[(hi >>> 8) & 255]! + HEX[hi & 255]! + hex8(n >>> 0);
};
const cache = new Map<string, string[]>();
const CACHED = 4096;

/**
 * The GUID of row `index`: random-looking version-4 bytes, except that the last 6 bytes are
 * index * 65536 + 16 random bits. SQL Server orders GUIDs by those last 6 bytes first, so GUID order is
 * index order, and the index can be read back from any GUID of the space.
 */
export function guidAt(prefix: string, index: number): string {
  if (index < CACHED) {
    let list = cache.get(prefix);
    if (!list) cache.set(prefix, (list = []));
    return (list[index] ??= makeGuid(prefix, index));
  }
  return makeGuid(prefix, index);
}

function makeGuid(prefix: string, index: number): string {
  const s = seedOf(prefix);
  const a = mix(s, index * 3);
  const b = mix(s, index * 3 + 1);
  const c = mix(s, index * 3 + 2);
  const hb = hex8(b);
  const hc = hex8(c);
  const last = hex12(index * 65536 + (c & 0xffff));
  return `${hex8(a)}-${hb.slice(0, 4)}-4${hb.slice(5, 8)}-${(((c >>> 28) & 3) | 8).toString(16)}${hc.slice(1, 4)}-${last}`;
}

/** The index of a GUID made by guidAt for `prefix`, or undefined for any other GUID. */
export function indexOfGuid(prefix: string, guid: string): number | undefined {
  const g = guid.toLowerCase();
  if (g.length !== 36) return undefined;
  const n = parseInt(g.slice(24), 16);
  if (!Number.isFinite(n)) return undefined;
  const index = Math.floor(n / 65536);
  return guidAt(prefix, index) === g ? index : undefined;
}

export const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * SQL Server's uniqueidentifier order: bytes 10-15 first, then 8-9, 6-7, 4-5, 0-3 (each group compared
 * as written). Checked against two real 60-row pages of Exact (docs/exact-online.md 4.3).
 */
export function compareSqlGuid(a: string, b: string): number {
  const x = a.toLowerCase().replace(/-/g, '');
  const y = b.toLowerCase().replace(/-/g, '');
  for (const [from, to] of [
    [20, 32],
    [16, 20],
    [12, 16],
    [8, 12],
    [0, 8],
  ] as const) {
    const p = x.slice(from, to);
    const q = y.slice(from, to);
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}
