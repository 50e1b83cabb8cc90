import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingsError } from '../server/lib/errors.ts';
import { loadSettings, parseSecretKey, readEnvironment } from '../server/lib/settings.ts';

const cwd = '/srv/exact-sync';
const load = (env: Record<string, string>) => loadSettings({ env, cwd });

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    load(env);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return (err as SettingsError).problems;
  }
  throw new Error('expected a SettingsError');
}

describe('loadSettings', () => {
  it('gives documented defaults for an empty environment, in demo mode', () => {
    const s = load({});
    expect(s).toMatchObject({
      databaseUrl: undefined,
      port: 3000,
      publicUrl: 'http://localhost:3000',
      exact: undefined,
      demoMode: true,
      logLevel: 'info',
      logFormat: 'json',
      dataDir: path.join(cwd, 'data'),
    });
  });

  it('treats empty variables as unset', () => {
    expect(load({ PORT: '', DATABASE_URL: '', LOG_LEVEL: '' })).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      logLevel: 'info',
    });
  });

  it('reads every setting', () => {
    const key = 'ab'.repeat(32);
    const s = load({
      DATABASE_URL: 'postgresql://u:p@db:5432/x',
      PORT: '8080',
      PUBLIC_URL: 'https://sync.example.com/',
      EXACT_CLIENT_ID: '{b81cc4de-d192-400e-bcb4-09254394c52a}',
      EXACT_CLIENT_SECRET: 's3cret',
      EXACT_BASE_URL: 'http://localhost:4010/',
      SECRET_KEY: key,
      LOG_LEVEL: 'DEBUG',
      DATA_DIR: 'var/data',
    });
    expect(s).toMatchObject({
      databaseUrl: 'postgresql://u:p@db:5432/x',
      port: 8080,
      publicUrl: 'https://sync.example.com',
      exact: { clientId: '{b81cc4de-d192-400e-bcb4-09254394c52a}', clientSecret: 's3cret' },
      exactBaseUrl: 'http://localhost:4010',
      demoMode: false,
      logLevel: 'debug',
      dataDir: path.join(cwd, 'var/data'),
    });
    expect(s.secretKey?.toString('hex')).toBe(key);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT must be a port number from 1 to 65535 (got "abc")'],
    [{ PORT: '0' }, 'PORT must be a port number from 1 to 65535 (got "0")'],
    [{ PORT: '70000' }, 'PORT must be a port number from 1 to 65535 (got "70000")'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL must be a PostgreSQL URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL must be a PostgreSQL URL'],
    [{ PUBLIC_URL: 'ftp://x' }, 'PUBLIC_URL must be an http(s) URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ SECRET_KEY: 'short' }, 'SECRET_KEY must be 32 random bytes'],
    [{ EXACT_CLIENT_ID: 'abc' }, 'EXACT_CLIENT_ID, EXACT_CLIENT_SECRET: set both'],
    [{ EXACT_WEBHOOK_SECRET: 'w' }, 'EXACT_WEBHOOK_SECRET: belongs to an Exact app'],
    [
      { GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/sa.json' },
      'GOOGLE_APPLICATION_CREDENTIALS: file not found: /nonexistent/sa.json',
    ],
  ])('refuses %j', (env, expected) => {
    const problems = problemsOf(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  it('lists every problem together, in one message', () => {
    const env = { PORT: 'abc', DATABASE_URL: 'nope', LOG_LEVEL: 'loud', SECRET_KEY: 'x', EXACT_CLIENT_SECRET: 'y' };
    const problems = problemsOf(env);
    expect(problems).toHaveLength(5);
    for (const name of ['PORT', 'DATABASE_URL', 'LOG_LEVEL', 'SECRET_KEY', 'EXACT_CLIENT_ID']) {
      expect(problems.some((p) => p.includes(name))).toBe(true);
    }
    try {
      load(env);
    } catch (err) {
      const message = (err as Error).message;
      expect(message.split('\n')[0]).toBe('Invalid settings:');
      expect(message.split('\n')).toHaveLength(6);
    }
  });

  it('never echoes a refused SECRET_KEY or a DATABASE_URL password', () => {
    const problems = problemsOf({ SECRET_KEY: 'my-not-so-secret', DATABASE_URL: 'mysql://u:hunter2@h/d' });
    expect(problems.join('\n')).not.toContain('my-not-so-secret');
    expect(problems.join('\n')).not.toContain('hunter2');
  });
});

describe('parseSecretKey', () => {
  it.each([
    ['ab'.repeat(32), true],
    [Buffer.alloc(32, 7).toString('base64'), true],
    [Buffer.alloc(32, 7).toString('base64url'), true],
    [Buffer.alloc(31, 7).toString('base64'), false],
    ['ab'.repeat(31), false],
    ['zz'.repeat(32), false],
  ])('%s → %s', (text, ok) => {
    const key = parseSecretKey(text);
    expect(key !== undefined).toBe(ok);
    if (key) expect(key.length).toBe(32);
  });
});

describe('readEnvironment', () => {
  it('reads .env under the real environment, which wins', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-env-'));
    await writeFile(path.join(dir, '.env'), '# comment\nPORT=4000\nLOG_LEVEL=debug\nPUBLIC_URL="https://x.example"\n');
    const env = readEnvironment(dir, { PORT: '5000' });
    expect(env).toMatchObject({ PORT: '5000', LOG_LEVEL: 'debug', PUBLIC_URL: 'https://x.example' });
    expect(loadSettings({ env, cwd: dir })).toMatchObject({
      port: 5000,
      logLevel: 'debug',
      publicUrl: 'https://x.example',
    });
  });

  it('works without a .env file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-env-'));
    expect(readEnvironment(dir, { A: '1' })).toEqual({ A: '1' });
  });
});
