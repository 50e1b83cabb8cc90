import { SandboxWebhooks, type WebhookOptions } from './webhooks.ts';
import { createClock, type SandboxClock } from './clock.ts';
import type { SyncOrder } from './query.ts';
import { Faults } from './faults.ts';
import { Drift } from './types.ts';
import { mix } from './ids.ts';
import { createLedger, type Generated } from './ledger.ts';
import { USER_ID } from './ledgerData.ts';
import { toExactLocal } from './localTime.ts';
import { ENTITIES, entity, type Row } from './model.ts';
import { OAuthServer } from './oauth.ts';
import { newBudget, spend, type Budget, type Decision, type Limits } from './rateLimit.ts';
import { Table } from './store.ts';

/**
 * The state of a simulated Exact Online: divisions with their generated ledgers and changes, the OAuth
 * server, rate-limit budgets, injected faults and the call log. `app.ts` puts HTTP in front of it; tests
 * also use its methods directly as the control API.
 */

export interface SandboxOptions {
  seed?: number;
  /** Number of divisions (administrations) of the demo user. */
  divisions?: number;
  /** Transaction lines in the largest division; the others are smaller. */
  scale?: number;
  /** 30: a sandbox minute lasts two real seconds. */
  timeScale?: number;
  /** Sandbox time at start, epoch ms (default: now). */
  start?: number;
  /** false: no rate limits (throughput benchmarks). */
  limits?: Limits | false;
  /** Skip the login page: /api/oauth2/auth redirects straight back with a code for the demo user. */
  autoApprove?: boolean;
  clientId?: string;
  clientSecret?: string;
  /**
   * Exact's "mandatory filtering" on plain and bulk endpoints that have a sync counterpart: on by default,
   * the strictest reading of docs/exact-online.md 4.5 (Exact enforces it per app; false for apps it spares).
   */
  mandatoryFilter?: boolean;
  /** How sync endpoints order their pages (query.ts SyncOrder); `timestamp` by default. */
  syncOrder?: SyncOrder;
  /** Status for "Old refresh token used." (401, or 400 as one report has it). */
  oldRefreshTokenStatus?: number;
  /** Status for a refresh before 570 s. */
  tooEarlyStatus?: number;
  /** Webhooks (server/sandbox/webhooks.ts): the app's secret, plain-HTTP callbacks, the scope, retries, disorder. */
  webhooks?: Partial<WebhookOptions>;
}

export const SANDBOX_CLIENT_ID = 'sandbox-client';
export const SANDBOX_CLIENT_SECRET = 'sandbox-secret';
/** The demo app's webhook secret: what the sandbox signs its webhook deliveries with (docs/exact-webhooks.md §4). */
export const SANDBOX_WEBHOOK_SECRET = 'sandbox-webhook-secret';
export const SANDBOX_USER = 'demo';
export const SANDBOX_PASSWORD = 'demo';

/** Entities served from another's rows, with its keys (sync/SalesOrder/SalesOrderHeaders: the sales orders). */
const KEYS_OF: Readonly<Record<string, string>> = { SalesOrderHeaders: 'SalesOrders' };

/** Each entity served from another's rows, and that other: a row deleted from one is gone from both. */
const TWINS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(KEYS_OF).flatMap(([a, b]) => [
    [a, b],
    [b, a],
  ]),
);

/** Timestamps kept for an entity whose rows are counted only when used (ledger.ts Generated.lazy). */
const LAZY_TIMESTAMPS = 10_000_000;

/** Timestamps start above 2^32, so a client that keeps them in 32-bit integers breaks in tests, not in production. */
const TIMESTAMP_BASE = 10_000_000_000;

export interface DivisionState {
  code: number;
  description: string;
  hid: number;
  lines: number;
  readOnly: boolean;
  /** Set when the Timestamps were regenerated (Exact's DivisionMoveDate). */
  moveDate: number | null;
  tables: Map<string, Table>;
  nextTimestamp(): number;
  /** Moves the Timestamp counter forward to at least `n`. */
  advanceTimestamps(n: number): void;
  /** Bumped by every change to the division's data. */
  version: number;
}

export interface CallRecord {
  at: number;
  method: string;
  path: string;
  division: number | null;
  status: number;
  ms: number;
}

const COMPANY = [
  'Noordzee Installatie',
  'Bakkerij De Molen',
  'Van Leeuwen Logistics',
  'Atelier Sterk',
  'Groenhoven Tuinen',
  'Polder Software',
  'Kade Catering',
  'Brugge Metaal',
];

export class Sandbox {
  readonly clock: SandboxClock;
  readonly oauth: OAuthServer;
  readonly faults: Faults;
  readonly seed: number;
  readonly limits: Limits | false;
  readonly autoApprove: boolean;
  mandatoryFilter: boolean;
  syncOrder: SyncOrder;
  /** Fields dropped from endpoints at run time (types.ts). */
  readonly drift = new Drift();
  readonly webhooks: SandboxWebhooks;
  readonly divisions: DivisionState[] = [];
  readonly calls: CallRecord[] = [];
  private readonly budgets = new Map<string, Budget>();
  private static readonly MAX_CALLS = 100_000;

  constructor(options: SandboxOptions = {}) {
    this.seed = options.seed ?? 1;
    this.clock = createClock({
      ...(options.start !== undefined ? { start: options.start } : {}),
      timeScale: options.timeScale ?? 1,
    });
    this.limits = options.limits === undefined ? { minutely: 60, daily: 5000 } : options.limits;
    this.autoApprove = options.autoApprove ?? false;
    // Exact retries after 2^n minutes (docs/exact-online.md 14.5); sandbox time runs timeScale faster.
    this.webhooks = new SandboxWebhooks(
      {
        secret: SANDBOX_WEBHOOK_SECRET,
        allowHttp: false,
        scope: true,
        retryUnitMs: 60_000 / (options.timeScale ?? 1),
        duplicate: false,
        reorder: false,
        ...options.webhooks,
      },
      () => this.localNow(),
    );
    this.mandatoryFilter = options.mandatoryFilter ?? true;
    this.syncOrder = options.syncOrder ?? 'timestamp';
    this.faults = new Faults(this.seed);
    this.oauth = new OAuthServer(
      {
        clientId: options.clientId ?? SANDBOX_CLIENT_ID,
        clientSecret: options.clientSecret ?? SANDBOX_CLIENT_SECRET,
        users: { [SANDBOX_USER]: { password: SANDBOX_PASSWORD, userId: USER_ID, fullName: 'Demo User' } },
        oldRefreshTokenStatus: options.oldRefreshTokenStatus ?? 401,
        tooEarlyStatus: options.tooEarlyStatus ?? 400,
      },
      this.clock,
    );
    const count = Math.max(1, Math.floor(options.divisions ?? 3));
    const scale = Math.max(2, Math.floor(options.scale ?? 10_000));
    const endLocal = toExactLocal(this.clock.now());
    const used = new Set<number>();
    for (let k = 0; k < count; k++) {
      let code = 100_000 + (mix(this.seed, k + 1) % 800_000);
      while (used.has(code)) code++;
      used.add(code);
      const lines = Math.max(2, Math.round(scale / (1 + 2 * k * k)));
      this.divisions.push(
        this.makeDivision(
          code,
          `${COMPANY[k % COMPANY.length]}${k >= COMPANY.length ? ` ${Math.floor(k / COMPANY.length) + 1}` : ''}`,
          k + 1,
          lines,
          endLocal,
        ),
      );
    }
  }

  private makeDivision(code: number, description: string, hid: number, lines: number, endLocal: number): DivisionState {
    const ledger = createLedger({ seed: this.seed, division: code, lines, endLocal });
    let counter = 0;
    const state: DivisionState = {
      code,
      description,
      hid,
      lines,
      readOnly: false,
      moveDate: null,
      tables: new Map(),
      version: 0,
      nextTimestamp: () => ++counter,
      advanceTimestamps: (n) => {
        counter = Math.max(counter, n);
      },
    };
    let ts = TIMESTAMP_BASE;
    const empty: Generated = { count: 0, row: () => ({}) };
    for (const def of ENTITIES) {
      if (def.name === 'DocumentTypes') continue;
      const base =
        ledger.entities.get(def.name) ??
        (['Deleted', 'Divisions', 'Me'].includes(def.name) ? empty : ledger.generic(def));
      state.tables.set(def.name, new Table(def, base, state, ts, this.seed, code, KEYS_OF[def.name]));
      // A lazy entity is not counted now: it gets a block of Timestamps larger than it can be.
      ts += base.lazy ? LAZY_TIMESTAMPS : base.count;
    }
    counter = ts;
    return state;
  }

  /** Sandbox now as Exact writes it: local wall-clock ms. */
  localNow(): number {
    return toExactLocal(this.clock.now());
  }

  division(code: number): DivisionState | undefined {
    return this.divisions.find((d) => d.code === code);
  }

  table(code: number, entityName: string): Table {
    const d = this.division(code);
    if (!d) throw new Error(`no division ${code}`);
    const t = d.tables.get(entityName);
    if (!t) throw new Error(`no table ${entityName}`);
    return t;
  }

  /** One API call against the (app, division) budget. */
  spend(clientId: string, division: number): Decision | undefined {
    if (this.limits === false) return undefined;
    const key = `${clientId}:${division}`;
    let budget = this.budgets.get(key);
    if (!budget) this.budgets.set(key, (budget = newBudget()));
    return spend(budget, this.limits, this.clock.now());
  }

  record(call: CallRecord): void {
    this.calls.push(call);
    if (this.calls.length > Sandbox.MAX_CALLS) this.calls.splice(0, this.calls.length - Sandbox.MAX_CALLS);
  }

  // --- the control API: changes as if made in Exact's own screens --------------------------------------

  private audit(create: boolean): Row {
    const now = this.localNow();
    return {
      ...(create ? { Created: now, Creator: USER_ID, CreatorFullName: 'Demo User' } : {}),
      Modified: now,
      Modifier: USER_ID,
      ModifierFullName: 'Demo User',
    };
  }

  insert(code: number, entityName: string, fields: Row): Row {
    this.division(code)!.version++;
    const row = this.table(code, entityName).insert({ ...fields, ...this.audit(true), Division: code });
    this.changed(code, entityName, 'Update', String(row[entity(entityName).key]));
    return row;
  }

  update(code: number, entityName: string, id: string, fields: Row): Row {
    const t = this.table(code, entityName);
    const found = t.find(id);
    if (!found) throw new Error(`no ${entityName} ${id} in division ${code}`);
    this.division(code)!.version++;
    const row = t.update(found.index, { ...fields, ...this.audit(false) });
    this.changed(code, entityName, 'Update', id);
    return row;
  }

  /** A change reported to the webhook subscriptions of its topic (docs/exact-online.md 14.3: creates are Updates). */
  private changed(code: number, entityName: string, action: 'Update' | 'Delete', key: string): void {
    const path = entity(entityName).path;
    this.webhooks.notify(
      code,
      entityName,
      action,
      key,
      `${this.webhooks.baseUrl}/api/v1/${code}/${path}(guid'${key}')`,
    );
  }

  /** Deletes a row and logs it in sync/Deleted (with its children where Exact deletes them too). */
  remove(code: number, entityName: string, id: string): boolean {
    const t = this.table(code, entityName);
    const index = t.indexOf(id);
    const row = index === undefined ? undefined : t.remove(index);
    if (!row) return false;
    this.division(code)!.version++;
    const def = entity(entityName);
    this.changed(code, entityName, 'Delete', id);
    if (def.deletedType !== undefined) {
      this.table(code, 'Deleted').insert({
        DeletedBy: USER_ID,
        DeletedDate: this.localNow(),
        Division: code,
        EntityKey: String(row[def.key]),
        EntityType: def.deletedType,
      });
    }
    // The same orders served twice (legacy SalesOrders, SalesOrderHeaders): gone from both, one delete logged.
    const twin = TWINS[entityName];
    if (twin) {
      const other = this.table(code, twin);
      const at = other.indexOf(id);
      if (at !== undefined) other.remove(at);
    }
    if (entityName === 'Documents') {
      const attachments = this.table(code, 'DocumentAttachments');
      for (let i = 0; i < attachments.end; i++) {
        const a = attachments.get(i);
        if (a && a.Document === id) this.remove(code, 'DocumentAttachments', String(a.ID));
      }
    }
    for (const child of Object.values(def.children ?? {})) {
      const ct = this.table(code, child.entity);
      for (let i = 0; i < ct.end; i++) {
        const c = ct.get(i);
        if (c && c[child.foreignKey] === id) this.remove(code, child.entity, String(c[ct.def.key]));
      }
    }
    return true;
  }

  /** Exact regenerates every Timestamp when a division moves; clients must resync (docs/exact-online.md 5.2). */
  regenerateTimestamps(code: number): void {
    const d = this.division(code);
    if (!d) throw new Error(`no division ${code}`);
    let ts = d.nextTimestamp() + 1_000_000;
    const bases = new Map<Table, number>();
    for (const t of d.tables.values()) {
      bases.set(t, ts);
      ts += t.baseCount;
    }
    // Changed rows are restamped after all generated ones, so they stay last in Timestamp order.
    d.advanceTimestamps(ts);
    for (const [t, base] of bases) t.restamp(base);
    d.moveDate = this.localNow();
    d.version++;
  }
}
