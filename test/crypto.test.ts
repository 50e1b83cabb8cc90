import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSecretBox } from '../server/lib/crypto.ts';
import { AppError } from '../server/lib/errors.ts';
import { loadOrCreateSecretKey } from '../server/lib/secretKey.ts';

const key = randomBytes(32);
const box = createSecretBox(key);

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return (err as AppError).code;
  }
  throw new Error('expected an error');
}

/** Flips one bit in the decoded bytes of part `index` of a sealed value. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0] = bytes[0]! ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

describe('secret box (AES-256-GCM)', () => {
  it.each(['refresh-token-ÄÖÜ-€', '', 'x'.repeat(100_000)])('round-trips %#', (plain) => {
    const sealed = box.seal(plain, 'connection:1:refresh_token');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(sealed).not.toContain(plain || '\0');
    expect(box.open(sealed, 'connection:1:refresh_token')).toBe(plain);
  });

  it('uses a fresh IV every time', () => {
    expect(box.seal('same')).not.toBe(box.seal('same'));
  });

  it.each([
    ['the IV', 1],
    ['the tag', 2],
    ['the ciphertext', 3],
  ])('detects a change to %s', (_name, index) => {
    const sealed = box.seal('the refresh token');
    expect(codeOf(() => box.open(tamper(sealed, index)))).toBe('secret_undecryptable');
  });

  it('refuses another key, another context and malformed values', () => {
    const sealed = box.seal('token', 'connection:1');
    expect(codeOf(() => createSecretBox(randomBytes(32)).open(sealed, 'connection:1'))).toBe('secret_undecryptable');
    expect(codeOf(() => box.open(sealed, 'connection:2'))).toBe('secret_undecryptable');
    expect(codeOf(() => box.open(sealed))).toBe('secret_undecryptable');
    expect(codeOf(() => box.open('token'))).toBe('secret_malformed');
    expect(codeOf(() => box.open(sealed.replace(/^v1/, 'v9')))).toBe('secret_malformed');
    expect(codeOf(() => box.open(sealed.split('.').slice(0, 3).join('.')))).toBe('secret_malformed');
  });

  it('refuses a key of the wrong size', () => {
    expect(codeOf(() => createSecretBox(randomBytes(16)))).toBe('invalid_secret_key');
  });
});

describe('secret key file', () => {
  it('is created once with mode 0600 and read back on later starts', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-key-'));
    const first = await loadOrCreateSecretKey(dir, undefined);
    expect(first.created).toBe(true);
    expect((await stat(path.join(dir, 'secret.key'))).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateSecretKey(dir, undefined);
    expect(second.created).toBe(false);
    expect(second.key.equals(first.key)).toBe(true);
  });

  it('gives every concurrent starter the same key', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-key-'));
    const results = await Promise.all(Array.from({ length: 12 }, () => loadOrCreateSecretKey(dir, undefined)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    for (const r of results) expect(r.key.equals(results[0]!.key)).toBe(true);
  });

  it('prefers SECRET_KEY and does not write a file then', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-key-'));
    const given = randomBytes(32);
    const r = await loadOrCreateSecretKey(dir, given);
    expect(r.key.equals(given)).toBe(true);
    await expect(readFile(path.join(dir, 'secret.key'))).rejects.toThrow();
  });

  it('refuses a damaged key file instead of replacing it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-key-'));
    await writeFile(path.join(dir, 'secret.key'), 'garbage\n');
    await expect(loadOrCreateSecretKey(dir, undefined)).rejects.toMatchObject({ code: 'invalid_secret_key' });
    expect(await readFile(path.join(dir, 'secret.key'), 'utf8')).toBe('garbage\n');
  });

  it('tightens a key file that others can read', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-key-'));
    await writeFile(path.join(dir, 'secret.key'), `${'cd'.repeat(32)}\n`);
    await chmod(path.join(dir, 'secret.key'), 0o644);
    await loadOrCreateSecretKey(dir, undefined);
    expect((await stat(path.join(dir, 'secret.key'))).mode & 0o777).toBe(0o600);
  });
});
