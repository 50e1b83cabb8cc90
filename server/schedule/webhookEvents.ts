import type pg from 'pg';
import { TABLE_BY_NAME } from '../catalog/tables.ts';
import { tablesOfTopic } from '../catalog/webhookTopics.ts';
import { inTransaction } from '../db/tx.ts';
import type { Logger } from '../lib/logger.ts';
import { loadConnection } from '../state/connections.ts';
import { syncingDivisions } from '../state/divisions.ts';
import { enabledTables } from '../state/tableSettings.ts';
import { claimPendingEvents, markEvents, type StoredWebhookEvent } from '../state/webhookEvents.ts';
import { deleteByKey } from '../warehouse/deleteByKey.ts';
import type { DivisionJob } from './jobs.ts';

/**
 * Acting on Exact's webhook events of one division (issue 23), with no call to Exact while doing so:
 * - a Delete removes the record's rows from each synced table its topic changes (the key, and a header's
 *   lines by their header key), without fetching anything: a GET of a deleted record is a 404, which
 *   counts towards Exact's error limit (docs/exact-online.md 14.7);
 * - Updates are coalesced: however many arrived, each connection syncing the division gets one division
 *   job for the tables they change, which reads them incrementally from their stored cursors (one Sync
 *   call per 1,000 changes instead of one GET per record), under the same pacing and tokens as any run;
 * - an event for a division or table nothing syncs is dropped, and its outcome says why.
 * A division with a run already queued or under way keeps its Updates pending: the minute tick tries
 * again, so no change is lost to a job that had already read that table.
 */

export interface ActDeps {
  pool: pg.Pool;
  log: Logger;
  /** Queues a division job; null when the division has one queued or running. */
  send: (job: DivisionJob) => Promise<string | null>;
}

export interface ActOutcome {
  deleted: number;
  /** Connection → the tables a job was queued for. */
  synced: Map<number, string[]>;
  dropped: number;
  /** Updates left pending (their division was busy). */
  waiting: number;
}

interface Target {
  connectionId: number;
  schema: string;
  tables: Set<string>;
}

export async function actOnWebhookEvents(deps: ActDeps, division: number): Promise<ActOutcome> {
  const targets = await targetsOf(deps.pool, division);
  return inTransaction(deps.pool, async (client) => {
    const events = await claimPendingEvents(client, division);
    const outcome: ActOutcome = { deleted: 0, synced: new Map(), dropped: 0, waiting: 0 };
    if (events.length === 0) return outcome;
    const done = new Map<number, string>();
    const updates = new Map<number, { tables: Set<string>; events: StoredWebhookEvent[] }>();
    for (const e of events) {
      const reach = targets.map((t) => ({ t, tables: tablesOfTopic(e.topic).filter((n) => t.tables.has(n)) }));
      if (targets.length === 0 || reach.every((r) => r.tables.length === 0)) {
        done.set(e.id, targets.length === 0 ? 'division_not_synced' : 'table_not_synced');
        outcome.dropped++;
        continue;
      }
      if (e.action === 'Delete') {
        outcome.deleted += await deleteEverywhere(client, reach, division, e);
        done.set(e.id, 'applied');
        continue;
      }
      for (const r of reach) {
        if (r.tables.length === 0) continue;
        const u = updates.get(r.t.connectionId) ?? { tables: new Set<string>(), events: [] };
        for (const n of r.tables) u.tables.add(n);
        u.events.push(e);
        updates.set(r.t.connectionId, u);
      }
    }
    await queueSyncs(deps, division, updates, done, outcome);
    await markEvents(client, done);
    return outcome;
  });
}

/** Each syncing connection of the division: its schema and enabled tables. */
async function targetsOf(pool: pg.Pool, division: number): Promise<Target[]> {
  const targets: Target[] = [];
  for (const d of await syncingDivisions(pool, { division })) {
    const connection = await loadConnection(pool, d.connectionId);
    targets.push({
      connectionId: d.connectionId,
      schema: connection.warehouse_schema,
      tables: new Set(await enabledTables(pool, d.connectionId)),
    });
  }
  return targets;
}

/** A Delete applied to every synced table of its topic, in every connection that syncs the division. */
async function deleteEverywhere(
  client: pg.ClientBase,
  reach: { t: Target; tables: string[] }[],
  division: number,
  e: StoredWebhookEvent,
): Promise<number> {
  // The topic's first table is the header; its key names the lines' column that points at it.
  const header = TABLE_BY_NAME.get(tablesOfTopic(e.topic)[0] ?? '');
  let removed = 0;
  for (const r of reach)
    for (const name of r.tables)
      removed += await deleteByKey(client, r.t.schema, TABLE_BY_NAME.get(name)!, division, e.key, header?.key.name);
  return removed;
}

/**
 * One job per connection for the tables its Updates change; a busy division leaves them pending. An
 * event two connections need (both sync the division) is applied only once both jobs were queued: one
 * connection's job must not mark it done for the other, whose division was busy.
 */
async function queueSyncs(
  deps: ActDeps,
  division: number,
  updates: Map<number, { tables: Set<string>; events: StoredWebhookEvent[] }>,
  done: Map<number, string>,
  outcome: ActOutcome,
): Promise<void> {
  const waiting = new Set<number>();
  for (const [connectionId, u] of updates) {
    const tables = [...u.tables].sort();
    const id = await deps.send({ connectionId, division, tables, full: false, trigger: 'webhook' });
    if (id === null) for (const e of u.events) waiting.add(e.id);
    else outcome.synced.set(connectionId, tables);
  }
  outcome.waiting = waiting.size;
  for (const u of updates.values()) for (const e of u.events) if (!waiting.has(e.id)) done.set(e.id, 'applied');
  if (outcome.synced.size)
    deps.log.info({ division, jobs: Object.fromEntries(outcome.synced) }, 'webhook events: incremental syncs queued');
}
