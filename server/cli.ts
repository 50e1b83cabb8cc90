#!/usr/bin/env -S node --max-semi-space-size=8
import { Command } from 'commander';
import { AppError, isAppError } from './lib/errors.ts';
import { createLogger } from './lib/logger.ts';
import { loadSettings, readEnvironment, type Settings } from './lib/settings.ts';
import { openDatabase, openSecretBox, serve, startWorker, VERSION } from './main.ts';

/**
 * `exact-sync <command>`. Every command reads the same settings; a failure prints one clear message on
 * stderr and exits 1 (a stack trace only for errors that are not ours, i.e. bugs).
 */

function settingsFromEnvironment(): Settings {
  const cwd = process.cwd();
  return loadSettings({ env: readEnvironment(cwd), cwd, isTTY: process.stdout.isTTY === true });
}

function fail(err: unknown): never {
  if (isAppError(err)) process.stderr.write(`exact-sync: ${err.message}\n`);
  else process.stderr.write(`exact-sync: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}

async function runServe(): Promise<void> {
  const settings = settingsFromEnvironment();
  const log = createLogger({ level: settings.logLevel, format: settings.logFormat });
  const started = Date.now();
  const server = await serve(settings, log);

  const lines = [
    `exact-sync ${VERSION} is running at ${server.url}`,
    `  database:     ${server.database.description}`,
    server.sandbox
      ? `  Exact Online: DEMO MODE (EXACT_CLIENT_ID unset): the built-in Exact sandbox runs at ${server.sandbox.url} (user demo / demo)`
      : `  Exact Online: app ${settings.exact?.clientId}`,
    `  console:      ${server.url}/`,
    ...(server.services.setup
      ? [`  first start:  no admin password yet. Open ${server.url}/ and enter the setup code ${server.services.setup.code} to choose one`,
        '                (or run: npx exact-sync admin). The code works once, in this run only.']
      : []),
    '  stop with Ctrl-C',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  log.info({ url: server.url, ms: Date.now() - started }, 'listening');

  onStopSignal(log, () => server.close());
}

/** Ctrl-C / SIGTERM: stop cleanly (a second signal exits at once). */
function onStopSignal(log: ReturnType<typeof createLogger>, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: finishing work in flight, then stopping`);
    close().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function runWorker(): Promise<void> {
  const settings = settingsFromEnvironment();
  const log = createLogger({ level: settings.logLevel, format: settings.logFormat });
  const worker = await startWorker(settings, log);
  process.stdout.write(
    `exact-sync ${VERSION} worker is running\n` +
      `  database:     ${worker.database.description}\n` +
      `  syncs:        up to ${settings.workerConcurrency} divisions side by side (WORKER_CONCURRENCY)\n` +
      '  stop with Ctrl-C (syncs in progress stop after their current page; another worker goes on)\n',
  );
  log.info({ concurrency: settings.workerConcurrency }, 'worker started');
  onStopSignal(log, () => worker.close());
}

async function runMigrate(): Promise<void> {
  const settings = settingsFromEnvironment();
  const log = createLogger({ level: settings.logLevel, format: settings.logFormat });
  const database = await openDatabase(settings, log, { owner: false });
  process.stdout.write(`Database ${database.description} is up to date\n`);
  await database.close();
}

async function runSandbox(options: { port: string; host: string; divisions: string; scale: string; seed: string; timeScale: string; limits: boolean; autoApprove?: boolean }): Promise<void> {
  const number = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min) throw new AppError('invalid_option', `--${name} must be a number >= ${min} (got ${JSON.stringify(text)})`);
    return n;
  };
  const { startSandbox, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } = await import('./sandbox/index.ts');
  const port = number('port', options.port, 0);
  const running = await startSandbox({
    port,
    host: options.host,
    divisions: number('divisions', options.divisions, 1),
    scale: number('scale', options.scale, 2),
    seed: number('seed', options.seed, 0),
    timeScale: number('time-scale', options.timeScale, 0.001),
    limits: options.limits ? undefined : false,
    autoApprove: options.autoApprove === true,
  }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') throw new AppError('port_in_use', `Port ${port} is already in use. Choose another with --port.`);
    throw err;
  });
  const divisions = running.sandbox.divisions.map((d) => `${d.code} (${d.description}, ${d.lines} transaction lines)`).join('\n    ');
  process.stdout.write(
    `Exact Online sandbox at ${running.url}\n` +
      `  app:       client id ${SANDBOX_CLIENT_ID}, secret ${SANDBOX_CLIENT_SECRET}, any redirect URI on localhost\n` +
      `  user:      demo / demo${options.autoApprove ? ' (consent given automatically)' : ''}\n` +
      `  limits:    ${options.limits ? '60 calls a minute, 5000 a day per division' : 'off'}${Number(options.timeScale) !== 1 ? `; time runs ${options.timeScale}x` : ''}\n` +
      `  divisions: ${divisions}\n` +
      '  stop with Ctrl-C\n',
  );
  const stop = () => {
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function runBench(name: string, options: { rows: string; scale: string; timeScale: string }): Promise<void> {
  const names = ['sandbox-sync', 'sync-full', 'pacing', 'parallel-divisions', 'query-stream'];
  if (!names.includes(name)) throw new AppError('unknown_benchmark', `No benchmark named ${JSON.stringify(name)}. Available: ${names.join(', ')}.`);
  const { machine } = await import('../bench/machine.ts');
  if (name === 'query-stream') {
    const rows = Number(options.rows);
    if (!Number.isInteger(rows) || rows < 1) throw new AppError('invalid_option', `--rows must be a whole number >= 1 (got ${JSON.stringify(options.rows)})`);
    const { runQueryStream } = await import('../bench/queryStream.ts');
    const r = await runQueryStream({ rows, ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}), log: (l) => process.stdout.write(`  ${l}\n`) });
    const show = (label: string, m: typeof r.csv) =>
      `  ${label.padEnd(6)} ${m.seconds.toFixed(2)} s, ${m.rowsPerSecond.toLocaleString('en-US')} rows/s, ${m.megabytes} MB, ${m.ratio.toFixed(2)}x the floor, server RSS ${m.serverRssBeforeMb} -> ${m.serverRssPeakMb} MB (+${m.serverRssPeakMb - m.serverRssBeforeMb})\n`;
    process.stdout.write(
      `query-stream: ${rows.toLocaleString('en-US')} rows x 15 columns through POST /api/v1/query\n` +
        `  floor  ${r.floorSeconds.toFixed(2)} s (psql \\copy (query) to stdout csv)\n` +
        show('csv', r.csv) + show('json', r.json) + show('ndjson', r.ndjson) +
        `  targets: csv <= 1.5x, json <= 2.5x, server RSS growth < 100 MB\n` +
        `  machine: ${machine()}\n`,
    );
    return;
  }
  if (name === 'parallel-divisions') {
    const scale = Number(options.scale);
    const timeScale = Number(options.timeScale);
    if (!Number.isInteger(scale) || scale < 100) throw new AppError('invalid_option', `--scale must be a whole number >= 100 (got ${JSON.stringify(options.scale)})`);
    if (!(timeScale >= 1 && timeScale <= 60)) throw new AppError('invalid_option', `--time-scale must be from 1 to 60 (got ${JSON.stringify(options.timeScale)})`);
    const { runParallelDivisions } = await import('../bench/parallelDivisions.ts');
    const show = (m: { sandboxMinutes: number; realSeconds: number; apiCalls: number; throttled: number }) =>
      `${m.sandboxMinutes.toFixed(2)} Exact minutes (${m.realSeconds.toFixed(1)} s here), ${m.apiCalls} API calls, ${m.throttled} answered 429`;
    process.stdout.write(`parallel-divisions: 10 divisions, the largest with ${scale} transaction lines, 60 calls a minute per division, sandbox time ${timeScale}x\n`);
    const r = await runParallelDivisions({
      scale, timeScale, ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
      onMeasured: (label, m) => process.stdout.write(`  ${`${label}:`.padEnd(38)}${show(m)}\n`),
    });
    process.stdout.write(
      `  divisions (lines):                    ${r.divisions.map((d) => d.lines).join(', ')}\n` +
        `  side by side / largest alone:         ${r.ratio.toFixed(3)} (target <= 1.3)\n` +
        `  one after the other / side by side:   ${(r.sequential.sandboxMinutes / r.parallel.sandboxMinutes).toFixed(2)}\n` +
        `  machine:                              ${machine()}\n`,
    );
    return;
  }
  if (name === 'pacing') {
    const { runPacing } = await import('../bench/pacing.ts');
    const r = await runPacing({ calls: 600, workers: 4, timeScale: 30 });
    process.stdout.write(
      `pacing: ${r.calls} calls from 4 workers at 60 a minute (sandbox time 30x)\n` +
        `  took:               ${r.minutes.toFixed(2)} sandbox minutes (calls / limit: ${r.ideal.toFixed(2)}; fastest the limit allows from this start: ${r.fastest.toFixed(2)})\n` +
        `  ratio:              ${r.ratio.toFixed(3)}x the fastest possible\n` +
        `  429 answers:        ${r.throttled}\n` +
        `  machine:            ${machine()}\n`,
    );
    return;
  }
  const rows = Number(options.rows);
  if (!Number.isInteger(rows) || rows < 2) throw new AppError('invalid_option', `--rows must be a whole number >= 2 (got ${JSON.stringify(options.rows)})`);
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const bar = new SingleBar({ format: `${name} [{bar}] {value}/{total} rows | {duration}s`, hideCursor: true }, Presets.shades_classic);
  bar.start(rows, 0);
  const onProgress = (n: number) => bar.update(n);
  if (name === 'sandbox-sync') {
    const { runSandboxSync } = await import('../bench/sandboxSync.ts');
    const result = await runSandboxSync({ rows, onProgress }).finally(() => bar.stop());
    process.stdout.write(
      `sandbox-sync: ${result.rows} transaction lines in ${result.pages} pages through sync/Financial/TransactionLines\n` +
        `  wall time:          ${result.seconds.toFixed(1)} s (${result.rowsPerSecond} rows/s)\n` +
        `  sandbox peak RSS:   ${result.sandboxPeakRssMb} MB\n` +
        `  CPU time:           sandbox ${result.sandboxCpuSeconds.toFixed(1)} s, client ${result.clientCpuSeconds.toFixed(1)} s\n` +
        `  machine:            ${machine()}\n`,
    );
    return;
  }
  const { runSyncFull } = await import('../bench/syncFull.ts');
  const settings = settingsFromEnvironment();
  const result = await runSyncFull({ rows, onProgress, ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : {}) }).finally(() => bar.stop());
  process.stdout.write(
    `sync-full: ${result.rows} transaction lines from the sandbox into the warehouse\n` +
      `  sync:               ${result.syncSeconds.toFixed(1)} s (${result.rowsPerSecond} rows/s)\n` +
      `  COPY floor:         ${result.copySeconds.toFixed(1)} s (the same rows as CSV into an empty table)\n` +
      `  ratio:              ${result.ratio.toFixed(2)}x the floor\n` +
      `  peak RSS (sync):    ${result.peakRssMb} MB\n` +
      `  machine:            ${machine()}\n`,
  );
}

async function runSyncCommand(options: { connection?: string; tables?: string; divisions?: string; full?: boolean }): Promise<void> {
  const settings = settingsFromEnvironment();
  const log = createLogger({ level: settings.logLevel === 'info' ? 'warn' : settings.logLevel, format: settings.logFormat });
  const { commaList } = await import('./commands.ts');
  const list = (text: string | undefined, name: string, numeric: boolean) => (text === undefined ? undefined : commaList(text, name, numeric));
  const tables = list(options.tables, 'tables', false);
  const divisions = list(options.divisions, 'divisions', true)?.map(Number);
  if (options.connection !== undefined && !/^\d+$/.test(options.connection)) throw new AppError('invalid_option', `--connection must be a connection id (got ${JSON.stringify(options.connection)})`);

  const { TokenManager } = await import('./exact/tokens.ts');
  const { Pacer } = await import('./exact/client.ts');
  const { runConnection } = await import('./sync/runner.ts');
  const { SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET } = await import('./sandbox/index.ts');
  const box = await openSecretBox(settings, log);
  const database = await openDatabase(settings, log, { owner: false });
  let failed = false;
  try {
    const app = settings.exact ?? { clientId: SANDBOX_CLIENT_ID, clientSecret: SANDBOX_CLIENT_SECRET };
    const { rows } = await database.pool.query<{ id: number }>(
      options.connection === undefined ? `SELECT id FROM exact_sync.connections WHERE state = 'active' ORDER BY id` : 'SELECT id FROM exact_sync.connections WHERE id = $1',
      options.connection === undefined ? [] : [Number(options.connection)],
    );
    if (rows.length === 0) {
      throw new AppError('no_connection', options.connection === undefined
        ? 'There is no active Exact Online connection to sync. Connect one in the web console (npm start, then open it and choose "Connect Exact Online").'
        : `There is no connection ${options.connection}.`);
    }
    const tokens = new TokenManager({ pool: database.pool, box, app, log });
    const pacer = new Pacer();
    const { MultiBar, Presets } = (await import('cli-progress')).default;
    const bars = new MultiBar({ format: '  division {division} {table} {value} rows', hideCursor: true, clearOnComplete: true }, Presets.shades_classic);
    const live = new Map<string, ReturnType<typeof bars.create>>();
    for (const { id } of rows) {
      process.stdout.write(`Syncing connection ${id}\n`);
      const outcomes = await runConnection({
        pool: database.pool, tokens, pacer, clientId: app.clientId, connectionId: id, log,
        ...(tables ? { tables } : {}), ...(divisions ? { divisions } : {}), ...(options.full ? { full: true } : {}),
        onProgress: (division, table, n) => {
          const key = `${division}:${table}`;
          let bar = live.get(key);
          if (!bar) live.set(key, (bar = bars.create(1, 0, { division, table })));
          bar.update(n, { division, table });
        },
        onTableDone: (division, r) => {
          const bar = live.get(`${division}:${r.table}`);
          if (bar) bars.remove(bar);
          const line = 'error' in r
            ? `  division ${division} ${r.table}: FAILED: ${r.error}\n`
            : `  division ${division} ${r.table}: ${r.rows} rows read, ${r.inserted} new, ${r.updated} updated, ${r.deleted} deleted\n`;
          // Above the live bars on a terminal; plain lines in a log.
          if (process.stdout.isTTY) bars.log(line);
          else process.stdout.write(line);
        },
      });
      bars.stop();
      for (const o of outcomes) {
        const line = o.status === 'succeeded'
          ? `division ${o.division}: done (run ${o.runId}, ${o.apiCalls} API calls)`
          : o.status === 'already_running'
            ? `division ${o.division}: already syncing in another process${o.runId === null ? '' : ` (run ${o.runId})`}; not started twice`
            : `division ${o.division}: ${o.status.replace('_', ' ')} (run ${o.runId}): ${o.message}`;
        process.stdout.write(`${line}\n`);
        if (o.status !== 'succeeded' && o.status !== 'already_running') failed = true;
      }
    }
  } finally {
    await database.close();
  }
  if (failed) throw new AppError('sync_failed', 'The sync did not complete; see the lines above.');
}

async function runConnections(): Promise<void> {
  const settings = settingsFromEnvironment();
  const log = createLogger({ level: settings.logLevel === 'info' ? 'warn' : settings.logLevel, format: settings.logFormat });
  const database = await openDatabase(settings, log, { owner: false });
  try {
    const { rows } = await database.pool.query<{ id: number; country: string; base_url: string; exact_user_name: string | null; state: string; state_message: string | null; warehouse_schema: string }>(
      'SELECT id, country, base_url, exact_user_name, state, state_message, warehouse_schema FROM exact_sync.connections ORDER BY id',
    );
    if (rows.length === 0) {
      process.stdout.write('No Exact Online connections yet. Connect one in the web console (npm start, then open it and choose "Connect Exact Online").\n');
      return;
    }
    for (const c of rows) {
      process.stdout.write(`connection ${c.id}: ${c.state}${c.state_message ? ` — ${c.state_message}` : ''}\n  ${c.base_url} (${c.country})${c.exact_user_name ? `, user ${c.exact_user_name}` : ''}, warehouse schema ${c.warehouse_schema}\n`);
      const runs = await database.pool.query<{ division: number; status: string; finished_at: Date | null; api_calls: number; error_message: string | null; tables: number; rows: string }>(
        `SELECT DISTINCT ON (r.division) r.division, r.status, r.finished_at, r.api_calls, r.error_message,
           (SELECT count(*) FROM exact_sync.sync_state s WHERE s.connection_id = r.connection_id AND s.division = r.division)::int AS tables,
           (SELECT coalesce(sum(rows_total), 0) FROM exact_sync.sync_state s WHERE s.connection_id = r.connection_id AND s.division = r.division)::text AS rows
         FROM exact_sync.runs r WHERE r.connection_id = $1 ORDER BY r.division, r.started_at DESC`,
        [c.id],
      );
      if (runs.rows.length === 0) process.stdout.write('  not synced yet\n');
      for (const r of runs.rows) {
        const when = r.finished_at ? r.finished_at.toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : 'running';
        process.stdout.write(`  division ${r.division}: last run ${r.status} (${when}, ${r.api_calls} API calls), ${r.tables} tables, ${r.rows} rows synced in all${r.error_message ? ` — ${r.error_message}` : ''}\n`);
      }
    }
  } finally {
    await database.close();
  }
}

/** A command whose work belongs to a later release: it says so and fails, it never pretends. */
function notYet(name: string): () => never {
  return () => {
    throw new AppError('not_available', `\`exact-sync ${name}\` is not available in this version yet.`);
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('exact-sync')
    .description('Exact Online in Postgres, Excel and Google Sheets')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program.command('serve').description('API, console and add-in files (what `npm start` runs)').action(runServe);
  program.command('migrate').description('apply database migrations and exit').action(runMigrate);
  program.command('worker').description('only a sync worker (run several, on several machines, same DATABASE_URL and SECRET_KEY)').action(runWorker);
  program
    .command('sandbox')
    .description('the Exact Online simulator on its own (see server/sandbox)')
    .option('--port <n>', 'port to listen on', '4010')
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--divisions <n>', 'number of divisions (administrations)', '3')
    .option('--scale <n>', 'transaction lines in the largest division', '10000')
    .option('--seed <n>', 'seed of the generated data', '1')
    .option('--time-scale <n>', 'how much faster sandbox time runs (30: a minute lasts 2 s)', '1')
    .option('--no-limits', 'switch the rate limits off (throughput benchmarks)')
    .option('--auto-approve', 'skip the login page: consent is given at once for user demo')
    .action(runSandbox);
  const connections = program.command('connections').description('list connections, their divisions, tables and state').action(runConnections);
  connections
    .command('divisions')
    .argument('<id>', 'the connection')
    .description('show the divisions of a connection and which sync; --all or --select changes that')
    .option('--all', 'sync every division, including ones added later')
    .option('--select <codes>', 'sync exactly these divisions (comma-separated codes)')
    .action(async (id: string, options: { all?: boolean; select?: string }) => (await import('./commands.ts')).runConnectionDivisions(settingsFromEnvironment(), id, options));
  connections
    .command('tables')
    .argument('<id>', 'the connection')
    .description('show the tables of a connection; --enable, --disable and --frequency change them')
    .option('--enable <names>', 'comma-separated tables to sync')
    .option('--disable <names>', 'comma-separated tables not to sync')
    .option('--frequency <pairs>', 'table=minutes pairs (5 to 10080), or table=default (every 6 hours)')
    .action(async (id: string, options: { enable?: string; disable?: string; frequency?: string }) => (await import('./commands.ts')).runConnectionTables(settingsFromEnvironment(), id, options));
  program
    .command('sync')
    .description('run a sync now in the foreground, with progress, and exit non-zero on failure')
    .option('--connection <id>', 'the connection to sync (default: every active one)')
    .option('--tables <names>', 'comma-separated catalog tables (default: all)')
    .option('--divisions <codes>', 'comma-separated division codes (default: all the connection can reach)')
    .option('--full', 'forget the cursors and read everything again')
    .action(runSyncCommand);
  program
    .command('query')
    .description('run a read-only query against the warehouse (as the query API does: read-only role, limits)')
    .argument('<sql>', 'one query: SELECT, WITH … SELECT, VALUES or TABLE')
    .option('--format <format>', 'table | csv | json | ndjson', 'table')
    .option('--connection <id>', 'whose warehouse schema unqualified names resolve in (default: the first connection)')
    .action(async (sql: string, options: { format: string; connection?: string }) => (await import('./commands.ts')).runQuery(settingsFromEnvironment(), sql, options));
  program
    .command('admin')
    .description('set the admin password of the console (asked twice, or read from standard input)')
    .action(async () => (await import('./commands.ts')).runAdmin(settingsFromEnvironment()));
  const apiKey = program.command('api-key').description('create, list and revoke API keys');
  apiKey
    .command('create')
    .description('print a new API key once (stored hashed)')
    .requiredOption('--name <name>', 'who or what uses the key')
    .option('--admin', 'may also change connections, settings and keys')
    .action(async (options: { name: string; admin?: boolean }) => (await import('./commands.ts')).runApiKeyCreate(settingsFromEnvironment(), options));
  apiKey.command('list').description('the API keys (never the keys themselves)').action(async () => (await import('./commands.ts')).runApiKeyList(settingsFromEnvironment()));
  apiKey.command('revoke').argument('<id>', 'the key\'s id (see api-key list)').description('revoke an API key').action(async (id: string) => (await import('./commands.ts')).runApiKeyRevoke(settingsFromEnvironment(), id));
  const biUser = program.command('bi-user').description('read-only PostgreSQL logins for BI tools (Power BI, Metabase, psql)');
  biUser
    .command('create')
    .description('make a login that reads the warehouse; prints host, port, database, user and password once')
    .requiredOption('--name <name>', 'lower-case letters, digits, _; the login is bi_<name>')
    .action(async (options: { name: string }) => (await import('./commands.ts')).runBiUserCreate(settingsFromEnvironment(), options));
  biUser.command('list').description('the BI users (never their passwords)').action(async () => (await import('./commands.ts')).runBiUserList(settingsFromEnvironment()));
  biUser.command('revoke').argument('<id>', 'the BI user\'s id (see bi-user list)').description('drop the login and end its sessions').action(async (id: string) => (await import('./commands.ts')).runBiUserRevoke(settingsFromEnvironment(), id));
  program.command('documents').description('create, update, find and upsert Exact documents and attachments').action(notYet('documents'));
  program
    .command('bench')
    .description('the benchmarks (see BENCHMARKS.md)')
    .argument('<name>', 'sandbox-sync | sync-full | pacing | parallel-divisions | query-stream')
    .option('--rows <n>', 'rows to serve, sync or stream (sandbox-sync, sync-full, query-stream)', '1000000')
    .option('--scale <n>', 'transaction lines in the largest division (parallel-divisions)', '100000')
    .option('--time-scale <x>', 'sandbox time runs this much faster (parallel-divisions)', '10')
    .action(runBench);
  return program;
}

buildProgram().parseAsync(process.argv).catch(fail);
