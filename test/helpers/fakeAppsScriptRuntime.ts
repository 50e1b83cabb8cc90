/**
 * The Apps Script runtime around the module, as Google documents it ("Quotas for Google Services",
 * "Installable triggers", "Class LockService", "Class PropertiesService"):
 * - an execution ends after 6 minutes ("Script runtime: 6 min / execution"): the script is stopped at
 *   whatever it was doing with "Exceeded maximum execution time", and every later call fails too;
 * - time passes as the script works: each service call costs virtual time (`costs`; a test may make
 *   Google slower), and the script's own clock (`Date`) reads that time;
 * - time-based triggers: `after(ms)` runs a function once, later, in an execution of its own;
 *   `everyHours` / `everyDays` repeatedly; at most 20 triggers per user per script;
 * - a trigger's execution has no user interface: SpreadsheetApp.getUi() throws "Cannot call
 *   SpreadsheetApp.getUi() from this context.";
 * - LockService's document lock is held by one execution at a time and let go when it ends;
 * - a property value holds at most 9 kB ("Properties value size: 9 kB / val"), a store 500 kB.
 */

export const EXECUTION_LIMIT_MS = 6 * 60_000;
export const PROPERTY_VALUE_LIMIT = 9 * 1024;
export const PROPERTY_STORE_LIMIT = 500 * 1024;
export const TRIGGER_LIMIT = 20;

export interface Costs {
  /** Every service call. */
  call: number;
  /** Per cell written (setValues, copyTo, setNumberFormat, clearContent). */
  cellWrite: number;
  /** Per cell read (getValues, getFormulas). */
  cellRead: number;
  /** A UrlFetchApp.fetch, and per kB of its answer. */
  fetch: number;
  fetchPerKb: number;
}

export class ExecutionClock {
  /** Virtual time, in ms since 1970. */
  now = Date.UTC(2026, 10, 30, 8, 0, 0);
  started = this.now;
  killed = false;
  /** What the running execution is: a menu or sidebar call (with a UI) or a trigger (without). */
  kind: 'user' | 'trigger' = 'user';
  costs: Costs = { call: 5, cellWrite: 0.05, cellRead: 0.005, fetch: 300, fetchPerKb: 0.1 };

  begin(kind: 'user' | 'trigger'): void {
    this.started = this.now;
    this.killed = false;
    this.kind = kind;
  }
  /** Spends `ms` of the execution; past 6 minutes the execution is over. */
  charge(ms: number): void {
    if (this.killed) throw new Error('Exceeded maximum execution time');
    this.now += ms;
    if (this.now - this.started > EXECUTION_LIMIT_MS) {
      this.killed = true;
      throw new Error('Exceeded maximum execution time');
    }
  }
  writes(cells: number): void {
    this.charge(this.costs.call + cells * this.costs.cellWrite);
  }
  reads(cells: number): void {
    this.charge(this.costs.call + cells * this.costs.cellRead);
  }
}

/** The script's `Date`: the virtual clock's time for `new Date()` and `Date.now()`. */
export function clockDate(clock: ExecutionClock): DateConstructor {
  const Real = Date;
  class ScriptDate extends Real {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(clock.now);
      else super(...(args as [number]));
    }
    static override now(): number {
      return clock.now;
    }
  }
  return ScriptDate as unknown as DateConstructor;
}

export interface Trigger {
  id: string;
  fn: string;
  /** One-shot: when it runs. */
  at?: number;
  /** Recurring: every so many ms. */
  everyMs?: number;
}

/** ScriptApp's time-based triggers. */
export function fakeScriptApp(clock: ExecutionClock, triggers: Trigger[]) {
  let next = 1;
  const create = (t: Omit<Trigger, 'id'>) => () => {
    clock.charge(clock.costs.call);
    if (triggers.length >= TRIGGER_LIMIT)
      throw new Error(
        'Exception: This script has too many triggers. Triggers must be deleted from the script before more can be added.',
      );
    const made = { ...t, id: `trigger-${next++}` };
    triggers.push(made);
    return handle(made);
  };
  const handle = (t: Trigger) => ({ getHandlerFunction: () => t.fn, getUniqueId: () => t.id });
  return {
    newTrigger(fn: string) {
      return {
        timeBased: () => ({
          after: (ms: number) => ({ create: create({ fn, at: clock.now + ms }) }),
          everyHours: (n: number) => ({ create: create({ fn, everyMs: n * 3_600_000 }) }),
          everyDays: (n: number) => {
            const daily = { create: create({ fn, everyMs: n * 86_400_000 }) };
            return { ...daily, atHour: () => daily };
          },
        }),
      };
    },
    getProjectTriggers: () => triggers.map(handle),
    deleteTrigger(t: { getUniqueId(): string }) {
      clock.charge(clock.costs.call);
      const i = triggers.findIndex((x) => x.id === t.getUniqueId());
      if (i >= 0) triggers.splice(i, 1);
    },
  };
}

/** LockService: one document lock, held by at most one execution (`lock.holder`). */
export function fakeLockService(clock: ExecutionClock, lock: { holder: string | undefined; execution: string }) {
  const documentLock = {
    tryLock(ms: number): boolean {
      if (lock.holder !== undefined && lock.holder !== lock.execution) {
        clock.charge(ms);
        return false;
      }
      lock.holder = lock.execution;
      return true;
    },
    waitLock(ms: number): void {
      if (!documentLock.tryLock(ms))
        throw new Error('Lock timeout: another process was holding the lock for too long.');
    },
    hasLock: () => lock.holder === lock.execution,
    releaseLock(): void {
      if (lock.holder === lock.execution) lock.holder = undefined;
    },
  };
  return { getDocumentLock: () => documentLock, getScriptLock: () => documentLock };
}
