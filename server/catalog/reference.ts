import reference from './reference.json' with { type: 'json' };

/**
 * What each Exact endpoint serves, per Exact's REST reference (server/catalog/reference.json, written by
 * tools/extractReference.ts; rules in docs/exact-online.md 13): plain, `sync/…` and `bulk/…` endpoints
 * are types of their own, each with its own fields. A `$select` field the endpoint lacks fails the whole
 * request with 400 (docs/exact-online.md 4.4), so every request asks only for what its endpoint serves.
 */

export interface ReferenceField {
  name: string;
  /** Edm type without `Edm.`, or `nav:<Model>` for a navigation property. */
  edm: string;
  /** Exact's description, kept for DateTime fields (calendar date or instant, docs/exact-online.md 4.6). */
  doc?: string;
}

export interface ReferenceEndpoint {
  model: string;
  key: string;
  fields: readonly ReferenceField[];
  /** Where fields beyond the transcription come from. */
  evidence?: string;
}

type Raw = {
  endpoints: Record<string, { model: string; key: string; fields: [string, string, string?][]; evidence?: string }>;
};

const RAW = (reference as unknown as Raw).endpoints;

export const REFERENCE: ReadonlyMap<string, ReferenceEndpoint> = new Map(
  Object.entries(RAW).map(([url, e]) => [
    url.toLowerCase(),
    {
      model: e.model,
      key: e.key,
      fields: e.fields.map(([name, edm, doc]) => (doc === undefined ? { name, edm } : { name, edm, doc })),
      ...(e.evidence ? { evidence: e.evidence } : {}),
    },
  ]),
);

/** The endpoint at `path` (`sync/Financial/TransactionLines`), case-insensitive as Exact's paths are. */
export function referenceEndpoint(path: string): ReferenceEndpoint | undefined {
  return REFERENCE.get(path.toLowerCase());
}
