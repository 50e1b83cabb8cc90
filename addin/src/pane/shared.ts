/** What the pane's parts share: the message bar's shape, readable errors and times. */

export type Message = { intent: 'success' | 'error' | 'info' | 'warning'; text: string };

export const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : 'unknown';

/** Where an insert goes: a new worksheet of that name, or (no name) the selected cell. */
export type Target = { newSheet?: string };
