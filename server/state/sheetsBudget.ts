import type pg from 'pg';

/**
 * The service account's Sheets write budget, shared by every process through PostgreSQL: each write
 * request takes one of `perMinute` in the current minute (one statement, so two processes never both
 * take the last one); when the minute's are gone it waits for the next minute. Google refills its
 * per-minute quota every minute (developers.google.com/sheets/api/limits); staying under it here means
 * exact-sync's pushes seldom see a 429, and the retries absorb the rest (other users of the account).
 */
export interface WriteBudget {
  take(): Promise<void>;
}

export function sheetsWriteBudget(
  pool: pg.Pool,
  perMinute: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): WriteBudget {
  return {
    async take() {
      for (;;) {
        const { rows } = await pool.query<{ writes: number; wait_ms: number }>(
          `WITH taken AS (
             INSERT INTO exact_sync.sheets_write_budget AS b (minute, writes)
             VALUES (date_trunc('minute', now()), 1)
             ON CONFLICT (minute) DO UPDATE SET writes = b.writes + 1 WHERE b.writes < $1
             RETURNING writes)
           SELECT coalesce((SELECT writes FROM taken), $1 + 1) AS writes,
                  ceil(extract(epoch FROM date_trunc('minute', now()) + interval '1 minute' - now()) * 1000)::int AS wait_ms`,
          [perMinute],
        );
        if (rows[0]!.writes <= perMinute) return;
        await sleep(Math.max(50, rows[0]!.wait_ms));
      }
    },
  };
}

/** Forgets minutes older than an hour (called now and then; the table stays a few rows long). */
export async function pruneSheetsBudget(pool: pg.Pool): Promise<void> {
  await pool.query(`DELETE FROM exact_sync.sheets_write_budget WHERE minute < now() - interval '1 hour'`);
}
