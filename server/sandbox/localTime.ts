/**
 * Exact's DateTime values hold the administration's local wall-clock time, serialised as if it were UTC
 * (`/Date(ms)/`; docs/exact-online.md 4.6: a POST at 14:16:40Z came back as 16:16:40 in CEST). The sandbox runs
 * in Europe/Amsterdam, as start.exactonline.nl does; `ServerUtcOffset` in current/Me says the same.
 */
const formatter = new Intl.DateTimeFormat('en-US', {
  timeZone: 'Europe/Amsterdam',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** Seconds east of UTC in Amsterdam at `utcMs` (3600 or 7200). */
export function amsterdamOffsetSeconds(utcMs: number): number {
  const parts = Object.fromEntries(formatter.formatToParts(new Date(utcMs)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  return Math.round((asUtc - Math.floor(utcMs / 1000) * 1000) / 1000);
}

/** UTC instant → Exact's "local wall-clock as if UTC" milliseconds. */
export function toExactLocal(utcMs: number): number {
  return utcMs + amsterdamOffsetSeconds(utcMs) * 1000;
}

/** `2026-06-25T16:16:40` for local wall-clock milliseconds (current/Me ServerTime). */
export function localIso(localMs: number): string {
  return new Date(localMs).toISOString().slice(0, 19);
}
