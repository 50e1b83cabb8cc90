import { chmod, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterLocation, reachableBinaries, startEmbeddedPostgres } from '../server/db/embedded.ts';

/**
 * `npm start` as root from a private folder (a clone in /root, or a mktemp folder of mode 700):
 * PostgreSQL runs as the OS user postgres, which cannot enter it, so the cluster goes elsewhere and the
 * rest of the data directory stays where it is.
 */

const asRoot = process.getuid?.() === 0;
const cleanup: string[] = [];
afterAll(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

describe('clusterLocation', () => {
  it('keeps the cluster in the data directory when postgres can enter it, or when not root', async () => {
    const open = await mkdtemp(path.join(tmpdir(), 'exact-sync-open-'));
    cleanup.push(open);
    await chmod(open, 0o755);
    expect(await clusterLocation(path.join(open, 'data'), undefined, true)).toEqual({
      clusterDir: path.join(open, 'data', 'postgres'),
    });
    const closed = await mkdtemp(path.join(tmpdir(), 'exact-sync-closed-'));
    cleanup.push(closed);
    expect(await clusterLocation(path.join(closed, 'data'), undefined, false)).toEqual({
      clusterDir: path.join(closed, 'data', 'postgres'),
    });
  });

  it('as root, moves a new cluster out of a folder postgres cannot enter, to a place named after the data directory', async () => {
    const closed = await mkdtemp(path.join(tmpdir(), 'exact-sync-closed-'));
    const root = await mkdtemp(path.join(tmpdir(), 'exact-sync-relocated-'));
    cleanup.push(closed, root);
    await chmod(root, 0o755);
    const first = await clusterLocation(path.join(closed, 'data'), undefined, true, root);
    expect(first.relocatedBecause).toBe(closed);
    expect(path.dirname(path.dirname(first.clusterDir))).toBe(root);
    // The same data directory always maps to the same place; another one to another.
    expect((await clusterLocation(path.join(closed, 'data'), undefined, true, root)).clusterDir).toBe(first.clusterDir);
    expect((await clusterLocation(path.join(closed, 'other'), undefined, true, root)).clusterDir).not.toBe(
      first.clusterDir,
    );
    // What postgres.json remembers wins.
    expect(await clusterLocation(closed, { password: 'x'.repeat(16), clusterDir: '/elsewhere' }, true, root)).toEqual({
      clusterDir: '/elsewhere',
    });
  });
});

describe('reachableBinaries', () => {
  it('copies the native folder once to where postgres can run it when its own place is closed, keeping symlinks', async () => {
    const closed = await mkdtemp(path.join(tmpdir(), 'exact-sync-closed-'));
    const root = await mkdtemp(path.join(tmpdir(), 'exact-sync-relocated-'));
    cleanup.push(closed, root);
    const native = path.join(closed, 'pkg', 'native');
    await mkdir(path.join(native, 'bin'), { recursive: true });
    await mkdir(path.join(native, 'lib'));
    await writeFile(path.join(closed, 'pkg', 'package.json'), JSON.stringify({ version: '18.4.0-test' }));
    for (const b of ['initdb', 'pg_ctl', 'postgres'])
      await writeFile(path.join(native, 'bin', b), `#!/bin/sh\n# ${b}\n`);
    await writeFile(path.join(native, 'lib', 'libpq.so.5.18'), 'lib');
    await symlink('libpq.so.5.18', path.join(native, 'lib', 'libpq.so.5'));
    const bins = {
      initdb: path.join(native, 'bin', 'initdb'),
      pg_ctl: path.join(native, 'bin', 'pg_ctl'),
      postgres: path.join(native, 'bin', 'postgres'),
    };
    const moved = await reachableBinaries(bins, root);
    const target = path.join(root, 'postgres-18.4.0-test');
    expect(moved).toEqual({
      initdb: path.join(target, 'bin', 'initdb'),
      pg_ctl: path.join(target, 'bin', 'pg_ctl'),
      postgres: path.join(target, 'bin', 'postgres'),
    });
    expect(await readFile(moved.pg_ctl, 'utf8')).toContain('# pg_ctl');
    expect((await lstat(path.join(target, 'lib', 'libpq.so.5'))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(target, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    const copiedAt = (await stat(moved.pg_ctl)).mtimeMs;
    expect(await reachableBinaries(bins, root)).toEqual(moved);
    expect((await stat(moved.pg_ctl)).mtimeMs).toBe(copiedAt);
    // Where postgres can reach them, the binaries stay where they are.
    await chmod(closed, 0o755);
    expect(await reachableBinaries(bins, root)).toEqual(bins);
  });
});

describe.runIf(asRoot)('as root, from a mode-700 folder', () => {
  it('starts the embedded PostgreSQL with its cluster outside the folder, and finds it again on the next start', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'exact-sync-private-'));
    const relocateRoot = await mkdtemp(path.join(tmpdir(), 'exact-sync-var-lib-'));
    cleanup.push(home, relocateRoot);
    await chmod(relocateRoot, 0o755);
    const dataDir = path.join(home, 'data');
    const warnings: string[] = [];
    const log = { info: () => undefined, warn: (m: string) => warnings.push(m) };
    const first = await startEmbeddedPostgres({ dataDir, relocateRoot, log });
    try {
      expect(first.relocatedBecause).toBe(home);
      expect(first.clusterDir.startsWith(relocateRoot)).toBe(true);
      expect(warnings.join('\n')).toContain(`cannot enter ${home}`);
      const state = JSON.parse(await readFile(path.join(dataDir, 'postgres.json'), 'utf8')) as { clusterDir: string };
      expect(state.clusterDir).toBe(first.clusterDir);
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      await client.query('CREATE TABLE kept (x int)');
      await client.end();
    } finally {
      await first.stop();
    }
    // max_connections as the caller asks (exact-sync: enough for WORKER_CONCURRENCY), set at each start.
    const second = await startEmbeddedPostgres({ dataDir, relocateRoot, log, maxConnections: 150 });
    try {
      expect(second.clusterDir).toBe(first.clusterDir);
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      expect((await client.query("SELECT to_regclass('kept') IS NOT NULL AS found")).rows[0]).toEqual({ found: true });
      expect((await client.query('SHOW max_connections')).rows[0]).toEqual({ max_connections: '150' });
      await client.end();
    } finally {
      await second.stop();
    }
  });
});
