import { topicsForTables } from '../catalog/webhookTopics.ts';
import { ExactApiError } from '../exact/errors.ts';
import { AppError, messageOf } from '../lib/errors.ts';
import { loadConnection } from '../state/connections.ts';
import { enabledDivisions } from '../state/divisions.ts';
import { enabledTables } from '../state/tableSettings.ts';
import {
  forgetSubscription,
  listSubscriptions,
  saveSubscription,
  setWebhooksEnabled,
} from '../state/webhookSubscriptions.ts';
import { clientFor, type RunDeps } from './deps.ts';

/**
 * Near-real-time on and off for a connection (issue 23): one webhook subscription at Exact per selected
 * division and topic of a synced table (docs/exact-online.md 14.1), all calling back `callbackUrl`.
 * Before asking Exact, the callback must be HTTPS (Exact calls only HTTPS; a stand-in Exact on plain HTTP
 * may call plain HTTP) and must answer Exact's empty POST, as Exact checks it. "Data already exists" is
 * a subscription made before: adopted. A missing scope is said in words.
 */

const SUBSCRIPTIONS = 'webhooks/WebhookSubscriptions';

/** Where exact-sync receives Exact's webhook deliveries (server/api/routes/webhooks.ts). */
export const WEBHOOK_PATH = '/webhooks/exact';

/** The callback Exact is given: this server's public address and the webhook path. */
export const webhookCallbackUrl = (publicUrl: string): string => `${publicUrl}${WEBHOOK_PATH}`;

export interface SubscribeOutcome {
  divisions: number;
  topics: string[];
  made: number;
  adopted: number;
  /** Subscriptions no longer wanted (a division or table deselected since), removed at Exact. */
  removed: number;
}

/** The subscriptions the connection's selection asks for: each selected division × each topic of a synced table. */
async function wanted(pool: RunDeps['pool'], connectionId: number) {
  const topics = topicsForTables(await enabledTables(pool, connectionId));
  const divisions = await enabledDivisions(pool, connectionId);
  return { topics, divisions, keys: new Set(divisions.flatMap((d) => topics.map((t) => `${d}:${t}`))) };
}

/**
 * Whether the subscriptions stored differ from what the selection asks for (a division or table chosen
 * or dropped since they were made): read from the database alone, no call to Exact.
 */
export async function subscriptionsDrifted(pool: RunDeps['pool'], connectionId: number): Promise<boolean> {
  const { keys } = await wanted(pool, connectionId);
  const stored = await listSubscriptions(pool, connectionId);
  return stored.length !== keys.size || stored.some((s) => !keys.has(`${s.division}:${s.topic}`));
}

export async function subscribeWebhooks(
  deps: Pick<RunDeps, 'pool' | 'clientId' | 'tokens' | 'pacer' | 'log'>,
  connectionId: number,
  callbackUrl: string,
): Promise<SubscribeOutcome> {
  const connection = await loadConnection(deps.pool, connectionId);
  await checkCallback(callbackUrl, connection.base_url);
  const { topics, divisions, keys } = await wanted(deps.pool, connectionId);
  const client = clientFor(deps, connection);
  const outcome: SubscribeOutcome = { divisions: divisions.length, topics, made: 0, adopted: 0, removed: 0 };
  for (const division of divisions) {
    const existing = await listAtExact(client, division);
    for (const topic of topics) {
      const there = existing.find((s) => s.Topic === topic && s.CallbackURL === callbackUrl);
      let exactId = there?.ID ?? null;
      if (!there) {
        try {
          const res = await client.request('POST', division, SUBSCRIPTIONS, {
            body: { Topic: topic, CallbackURL: callbackUrl },
            once: true,
          });
          exactId = (res.body as { d?: { ID?: string } } | undefined)?.d?.ID ?? null;
          outcome.made++;
        } catch (err) {
          if (!(err instanceof ExactApiError) || !/Data already exists/i.test(err.message)) throw refusal(err);
          outcome.adopted++;
        }
      } else outcome.adopted++;
      await saveSubscription(deps.pool, connectionId, { division, topic, exactId, callbackUrl });
    }
  }
  for (const s of await listSubscriptions(deps.pool, connectionId))
    if (!keys.has(`${s.division}:${s.topic}`))
      outcome.removed += await removeSubscription(client, deps.pool, connectionId, s);
  await setWebhooksEnabled(deps.pool, connectionId, true);
  deps.log?.info({ connectionId, ...outcome }, 'webhook subscriptions in place');
  return outcome;
}

/** Removes the connection's subscriptions at Exact (what is already gone there is simply forgotten). */
export async function unsubscribeWebhooks(
  deps: Pick<RunDeps, 'pool' | 'clientId' | 'tokens' | 'pacer' | 'log'>,
  connectionId: number,
  options: { keepWanted?: boolean } = {},
): Promise<number> {
  const connection = await loadConnection(deps.pool, connectionId);
  const client = clientFor(deps, connection);
  let removed = 0;
  // Paused: gone at Exact, still wanted (resuming subscribes again).
  if (!options.keepWanted) await setWebhooksEnabled(deps.pool, connectionId, false);
  for (const s of await listSubscriptions(deps.pool, connectionId))
    removed += await removeSubscription(client, deps.pool, connectionId, s);
  return removed;
}

/** One subscription removed at Exact (one already gone there is simply forgotten); 1 when Exact removed it. */
async function removeSubscription(
  client: ReturnType<typeof clientFor>,
  pool: RunDeps['pool'],
  connectionId: number,
  s: { division: number; topic: string; exactId: string | null },
): Promise<number> {
  let removed = 0;
  const id = s.exactId ?? (await listAtExact(client, s.division)).find((x) => x.Topic === s.topic)?.ID;
  if (id) {
    try {
      await client.request('DELETE', s.division, `${SUBSCRIPTIONS}(guid'${id}')`);
      removed = 1;
    } catch (err) {
      if (!(err instanceof ExactApiError && err.httpStatus === 404)) throw refusal(err);
    }
  }
  await forgetSubscription(pool, connectionId, s.division, s.topic);
  return removed;
}

async function listAtExact(
  client: ReturnType<typeof clientFor>,
  division: number,
): Promise<{ ID: string; Topic: string; CallbackURL: string }[]> {
  try {
    const res = await client.request('GET', division, SUBSCRIPTIONS, { params: { $select: 'ID,Topic,CallbackURL' } });
    const d = (res.body as { d?: unknown })?.d;
    const rows = Array.isArray(d) ? d : ((d as { results?: unknown[] } | undefined)?.results ?? []);
    return rows as { ID: string; Topic: string; CallbackURL: string }[];
  } catch (err) {
    throw refusal(err);
  }
}

/** HTTPS (unless the Exact itself is a plain-HTTP stand-in), and answering Exact's empty POST with 200. */
async function checkCallback(callbackUrl: string, exactBaseUrl: string): Promise<void> {
  const url = new URL(callbackUrl);
  if (url.protocol !== 'https:' && new URL(exactBaseUrl).protocol === 'https:')
    throw new AppError(
      'webhooks_need_https',
      `Exact calls webhooks only over HTTPS, and this server's address is ${url.origin}. Set PUBLIC_URL to the https:// address Exact can reach (a reverse proxy with a certificate, or TLS_CERT_FILE and TLS_KEY_FILE).`,
      { status: 409 },
    );
  let status: number | string;
  try {
    status = (await fetch(callbackUrl, { method: 'POST', signal: AbortSignal.timeout(10_000) })).status;
  } catch (err) {
    status = messageOf(err);
  }
  if (status !== 200)
    throw new AppError(
      'webhook_callback_unreachable',
      `Exact checks the callback before it subscribes, and ${callbackUrl} did not answer 200 (${status}). PUBLIC_URL must be this server's address as Exact reaches it.`,
      { status: 409 },
    );
}

function refusal(err: unknown): Error {
  if (err instanceof ExactApiError && err.httpStatus === 403)
    return new AppError(
      'webhook_scope',
      `Exact refused: the app needs the "Organization administration" scope (manage) to make webhook subscriptions. Add it to the app in Exact's App Center (scope changes wait for Exact's approval), then reconnect. Exact said: ${err.message}`,
      { status: 409 },
    );
  return err instanceof Error ? err : new Error(String(err));
}
