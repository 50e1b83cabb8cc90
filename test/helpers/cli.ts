import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../server/cli.ts');

/** Settings that must not leak from the developer's shell into a spawned exact-sync. */
const OURS = /^(DATABASE_URL|PORT|HOST|PUBLIC_URL|EXACT_.*|SECRET_KEY|GOOGLE_APPLICATION_CREDENTIALS|LOG_.*|DATA_DIR)$/;

export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !OURS.test(k)) env[k] = v;
  return { ...env, LOG_FORMAT: 'json', ...extra };
}

export interface CliRun {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout + stderr match, rejects if the process exits first or after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `input`: written to the command's standard input, which is then closed. */
export function runCli(args: string[], options: { env: Record<string, string>; cwd: string; input?: string }): CliRun {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) proc.stdin!.end(options.input);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    listeners.forEach((l) => l());
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    listeners.forEach((l) => l());
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('close', (code, signal) => {
      resolve({ code, signal });
      listeners.forEach((l) => l());
    });
  });
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        }, ms);
        const check = () => {
          if (pattern.test(out + err)) {
            clearTimeout(timer);
            listeners.delete(check);
            resolve();
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            clearTimeout(timer);
            listeners.delete(check);
            reject(
              new Error(
                `exited (${proc.exitCode ?? proc.signalCode}) before ${pattern}\nstdout:\n${out}\nstderr:\n${err}`,
              ),
            );
          }
        };
        listeners.add(check);
        check();
      });
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** A working directory for one spawned exact-sync, searchable by the postgres OS user when run as root. */
export async function tempWorkDir(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `exact-sync-${label}-`));
  await chmod(dir, 0o755);
  return dir;
}
