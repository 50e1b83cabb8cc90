/** How the console writes times, durations, counts and statuses. */

export function when(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  const seconds = Math.round((Date.now() - d.getTime()) / 1000);
  if (seconds >= 0 && seconds < 60) return 'just now';
  if (seconds >= 0 && seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A time to come: "in 12 min", "now", or the date and time. */
export function upcoming(iso: string | null | undefined): string {
  if (!iso) return 'now';
  const d = new Date(iso);
  const seconds = Math.round((d.getTime() - Date.now()) / 1000);
  if (seconds <= 30) return 'now';
  if (seconds < 3600) return `in ${Math.round(seconds / 60)} min`;
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function duration(startIso: string, endIso: string | null): string {
  const ms = (endIso ? new Date(endIso).getTime() : Date.now()) - new Date(startIso).getTime();
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export const count = (n: number): string => n.toLocaleString();
/** `n` and a noun, the noun plural unless n is 1: "1 event", "2 events" (regular plurals only). */
export const counted = (n: number, noun: string): string => `${count(n)} ${noun}${n === 1 ? '' : 's'}`;

export function frequency(minutes: number | null, fallback: number): string {
  const m = minutes ?? fallback;
  const text = m % 60 === 0 ? `every ${m / 60 === 1 ? 'hour' : `${m / 60} hours`}` : `every ${m} minutes`;
  return minutes === null ? `${text} (default)` : text;
}

export const STATUS_TEXT: Record<string, string> = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  daily_limit: 'daily limit reached',
  reauth_required: 'reconnect needed',
  active: 'active',
  disabled: 'paused',
  skipped: 'skipped',
  interrupted: 'interrupted',
  queued: 'queued',
  ok: 'ok',
  broken: 'broken',
};

export type BadgeColor = 'success' | 'danger' | 'warning' | 'informative' | 'subtle';
export function statusColor(status: string): BadgeColor {
  if (status === 'succeeded' || status === 'active' || status === 'ok') return 'success';
  if (status === 'failed' || status === 'reauth_required' || status === 'broken') return 'danger';
  if (status === 'daily_limit' || status === 'disabled') return 'warning';
  if (status === 'running' || status === 'queued') return 'informative';
  return 'subtle';
}

export const COUNTRIES: { code: string; name: string }[] = [
  { code: 'nl', name: 'Netherlands (exactonline.nl)' },
  { code: 'be', name: 'Belgium (exactonline.be)' },
  { code: 'de', name: 'Germany (exactonline.de)' },
  { code: 'co.uk', name: 'United Kingdom (exactonline.co.uk)' },
  { code: 'com', name: 'United States (exactonline.com)' },
  { code: 'es', name: 'Spain (exactonline.es)' },
  { code: 'fr', name: 'France (exactonline.fr)' },
];
