#!/usr/bin/env -S node --max-semi-space-size=8
import { Command } from 'commander';
import { AppError, isAppError, messageOf } from './lib/errors.ts';
import { createLogger } from './lib/logger.ts';
import { loadSettings, readEnvironment, type Settings } from './lib/settings.ts';
import { serve, startWorker, VERSION } from './main.ts';
import { openDatabase } from './runtime.ts';
import type { BenchOptions } from '../bench/run.ts';

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
  else
    process.stderr.write(
      `exact-sync: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  process.exit(1);
}

async function runServe(): Promise<void> {
  const settings = settingsFromEnvironment();
  const log = createLogger({ level: settings.logLevel, format: settings.logFormat });
  const started = Date.now();
  const server = await serve(settings, log, {
    onDatabaseLost: (err) => {
      log.fatal(
        { err },
        'the database does not answer (15 s): stopping, so that a supervisor can start exact-sync again',
      );
      process.stderr.write(`exact-sync: lost its database (${messageOf(err)}); stopping.\n`);
      const exit = setTimeout(() => process.exit(1), 10_000);
      exit.unref();
      void server.close().finally(() => process.exit(1));
    },
  });

  const lines = [
    `exact-sync ${VERSION} is running at ${server.url}`,
    `  database:     ${server.database.description}`,
    server.sandbox
      ? `  Exact Online: DEMO MODE (EXACT_CLIENT_ID unset): the built-in Exact sandbox runs at ${server.sandbox.url} (user demo / demo)`
      : `  Exact Online: app ${settings.exact?.clientId}`,
    `  console:      ${server.url}/`,
    ...(server.database.embedded?.tls
      ? [
          `  BI over TLS:  PostgreSQL listens on ${settings.pgListen}, TLS only for other machines; certificate ${server.database.embedded.tls.certFile}`,
          `                (${server.database.embedded.tls.generated ? 'self-signed, made by exact-sync' : 'TLS_CERT_FILE'}), SHA-256 fingerprint ${server.database.embedded.tls.fingerprint256}`,
        ]
      : []),
    ...(server.services.setup
      ? [
          `  first start:  no admin password yet. Open ${server.url}/ and enter the setup code ${server.services.setup.code} to choose one`,
          '                (or run: npx exact-sync admin). The code works once, in this run only.',
        ]
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
  lastResort(log, close);
}

/**
 * What no request handler caught. A promise rejected with nobody waiting for it leaves nothing half
 * done that others rely on: it is logged and the server keeps serving. An exception thrown from an
 * event handler (a socket's data, a timer) may have left a driver or a stream in a state nothing can
 * trust, so the process logs it, stops as cleanly as it can within 10 s, and exits non-zero for its
 * supervisor (systemd, Docker, pm2) to start it again; pg-boss hands its jobs to the next worker.
 */
function lastResort(log: ReturnType<typeof createLogger>, close: () => Promise<void>): void {
  process.on('unhandledRejection', (reason) => {
    log.error({ err: reason }, 'a promise failed and nothing handled it; the server goes on');
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'unexpected error outside any request: stopping so that a supervisor can restart the server');
    const exit = setTimeout(() => process.exit(1), 10_000);
    exit.unref();
    close().finally(() => process.exit(1));
  });
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

async function runSandbox(options: {
  port: string;
  host: string;
  divisions: string;
  scale: string;
  seed: string;
  timeScale: string;
  limits: boolean;
  autoApprove?: boolean;
}): Promise<void> {
  const number = (name: string, text: string, min: number) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < min)
      throw new AppError('invalid_option', `--${name} must be a number >= ${min} (got ${JSON.stringify(text)})`);
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
    if (err.code === 'EADDRINUSE')
      throw new AppError('port_in_use', `Port ${port} is already in use. Choose another with --port.`);
    throw err;
  });
  const divisions = running.sandbox.divisions
    .map((d) => `${d.code} (${d.description}, ${d.lines} transaction lines)`)
    .join('\n    ');
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

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('exact-sync')
    .description('Exact Online in Postgres, Excel and Google Sheets')
    .version(VERSION)
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  addProcessCommands(program);
  addConnectionCommands(program);
  addWarehouseCommands(program);
  addAccessCommands(program);
  addViewCommands(program);
  addSheetsCommands(program);
  addDocumentsCommands(program);
  addBenchCommand(program);
  return program;
}

/** Serve, migrate, worker, sandbox: the long-running processes. */
function addProcessCommands(program: Command): void {
  program.command('serve').description('API, console and add-in files (what `npm start` runs)').action(runServe);
  program.command('migrate').description('apply database migrations and exit').action(runMigrate);
  program
    .command('worker')
    .description('only a sync worker (run several, on several machines, same DATABASE_URL and SECRET_KEY)')
    .action(runWorker);
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
}

/** Connections and what they sync. */
function addConnectionCommands(program: Command): void {
  const connections = program
    .command('connections')
    .description('list connections, their divisions, tables and state')
    .action(async () => (await import('./commands/connections.ts')).runConnections(settingsFromEnvironment()));
  connections
    .command('divisions')
    .argument('<id>', 'the connection')
    .description('show the divisions of a connection and which sync; --all or --select changes that')
    .option('--all', 'sync every division, including ones added later')
    .option('--select <codes>', 'sync exactly these divisions (comma-separated codes)')
    .action(async (id: string, options: { all?: boolean; select?: string }) =>
      (await import('./commands/connections.ts')).runConnectionDivisions(settingsFromEnvironment(), id, options),
    );
  connections
    .command('tables')
    .argument('<id>', 'the connection')
    .description('show the tables of a connection; --enable, --disable and --frequency change them')
    .option('--enable <names>', 'comma-separated tables to sync')
    .option('--disable <names>', 'comma-separated tables not to sync')
    .option('--frequency <pairs>', 'table=minutes pairs (5 to 10080), or table=default (every 6 hours)')
    .action(async (id: string, options: { enable?: string; disable?: string; frequency?: string }) =>
      (await import('./commands/connections.ts')).runConnectionTables(settingsFromEnvironment(), id, options),
    );
  connections
    .command('webhooks')
    .argument('<id>', 'the connection')
    .description('near-real-time: show the webhook subscriptions, or turn them on or off (the server must be running)')
    .option('--on', 'subscribe each selected division to the topics of its synced tables')
    .option('--off', 'remove the subscriptions at Exact')
    .option('--safety-net-hours <n>', 'with webhooks on, poll the tables they cover at most every n hours (1-168; 24)')
    .action(async (id: string, options: { on?: boolean; off?: boolean; safetyNetHours?: string }) =>
      (await import('./commands/connections.ts')).runConnectionWebhooks(settingsFromEnvironment(), id, options),
    );
  connections
    .command('fields')
    .argument('<id>', 'the connection')
    .description('show the fields Exact said an endpoint no longer has; --retry asks for them again')
    .option('--retry [endpoint]', 'ask for every dropped field (or those of one endpoint) again from the next run')
    .action(async (id: string, options: { retry?: boolean | string }) =>
      (await import('./commands/connections.ts')).runConnectionFields(settingsFromEnvironment(), id, options),
    );
}

/** Sync now, and read the warehouse. */
function addWarehouseCommands(program: Command): void {
  program
    .command('sync')
    .description('run a sync now in the foreground, with progress, and exit non-zero on failure')
    .option('--connection <id>', 'the connection to sync (default: every active one)')
    .option('--tables <names>', 'comma-separated catalog tables (default: all)')
    .option('--divisions <codes>', 'comma-separated division codes (default: all the connection can reach)')
    .option('--full', 'forget the cursors and read everything again')
    .action(async (options: { connection?: string; tables?: string; divisions?: string; full?: boolean }) =>
      (await import('./commands/sync.ts')).runSyncCommand(settingsFromEnvironment(), options),
    );
  program
    .command('query')
    .description('run a read-only query against the warehouse (as the query API does: read-only role, limits)')
    .argument('<sql>', 'one query: SELECT, WITH … SELECT, VALUES or TABLE')
    .option('--format <format>', 'table | csv | json | ndjson', 'table')
    .option('--connection <id>', 'whose warehouse schema unqualified names resolve in (default: the first connection)')
    .action(async (sql: string, options: { format: string; connection?: string }) =>
      (await import('./commands/query.ts')).runQuery(settingsFromEnvironment(), sql, options),
    );
}

/** Saved queries published as views in the reports schema. */
function addViewCommands(program: Command): void {
  const views = program
    .command('views')
    .description('saved queries as views in the reports schema, read by BI tools, Excel, Sheets and the API');
  views
    .command('list')
    .description('the published views and their status (ok, or broken and why)')
    .action(async () => (await import('./commands/views.ts')).runViewsList(settingsFromEnvironment()));
  views
    .command('publish')
    .argument('<name>', 'the view in the reports schema: lower-case letters, digits and _')
    .description('publish a saved query (or SQL) as reports.<name>')
    .option('--query <id>', 'a saved query, by id or name (its SQL and connection)')
    .option('--sql <sql>', 'the SQL, when not a saved query')
    .option('--connection <id>', 'whose warehouse the names resolve in (default: the query’s, else the first)')
    .option('--starter', 'publish the starter model of that name (see views starters)')
    .option('--materialized', 'store the rows; refreshed after each sync that changed a table it reads')
    .action(
      async (
        name: string,
        options: { query?: string; sql?: string; connection?: string; materialized?: boolean; starter?: boolean },
      ) => (await import('./commands/views.ts')).runViewsPublish(settingsFromEnvironment(), name, options),
    );
  views
    .command('starters')
    .description('the starter models a finance team needs first (P&L, balance, ageing, revenue per customer)')
    .action(async () => (await import('./commands/views.ts')).runViewsStarters());
  views
    .command('refresh')
    .argument('<name>', 'a published view')
    .description('refresh a materialized view now, or make a broken view again from its SQL')
    .action(async (name: string) =>
      (await import('./commands/views.ts')).runViewsRefresh(settingsFromEnvironment(), name),
    );
  views
    .command('unpublish')
    .argument('<name>', 'a published view')
    .description('drop the view and forget it')
    .action(async (name: string) =>
      (await import('./commands/views.ts')).runViewsUnpublish(settingsFromEnvironment(), name),
    );
}

/** Who may use the server: the admin password, API keys, BI logins. */
function addAccessCommands(program: Command): void {
  program
    .command('admin')
    .description('set the admin password of the console (asked twice, or read from standard input)')
    .action(async () => (await import('./commands/admin.ts')).runAdmin(settingsFromEnvironment()));
  const apiKey = program.command('api-key').description('create, list and revoke API keys');
  apiKey
    .command('create')
    .description('print a new API key once (stored hashed)')
    .requiredOption('--name <name>', 'who or what uses the key')
    .option('--admin', 'may also change connections, settings and keys')
    .action(async (options: { name: string; admin?: boolean }) =>
      (await import('./commands/admin.ts')).runApiKeyCreate(settingsFromEnvironment(), options),
    );
  apiKey
    .command('list')
    .description('the API keys (never the keys themselves)')
    .action(async () => (await import('./commands/admin.ts')).runApiKeyList(settingsFromEnvironment()));
  apiKey
    .command('revoke')
    .argument('<id>', "the key's id (see api-key list)")
    .description('revoke an API key')
    .action(async (id: string) => (await import('./commands/admin.ts')).runApiKeyRevoke(settingsFromEnvironment(), id));
  const biUser = program
    .command('bi-user')
    .description('read-only PostgreSQL logins for BI tools (Power BI, Metabase, psql)');
  biUser
    .command('create')
    .description('make a login that reads the warehouse; prints host, port, database, user and password once')
    .requiredOption('--name <name>', 'lower-case letters, digits, _; the login is bi_<name>')
    .action(async (options: { name: string }) =>
      (await import('./commands/biUsers.ts')).runBiUserCreate(settingsFromEnvironment(), options),
    );
  biUser
    .command('list')
    .description('the BI users (never their passwords)')
    .action(async () => (await import('./commands/biUsers.ts')).runBiUserList(settingsFromEnvironment()));
  biUser
    .command('revoke')
    .argument('<id>', "the BI user's id (see bi-user list)")
    .description('drop the login and end its sessions')
    .action(async (id: string) =>
      (await import('./commands/biUsers.ts')).runBiUserRevoke(settingsFromEnvironment(), id),
    );
}

/** Google Sheets writeback targets. */
function addSheetsCommands(program: Command): void {
  const sheetsCmd = program
    .command('sheets')
    .description('push tables and queries into Google Sheets (server-side writeback)');
  sheetsCmd
    .command('list')
    .description('the targets and their last push')
    .action(async () => (await import('./commands/sheets.ts')).runSheetsList(settingsFromEnvironment()));
  sheetsCmd
    .command('add')
    .description('a target: a table, saved query or SQL into spreadsheet Y, sheet Z')
    .requiredOption('--name <name>', 'what to call it')
    .requiredOption('--spreadsheet <id>', "the spreadsheet's id (its URL after /d/); share it with the service account")
    .requiredOption('--sheet <name>', 'the sheet (made when missing)')
    .option('--table <table>', 'a warehouse table')
    .option('--query <id>', 'a saved query')
    .option('--sql <sql>', 'a query')
    .option('--every <minutes>', 'push on a schedule (at least 5); without it only on request')
    .option('--connection <id>', "whose warehouse schema (default: the first connection's)")
    .action(
      async (options: {
        name: string;
        spreadsheet: string;
        sheet: string;
        table?: string;
        query?: string;
        sql?: string;
        every?: string;
        connection?: string;
      }) => (await import('./commands/sheets.ts')).runSheetsAdd(settingsFromEnvironment(), options),
    );
  sheetsCmd
    .command('push')
    .argument('<id>', 'the target (see sheets list)')
    .description('push now, in the foreground')
    .action(async (id: string) => (await import('./commands/sheets.ts')).runSheetsPush(settingsFromEnvironment(), id));
  sheetsCmd
    .command('set')
    .argument('<id>', 'the target (see sheets list)')
    .description('change a target: switch it on or off, its schedule, name, spreadsheet or sheet')
    .option('--on', 'pushed by its schedule again')
    .option('--off', 'kept, but not pushed by its schedule (push still pushes it)')
    .option('--every <minutes>', 'push on a schedule (at least 5)')
    .option('--on-request', 'no schedule: only push pushes it')
    .option('--name <name>', 'a new name')
    .option('--spreadsheet <id>', 'another spreadsheet (its URL after /d/)')
    .option('--sheet <name>', 'another sheet')
    .action(async (id: string, options: Record<string, string | boolean | undefined>) =>
      (await import('./commands/sheets.ts')).runSheetsSet(settingsFromEnvironment(), id, options),
    );
  sheetsCmd
    .command('remove')
    .argument('<id>', 'the target')
    .description('remove a target (the spreadsheet is not touched)')
    .action(async (id: string) =>
      (await import('./commands/sheets.ts')).runSheetsRemove(settingsFromEnvironment(), id),
    );
}

/** Documents and attachments in Exact. */
function addDocumentsCommands(program: Command): void {
  const docs = program
    .command('documents')
    .description('Exact documents and attachments: upsert many from a file, find, attach, download');
  const where = (c: Command) =>
    c
      .requiredOption('--connection <id>', 'the connection')
      .requiredOption('--division <code>', 'the division (administration) code');
  where(
    docs
      .command('upsert')
      .description("create or update documents from a CSV or JSON file (field names as Exact's), a line per row")
      .requiredOption('--file <path>', 'rows.csv or rows.json')
      .option('--by <field>', 'the field that finds an existing document', 'Subject'),
  ).action(async (o: { connection: string; division: string; file: string; by: string }) =>
    (await import('./commands/documents.ts')).runDocumentsUpsert(settingsFromEnvironment(), o),
  );
  where(
    docs
      .command('find')
      .description('the one document with this subject')
      .requiredOption('--subject <subject>', 'its Subject'),
  ).action(async (o: { connection: string; division: string; subject: string }) =>
    (await import('./commands/documents.ts')).runDocumentsFind(settingsFromEnvironment(), o),
  );
  where(
    docs
      .command('attach')
      .description('attach a file to a document')
      .requiredOption('--document <id>', 'the document ID')
      .requiredOption('--file <path>', 'the file')
      .option('--name <name>', "the file name in Exact (default: the file's)"),
  ).action(async (o: { connection: string; division: string; document: string; file: string; name?: string }) =>
    (await import('./commands/documents.ts')).runDocumentsAttach(settingsFromEnvironment(), o),
  );
  where(
    docs
      .command('download')
      .description('save an attachment')
      .requiredOption('--document <id>', 'the document ID')
      .requiredOption('--attachment <id-or-name>', 'the attachment ID or file name')
      .option('--out <path>', 'where to save it'),
  ).action(async (o: { connection: string; division: string; document: string; attachment: string; out?: string }) =>
    (await import('./commands/documents.ts')).runDocumentsDownload(settingsFromEnvironment(), o),
  );
}

/** The benchmarks (BENCHMARKS.md). */
function addBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('the benchmarks (see BENCHMARKS.md)')
    .argument(
      '<name>',
      'sandbox-sync | sync-full | sync-incremental | pacing | parallel-divisions | many-divisions | query-stream | abuse | webhooks',
    )
    .option(
      '--rows <n>',
      'rows to serve, sync or stream (sandbox-sync, sync-full, sync-incremental, query-stream)',
      '1000000',
    )
    .option(
      '--scale <n>',
      'transaction lines in the largest division (parallel-divisions, many-divisions, abuse)',
      '100000',
    )
    .option('--minutes <n>', 'how long the traffic runs (abuse), or the stretch of the day replayed (webhooks)', '10')
    .option('--rounds <n>', 'rounds of the floor and every format, in shuffled order (query-stream)', '5')
    .option('--changes <n>', 'changes in the typical day (webhooks)', '2000')
    .option('--interval <s>', 'WEBHOOK_MIN_INTERVAL_SECONDS of the server (webhooks)', '60')
    .option('--call-ms <n>', "Exact's round trip per call assumed in the day's lags (webhooks)", '500')
    .option('--time-scale <x>', 'sandbox time runs this much faster (parallel-divisions, many-divisions)', '10')
    .option('--divisions <n>', 'how many divisions (many-divisions)', '100')
    .option('--concurrency <n>', "jobs side by side, as WORKER_CONCURRENCY (many-divisions; serve's default)", '10')
    .option('--replay', 'time the engine alone: pages recorded first, then replayed byte for byte (sync-full)')
    .action(async (name: string, options: BenchOptions) => (await import('../bench/run.ts')).runBench(name, options));
}

buildProgram().parseAsync(process.argv).catch(fail);
