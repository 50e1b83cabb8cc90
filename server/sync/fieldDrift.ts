import type { ExactClient } from '../exact/client.ts';
import { missingProperty } from '../exact/decisions.ts';
import { ExactApiError } from '../exact/errors.ts';
import type { CollectionPage } from '../exact/values.ts';
import type { Logger } from '../lib/logger.ts';
import { recordDroppedField } from '../state/droppedFields.ts';
import type pg from 'pg';

/**
 * Drift that heals itself (docs/exact-online.md 13). Exact adds and drops fields without notice, and one
 * `$select` field an endpoint lacks fails the whole request with 400. When Exact names the field, it is
 * left out of that endpoint's reads (remembered per connection in exact_sync.dropped_fields, with Exact's
 * words), a warning is logged, and the page is asked for again at once: the run goes on, the column stays
 * and is empty from then on. Each field gets one such retry per read; any other 400 is the run's error.
 */

export interface DriftScope {
  pool: pg.Pool;
  client: ExactClient;
  connectionId: number;
  log?: Logger | undefined;
  now: () => Date;
}

/** `url` with `field` taken out of its `$select` (Exact's `__next` links keep `$select`, unescaped or not). */
export function withoutSelectField(url: string, field: string): string {
  return url.replace(/([?&](?:\$|%24)select=)([^&]*)/i, (_all, head: string, list: string) => {
    const kept = decodeURIComponent(list)
      .split(',')
      .filter((f) => f.trim().toLowerCase() !== field.toLowerCase());
    return head + kept.map((f) => encodeURIComponent(f).replace(/%2F/gi, '/')).join(',');
  });
}

/** The field names of a `$select` (case as written). */
const selected = (select: string) => select.split(',').map((f) => f.trim());

/**
 * Every page of a read of `path`: from `params`, or from a stored `__next` link. A 400 naming a `$select`
 * field drops it and asks again, from the page that failed.
 */
export async function* healingPages(
  scope: DriftScope,
  division: number,
  path: string,
  start: { params: Record<string, string> } | { next: string },
): AsyncGenerator<CollectionPage> {
  let params = 'params' in start ? { ...start.params } : undefined;
  let url = 'next' in start ? start.next : undefined;
  const retried = new Set<string>();
  for (;;) {
    try {
      const source = url !== undefined ? scope.client.pages(division, url) : scope.client.pages(division, path, params);
      for await (const page of source) {
        yield page;
        if (!page.next) return;
        url = page.next;
      }
      return;
    } catch (err) {
      const field =
        err instanceof ExactApiError && err.httpStatus === 400 ? missingProperty(err.exactMessage) : undefined;
      const asked = url !== undefined ? new URL(url, 'http://x').searchParams.get('$select') : params?.$select;
      const inSelect =
        field !== undefined && asked != null && selected(asked).some((f) => f.toLowerCase() === field.toLowerCase());
      if (!field || !inSelect || retried.has(field.toLowerCase())) throw err;
      retried.add(field.toLowerCase());
      const message = (err as ExactApiError).exactMessage;
      await recordDroppedField(scope.pool, scope.connectionId, path, field, message, scope.now());
      scope.log?.warn(
        { endpoint: path, field, division, exact: message },
        `Exact no longer serves ${field} on ${path}: left out of its reads from now on (the column stays, empty)`,
      );
      if (url !== undefined) url = withoutSelectField(url, field);
      if (params?.$select !== undefined)
        params = {
          ...params,
          $select: selected(params.$select)
            .filter((f) => f.toLowerCase() !== field.toLowerCase())
            .join(','),
        };
    }
  }
}
