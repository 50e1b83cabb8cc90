import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, runCli, tempWorkDir } from './helpers/cli.ts';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function workDir(label: string): Promise<string> {
  const dir = await tempWorkDir(label);
  dirs.push(dir);
  return dir;
}

/** Pids of live postgres processes serving the cluster in `clusterDir`, from /proc. */
async function postgresPids(clusterDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0');
      if (cmd.some((a) => a.endsWith('/postgres')) && cmd.includes(clusterDir)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at /m);

describe('exact-sync CLI: bad configuration', () => {
  it('PORT=abc: one clear message, exit 1, no stack trace', async () => {
    const run = runCli(['serve'], { cwd: await workDir('cli'), env: { PORT: 'abc' } });
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.stderr()).toBe(
      'exact-sync: Invalid settings:\n  - PORT must be a port number from 1 to 65535 (got "abc")\n',
    );
    expect(run.stdout()).toBe('');
  });

  it('lists every bad setting at once', async () => {
    const run = runCli(['serve'], {
      cwd: await workDir('cli'),
      env: { PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' },
    });
    expect((await run.exited).code).toBe(1);
    expect(
      run
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('  - ')),
    ).toHaveLength(3);
  });

  it('a DATABASE_URL nothing answers at: one clear message without the password, exit 1', async () => {
    const port = await freePort();
    const run = runCli(['serve'], {
      cwd: await workDir('cli'),
      env: { DATABASE_URL: `postgres://app:hunter2@127.0.0.1:${port}/exact`, PORT: String(await freePort()) },
    });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toBe(
      `exact-sync: Cannot connect to PostgreSQL at postgres://app:***@127.0.0.1:${port}/exact: connection refused. Is the server running, and is the port right?\n`,
    );
    noStackTrace(run.stderr());
  });

  it('reads settings from .env in the working directory', async () => {
    const cwd = await workDir('cli');
    await import('node:fs/promises').then((fs) => fs.writeFile(path.join(cwd, '.env'), 'PORT=notaport\n'));
    const run = runCli(['serve'], { cwd, env: {} });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain('PORT must be a port number from 1 to 65535 (got "notaport")');
  });

  it('an unknown command: one clear line, exit 1', async () => {
    const run = runCli(['nope'], { cwd: await workDir('cli'), env: {} });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toContain("unknown command 'nope'");
  });
});

describe('exact-sync sandbox', () => {
  it('prints its base URL and the demo app, serves Exact paths, and stops on SIGTERM', async () => {
    const port = await freePort();
    const run = runCli(['sandbox', '--port', String(port), '--scale', '500', '--divisions', '2', '--auto-approve'], {
      cwd: await workDir('sandbox'),
      env: {},
    });
    await run.waitFor(/stop with Ctrl-C/);
    expect(run.stdout()).toContain(`Exact Online sandbox at http://127.0.0.1:${port}`);
    expect(run.stdout()).toContain('client id sandbox-client, secret sandbox-secret');
    expect(run.stdout()).toMatch(/divisions: \d+ \(.+, 500 transaction lines\)/);
    const auth = await fetch(
      `http://127.0.0.1:${port}/api/oauth2/auth?client_id=sandbox-client&response_type=code&redirect_uri=http://localhost:1/cb`,
      { redirect: 'manual' },
    );
    expect(auth.status).toBe(302);
    run.proc.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
  });

  it('refuses a bad option with one clear message', async () => {
    const run = runCli(['sandbox', '--scale', 'lots'], { cwd: await workDir('sandbox'), env: {} });
    expect((await run.exited).code).toBe(1);
    expect(run.stderr()).toBe('exact-sync: --scale must be a number >= 2 (got "lots")\n');
  });
});

/** The embedded server's superuser, as postgres.json in the data directory has it (port and password). */
async function superuser(cwd: string): Promise<pg.Client> {
  const state = JSON.parse(await readFile(path.join(cwd, 'data', 'postgres.json'), 'utf8')) as {
    password: string;
    port: number;
  };
  const client = new pg.Client({
    host: '127.0.0.1',
    port: state.port,
    user: 'postgres',
    password: state.password,
    database: 'postgres',
  });
  await client.connect();
  return client;
}

describe('exact-sync serve with the embedded PostgreSQL', () => {
  it('starts, keeps its data across restarts, stops cleanly on SIGINT, and recovers after kill -9', async () => {
    const cwd = await workDir('serve');
    const clusterDir = path.join(cwd, 'data', 'postgres');
    const port = await freePort();
    const env = { PORT: String(port) };
    const healthz = async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).status;

    // First start: creates the database, prints the URL, answers /healthz.
    let run = runCli(['serve'], { cwd, env });
    await run.waitFor(/is running at http:\/\/localhost:\d+/);
    expect(await healthz()).toBe(200);
    expect(run.stdout()).toContain(`exact-sync 0.1.0 is running at http://localhost:${port}`);
    expect(run.stdout() + run.stderr()).toContain('Applied migration 0001_instance_settings.sql');
    // No Exact app configured: demo mode, with the sandbox's login page where Exact's would be.
    const sandboxUrl = /DEMO MODE .* sandbox runs at (http:\/\/\S+) \(user demo \/ demo\)/.exec(run.stdout())?.[1];
    expect(sandboxUrl).toBeDefined();
    const login = await fetch(
      `${sandboxUrl}/api/oauth2/auth?client_id=sandbox-client&response_type=code&redirect_uri=${encodeURIComponent(`http://localhost:${port}/connect/exact/callback`)}`,
    );
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('Exact Online sandbox');
    const key = await readFile(path.join(cwd, 'data', 'secret.key'), 'utf8');

    // Something to find again later, written through the superuser the embedded server was created with.
    const client = await superuser(cwd);
    await client.query(`INSERT INTO exact_sync.instance_settings (key, value) VALUES ('test.marker', '"kept"')`);
    // Demo mode connects to the sandbox and syncs its three administrations in the background.
    // Its outcome is awaited, whatever it is, for up to 3 minutes: on a busy CI machine the parallel test
    // files share two cores with this sync. The log is shown when an outcome is not "succeeded".
    const outcomes = () => run.stdout().match(/demo sync of division \d+: \w+/g) ?? [];
    for (let i = 0; i < 1800 && outcomes().length < 3; i++) await new Promise((r) => setTimeout(r, 100));
    expect(
      outcomes().filter((o) => o.endsWith(': succeeded')),
      run.stdout() + run.stderr(),
    ).toHaveLength(3);
    const synced = await client.query(
      `SELECT count(DISTINCT division)::int AS divisions, count(*)::int AS lines FROM exact_online.transactionlines`,
    );
    expect(synced.rows[0]).toMatchObject({ divisions: 3 });
    expect(synced.rows[0].lines).toBeGreaterThan(5_000);
    await client.end();

    // Ctrl-C: exits 0, leaves no PostgreSQL process behind.
    run.proc.kill('SIGINT');
    expect((await run.exited).code).toBe(0);
    expect(await postgresPids(clusterDir)).toEqual([]);

    // Second start: same data, same key, no migration to apply.
    run = runCli(['serve'], { cwd, env });
    await run.waitFor(/is running at/);
    expect(await healthz()).toBe(200);
    expect(run.stdout() + run.stderr()).not.toContain('Applied migration');
    expect(await readFile(path.join(cwd, 'data', 'secret.key'), 'utf8')).toBe(key);

    // A second start on the same data directory (another port) refuses, naming the first; the first goes on.
    const second = runCli(['serve'], { cwd, env: { PORT: String(await freePort()) } });
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toMatch(/exact-sync is already running on .* as pid \d+\./);
    expect(await healthz()).toBe(200);

    // kill -9 of exact-sync: PostgreSQL outlives it; the next start adopts the running server.
    run.proc.kill('SIGKILL');
    await run.exited;
    expect(await postgresPids(clusterDir)).not.toEqual([]);
    run = runCli(['serve'], { cwd, env });
    await run.waitFor(/is running at/);
    expect(run.stdout() + run.stderr()).toContain('still running');
    expect(await healthz()).toBe(200);

    // Both killed hard, as in a power cut: the next start recovers from the WAL and the data is there.
    const postmaster = (await postgresPids(clusterDir)).sort((a, b) => a - b)[0]!;
    run.proc.kill('SIGKILL');
    process.kill(postmaster, 'SIGKILL');
    await run.exited;
    for (let i = 0; i < 50 && (await postgresPids(clusterDir)).length > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    run = runCli(['serve'], { cwd, env });
    await run.waitFor(/is running at/);
    expect(await healthz()).toBe(200);
    const check = await superuser(cwd);
    const { rows } = await check.query(`SELECT value FROM exact_sync.instance_settings WHERE key = 'test.marker'`);
    await check.end();
    expect(rows).toEqual([{ value: 'kept' }]);

    run.proc.kill('SIGTERM');
    expect((await run.exited).code).toBe(0);
    expect(await postgresPids(clusterDir)).toEqual([]);
  }, 300_000);

  it('a port in use: one clear message, exit 1, and the embedded server stopped again', async () => {
    const cwd = await workDir('busy');
    const net = await import('node:net');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, r));
    const busy = (blocker.address() as { port: number }).port;
    try {
      const run = runCli(['serve'], { cwd, env: { PORT: String(busy) } });
      expect((await run.exited).code).toBe(1);
      expect(run.stderr()).toBe(
        `exact-sync: Port ${busy} is already in use. Stop the other program or set PORT to a free port.\n`,
      );
      expect(await postgresPids(path.join(cwd, 'data', 'postgres'))).toEqual([]);
    } finally {
      blocker.close();
    }
  });
});
