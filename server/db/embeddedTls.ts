import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, copyFile, readFile } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../lib/errors.ts';

const run = promisify(execFile);

/**
 * TLS for the embedded PostgreSQL when it listens beyond this machine (PG_LISTEN): BI tools read the
 * whole ledger over that connection, so it is encrypted, and pg_hba.conf admits remote BI users only
 * over TLS (`hostssl`). The certificate is the one configured for HTTPS (TLS_CERT_FILE, TLS_KEY_FILE),
 * copied into the cluster; without one, a self-signed certificate is made once with openssl (kept
 * across restarts, so its fingerprint stays the same) for the addresses PostgreSQL listens on and this
 * machine's name. PostgreSQL reads `server.crt` and `server.key` in its data directory (its defaults);
 * the key must be the server's own and not readable by others, or PostgreSQL refuses to start.
 */

export interface EmbeddedTls {
  certFile: string;
  /** SHA-256 of the certificate, as `openssl x509 -fingerprint -sha256` and Node print it (AA:BB:…). */
  fingerprint256: string;
  /** Made by exact-sync (self-signed) rather than configured. */
  generated: boolean;
}

const CERT = 'server.crt';
const KEY = 'server.key';

/** The names a client may use for this server: the listen addresses, this machine's names and addresses. */
export function certificateNames(listen: string): { dns: string[]; ips: string[] } {
  const dns = new Set(['localhost', hostname()]);
  const ips = new Set(['127.0.0.1', '::1']);
  for (const a of listen.split(',').map((x) => x.trim())) {
    if (a === '*' || a === '0.0.0.0' || a === '::') {
      for (const list of Object.values(networkInterfaces()))
        for (const i of list ?? []) ips.add(i.address.replace(/%.*$/, ''));
    } else if (/^[\d.]+$/.test(a) || a.includes(':')) ips.add(a);
    else if (a) dns.add(a);
  }
  return { dns: [...dns], ips: [...ips] };
}

export async function ensureTls(o: {
  clusterDir: string;
  listen: string;
  configured?: { certFile: string; keyFile: string } | undefined;
  owner: { uid: number; gid: number } | undefined;
}): Promise<EmbeddedTls> {
  const cert = path.join(o.clusterDir, CERT);
  const key = path.join(o.clusterDir, KEY);
  let generated = false;
  if (o.configured) {
    await copyFile(o.configured.certFile, cert);
    await copyFile(o.configured.keyFile, key);
  } else if (!existsSync(cert) || !existsSync(key)) {
    const { dns, ips } = certificateNames(o.listen);
    const san = [...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',');
    try {
      await run('openssl', [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '3650',
        '-subj',
        '/CN=exact-sync PostgreSQL',
        '-addext',
        `subjectAltName=${san}`,
        '-keyout',
        key,
        '-out',
        cert,
      ]);
    } catch (err) {
      throw new AppError(
        'pg_tls_unavailable',
        `PG_LISTEN opens the embedded PostgreSQL to other machines, which exact-sync does only over TLS, and no certificate could be made (${(err as Error).message.split('\n')[0]}). Install openssl, or set TLS_CERT_FILE and TLS_KEY_FILE.`,
      );
    }
    generated = true;
  } else generated = !o.configured;
  await chmod(key, 0o600);
  await chmod(cert, 0o644);
  if (o.owner) {
    await chown(key, o.owner.uid, o.owner.gid);
    await chown(cert, o.owner.uid, o.owner.gid);
  }
  const fingerprint256 = new X509Certificate(await readFile(cert)).fingerprint256;
  return { certFile: cert, fingerprint256, generated };
}
