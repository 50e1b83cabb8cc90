import type pg from 'pg';
import { ExactClient, type Pacer } from '../exact/client.ts';
import type { TokenManager } from '../exact/tokens.ts';
import { COUNTRY_TIME_ZONES } from '../exact/values.ts';
import type { Logger } from '../lib/logger.ts';
import type { ConnectionRow } from '../state/connections.ts';

/** What every sync run needs: the database, the Exact app's token and pacing machinery, and a clock. */
export interface RunDeps {
  pool: pg.Pool;
  tokens: TokenManager;
  pacer: Pacer;
  clientId: string;
  log?: Logger | undefined;
  /** The scheduler's clock (tests move it); table attempts are stamped with it. */
  now?: (() => Date) | undefined;
  /** Shutdown: a run stops after the page it is writing and is recorded as interrupted. */
  signal?: AbortSignal | undefined;
}

/** The administration's time zone: Exact's dates are its wall-clock time. */
export const timeZoneOf = (connection: ConnectionRow) => COUNTRY_TIME_ZONES[connection.country] ?? 'Europe/Amsterdam';

/** An Exact client for the connection, with the run's tokens and pacing. */
export function clientFor(
  deps: Pick<RunDeps, 'clientId' | 'tokens' | 'pacer' | 'log'>,
  connection: ConnectionRow,
): ExactClient {
  return new ExactClient({
    baseUrl: connection.base_url,
    clientId: deps.clientId,
    tokens: deps.tokens.source(connection.id),
    pacer: deps.pacer,
    ...(deps.log ? { log: deps.log } : {}),
  });
}
