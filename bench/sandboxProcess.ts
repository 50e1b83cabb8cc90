import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../server/cli.ts');

export interface SandboxProcess {
  url: string;
  child: ChildProcess;
  stop(): void;
}

/**
 * `exact-sync sandbox --no-limits --auto-approve` with one division of `rows` transaction lines, in its
 * own process as in demo mode; or, with `o`, that many divisions (the largest with `rows` lines), Exact's
 * limits on, and sandbox time running `timeScale` times faster. Node flags: the sandbox's live heap stays near 35 MB however many rows it
 * serves, but pages are megabytes of short-lived strings and V8 grows the heap lazily: a 32 MB young
 * generation lets them die young and a 160 MB old-space cap keeps the process from hoarding
 * (BENCHMARKS.md). SANDBOX_NODE_FLAGS overrides them.
 */
export async function startSandboxProcess(
  rows: number,
  o?: { divisions: number; timeScale: number; seed: number },
): Promise<SandboxProcess> {
  const flags = (process.env.SANDBOX_NODE_FLAGS ?? '--max-semi-space-size=32 --max-old-space-size=160')
    .split(' ')
    .filter(Boolean);
  const child = spawn(
    process.execPath,
    [
      ...flags,
      CLI,
      'sandbox',
      '--port',
      '0',
      '--scale',
      String(rows),
      '--auto-approve',
      ...(o
        ? ['--divisions', String(o.divisions), '--time-scale', String(o.timeScale), '--seed', String(o.seed)]
        : ['--divisions', '1', '--no-limits']),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /sandbox at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code}) before it listened:\n${out}`)));
  });
  return { url, child, stop: () => child.kill('SIGTERM') };
}

/** The authorization-code flow against an auto-approving sandbox: the tokens a fresh consent gives. */
export async function consent(
  url: string,
): Promise<{ access_token: string; refresh_token: string; expires_in: string }> {
  const redirect = 'http://localhost:9/callback';
  const auth = await fetch(
    `${url}/api/oauth2/auth?client_id=sandbox-client&redirect_uri=${encodeURIComponent(redirect)}&response_type=code`,
    { redirect: 'manual' },
  );
  const code = new URL(auth.headers.get('location')!).searchParams.get('code')!;
  const res = await fetch(`${url}/api/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirect,
      client_id: 'sandbox-client',
      client_secret: 'sandbox-secret',
    }),
  });
  return (await res.json()) as { access_token: string; refresh_token: string; expires_in: string };
}
