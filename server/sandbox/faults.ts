import { unit } from './ids.ts';

/**
 * Injected failures, for testing how a client copes: a status (5xx, 429, …), a slow answer, or a dropped
 * connection, on the Nth matching call, on every call, or at a rate (seeded, so runs repeat).
 */
export interface FaultRule {
  /** Substring of the request path (case-insensitive); all requests when absent. */
  path?: string;
  method?: string;
  /** Fire on the Nth matching request only (1-based). */
  nth?: number;
  /** Fire on this fraction of matching requests (0..1). */
  rate?: number;
  /** Fire at most this many times (default: once for `nth`, unlimited otherwise). */
  times?: number;
  status?: number;
  /** Wait this long (real ms) before answering (or before failing). */
  delayMs?: number;
  /** Destroy the connection without an answer. */
  drop?: boolean;
  body?: unknown;
}

export type FaultAction = { delayMs: number; status?: number; drop?: boolean; body?: unknown };

interface ActiveRule extends FaultRule {
  id: number;
  seen: number;
  fired: number;
}

export class Faults {
  private rules: ActiveRule[] = [];
  private nextId = 1;
  private readonly seed: number;

  constructor(seed: number) {
    this.seed = seed;
  }

  add(rule: FaultRule): number {
    if (rule.status === undefined && !rule.drop && rule.delayMs === undefined)
      throw new Error('a fault needs a status, drop or delayMs');
    const id = this.nextId++;
    this.rules.push({ ...rule, id, seen: 0, fired: 0 });
    return id;
  }

  clear(id?: number): void {
    this.rules = id === undefined ? [] : this.rules.filter((r) => r.id !== id);
  }

  /** What to do with this request: the first rule that fires decides. */
  decide(method: string, path: string): FaultAction | undefined {
    for (const r of this.rules) {
      if (r.method && r.method.toUpperCase() !== method.toUpperCase()) continue;
      if (r.path && !path.toLowerCase().includes(r.path.toLowerCase())) continue;
      r.seen++;
      const limit = r.times ?? (r.nth !== undefined ? 1 : Infinity);
      if (r.fired >= limit) continue;
      const fire =
        r.nth !== undefined ? r.seen >= r.nth : r.rate !== undefined ? unit(this.seed + r.id, r.seen) < r.rate : true;
      if (!fire) continue;
      r.fired++;
      return {
        delayMs: r.delayMs ?? 0,
        ...(r.status !== undefined ? { status: r.status } : {}),
        ...(r.drop ? { drop: true } : {}),
        ...(r.body !== undefined ? { body: r.body } : {}),
      };
    }
    return undefined;
  }
}
