import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../server/db/embedded.ts';
import { migrate } from '../../server/db/migrate.ts';
import { grantWarehouseSchema } from '../../server/db/roles.ts';
import { createBiUser } from '../../server/query/biUsers.ts';

/**
 * PG_LISTEN beyond loopback, on a cluster of its own: 127.0.0.2 stands in for "another address of this
 * machine" (all of 127/8 is loopback on Linux, but initdb's pg_hba.conf admits only 127.0.0.1).
 */

let dir: string;
let server: EmbeddedPostgres;
let pool: pg.Pool;

const login = (
  user: string,
  password: string,
  host: string,
  query = '',
  sql = 'SELECT count(*) FROM exact_online.accounts',
) => {
  const r = spawnSync(
    'psql',
    [
      `postgres://${user}:${encodeURIComponent(password)}@${host}:${server.port}/postgres${query}`,
      '-X',
      '-A',
      '-t',
      '-c',
      sql,
    ],
    { encoding: 'utf8', timeout: 20_000 },
  );
  return { ok: r.status === 0, out: r.stdout.trim(), err: r.stderr };
};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-pglisten-'));
  await chmod(dir, 0o755);
  server = await startEmbeddedPostgres({ dataDir: dir, listen: '127.0.0.1,127.0.0.2' });
  pool = new pg.Pool({ connectionString: server.url, max: 2 });
  await migrate(pool);
  await pool.query('CREATE SCHEMA exact_online');
  await pool.query('CREATE TABLE exact_online.accounts AS SELECT 1 AS id');
  await grantWarehouseSchema(pool, 'exact_online');
}, 120_000);
afterAll(async () => {
  await pool.end();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('PG_LISTEN', () => {
  it('listens on the other address too, where a BI user logs in', async () => {
    const bi = await createBiUser(pool, 'remote');
    expect(login(bi.roleName, bi.password, '127.0.0.2')).toMatchObject({ ok: true, out: '1' });
  });

  it('admits from other machines the members of the readers group only, with a password; everyone else only from loopback', async () => {
    // (A second address of this machine still connects from 127.0.0.1, so the rules are read instead, as PostgreSQL parsed them.)
    const { rows } = await pool.query<{
      type: string;
      user_name: string[];
      address: string | null;
      netmask: string | null;
      auth_method: string;
      error: string | null;
    }>(
      `SELECT type, user_name, address, netmask, auth_method, error FROM pg_hba_file_rules WHERE type IN ('host', 'hostssl')`,
    );
    expect(rows.every((r) => r.error === null)).toBe(true);
    const { group } = await import('../../server/db/roles.ts').then((m) => m.currentReaderRoles(pool));
    const remote = rows.filter((r) => r.address !== '127.0.0.1' && r.address !== '::1');
    // Only over TLS: the ledger a BI tool reads must not cross the network in clear.
    expect(remote.map((r) => [r.type, r.user_name, r.address, r.auth_method])).toEqual([
      ['hostssl', [`+${group}`], '0.0.0.0', 'scram-sha-256'],
      ['hostssl', [`+${group}`], '::', 'scram-sha-256'],
    ]);
  });

  it('serves TLS with a certificate for the listen addresses, which a client can verify against its fingerprint', async () => {
    const tls = server.tls!;
    expect(tls.generated).toBe(true);
    const { X509Certificate } = await import('node:crypto');
    const { readFile } = await import('node:fs/promises');
    const cert = new X509Certificate(await readFile(tls.certFile));
    expect(cert.fingerprint256).toBe(tls.fingerprint256);
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.2');
    const bi = await createBiUser(pool, 'verified');
    // verify-full: the server's certificate is the one made, for the address asked.
    const verified = login(
      bi.roleName,
      bi.password,
      '127.0.0.2',
      `?sslmode=verify-full&sslrootcert=${encodeURIComponent(tls.certFile)}`,
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    expect(verified).toMatchObject({ ok: true, out: 't' });
  });
});
