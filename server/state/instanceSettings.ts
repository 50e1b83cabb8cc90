import type pg from 'pg';

/**
 * SQL over exact_sync.instance_settings: small values every process and machine of this instance shares
 * (the admin password's hash, the query role's sealed password), as JSON under a key.
 */

export async function readSetting<T>(db: pg.Pool | pg.ClientBase, key: string): Promise<T | undefined> {
  const { rows } = await db.query<{ value: T }>('SELECT value FROM exact_sync.instance_settings WHERE key = $1', [key]);
  return rows[0]?.value;
}

export async function writeSetting(db: pg.Pool | pg.ClientBase, key: string, value: unknown): Promise<void> {
  await db.query(
    `INSERT INTO exact_sync.instance_settings (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );
}

/** The key's value; `value` is stored first when the key has none (the first writer wins a race). */
export async function settingOrDefault<T>(db: pg.Pool | pg.ClientBase, key: string, value: T): Promise<T> {
  await db.query('INSERT INTO exact_sync.instance_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
    key,
    JSON.stringify(value),
  ]);
  return (await readSetting<T>(db, key))!;
}
