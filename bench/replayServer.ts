import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A recording proxy in front of the sandbox, in a process of its own, so that a benchmark can time the
 * engine alone (issue 24). In `record` mode it forwards every request and writes each successful GET's
 * answer to a file (status, headers, body byte for byte); in `replay` mode it answers those GETs from
 * the files — the sandbox renders nothing while the timed sync runs — and forwards the rest (a token
 * refresh). Like Exact, the sandbox links to its own host (`__next`, redirects): answers are rewritten
 * to name the proxy's origin instead (as Exact would answer a client that reached it there), once, while
 * recording; the replay sends the recorded bytes.
 * Control: POST /__replay/mode?to=replay, GET /__replay/stats.
 */

interface Recorded {
  status: number;
  headers: Record<string, string | string[]>;
  file: string;
  size: number;
}

async function serve(target: string, dir: string): Promise<void> {
  const store = new Map<string, Recorded>();
  const stats = { mode: 'record' as 'record' | 'replay', recorded: 0, replayed: 0, forwarded: 0, bytes: 0 };
  let n = 0;
  const server = http.createServer((req, res) => {
    const key = `${req.method} ${req.url}`;
    if (req.url === '/__replay/stats') return void res.end(JSON.stringify(stats));
    if (req.url?.startsWith('/__replay/mode')) {
      stats.mode = new URL(req.url, 'http://x').searchParams.get('to') === 'replay' ? 'replay' : 'record';
      // From here on the counters tell the replay alone.
      Object.assign(stats, { replayed: 0, forwarded: 0, bytes: 0 });
      return void res.end(stats.mode);
    }
    const hit = stats.mode === 'replay' && req.method === 'GET' ? store.get(key) : undefined;
    if (hit) {
      stats.replayed++;
      stats.bytes += hit.size;
      res.writeHead(hit.status, hit.headers);
      createReadStream(hit.file).pipe(res);
      return;
    }
    stats.forwarded++;
    const self = `http://${req.headers.host}`;
    const upstream = http.request(
      `${target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: new URL(target).host } },
      (answer) => {
        const headers = { ...answer.headers } as Record<string, string | string[]>;
        if (typeof headers.location === 'string') headers.location = headers.location.replace(target, self);
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.from(Buffer.concat(chunks).toString('latin1').split(target).join(self), 'latin1');
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          headers['content-length'] = String(body.length);
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
          stats.bytes += body.length;
          if (stats.mode !== 'record' || req.method !== 'GET' || answer.statusCode !== 200) return;
          const file = path.join(dir, `r${++n}`);
          const out = createWriteStream(file);
          out.end(body, () => {
            store.set(key, { status: answer.statusCode!, headers, file, size: body.length });
            stats.recorded++;
          });
        });
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(`replay at http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
}

export interface ReplayProcess {
  url: string;
  child: ChildProcess;
  replay(): Promise<void>;
  stats(): Promise<{ mode: string; recorded: number; replayed: number; forwarded: number; bytes: number }>;
  stop(): Promise<void>;
}

/** The replay proxy for `target`, in its own process, recording into a temporary directory. */
export async function startReplayProcess(target: string): Promise<ReplayProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), 'exact-sync-replay-'));
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), target, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /replay at (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the replay proxy exited (${code}):\n${out}`)));
  });
  return {
    url,
    child,
    async replay() {
      await fetch(`${url}/__replay/mode?to=replay`, { method: 'POST' });
    },
    async stats() {
      return (await (await fetch(`${url}/__replay/stats`)).json()) as Awaited<ReturnType<ReplayProcess['stats']>>;
    },
    async stop() {
      child.kill('SIGTERM');
      await stat(dir).then(() => rm(dir, { recursive: true, force: true }));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await serve(process.argv[2]!, process.argv[3]!);
