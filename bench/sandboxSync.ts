import { readFileSync } from 'node:fs';
import { consent, startSandboxProcess } from './sandboxProcess.ts';

/**
 * How fast the sandbox serves a large division through its Sync API, the way the sync engine reads it:
 * `sync/Financial/TransactionLines?$select=*&$filter=Timestamp gt …L`, following `__next` to the end.
 * The sandbox runs in its own process (`exact-sync sandbox --no-limits`), as in demo mode; the client
 * reads and parses every page. Reports wall time, rows per second, and the sandbox's peak RSS (VmHWM).
 */
export interface SandboxSyncResult {
  rows: number;
  pages: number;
  seconds: number;
  rowsPerSecond: number;
  sandboxPeakRssMb: number;
  /** CPU time of the sandbox process (start-up included) and of this client process. */
  sandboxCpuSeconds: number;
  clientCpuSeconds: number;
}

export async function runSandboxSync(options: {
  rows: number;
  onProgress?: (rows: number) => void;
}): Promise<SandboxSyncResult> {
  const sandbox = await startSandboxProcess(options.rows);
  const { child, url } = sandbox;
  try {
    const token = await consent(url);
    const headers = { Authorization: `Bearer ${token.access_token}`, Accept: 'application/json' };
    const me = (await (await fetch(`${url}/api/v1/current/Me`, { headers })).json()) as {
      d: { results: { CurrentDivision: number }[] };
    };
    const division = me.d.results[0]!.CurrentDivision;

    const started = performance.now();
    const next = `${url}/api/v1/${division}/sync/Financial/TransactionLines?$select=*&$filter=Timestamp gt 1L`;
    let rows = 0;
    let pages = 0;
    // Like a real sync client that writes one page while the next is on its way: the next request goes
    // out as soon as the page's text has arrived (its __next sits at the end), before the page is parsed.
    const get = async (u: string) => {
      const res = await fetch(u, { headers });
      if (!res.ok) throw new Error(`page ${pages + 1}: HTTP ${res.status}`);
      return res.text();
    };
    let pending: Promise<string> | undefined = get(next);
    while (pending) {
      const text: string = await pending;
      const tail = /"__next":"([^"]+)"\}\}$/.exec(text.slice(-2048));
      pending = tail ? get(tail[1]!) : undefined;
      const body = JSON.parse(text) as { d: { results: unknown[]; __next?: string } };
      if (body.d.__next !== (tail?.[1] ?? undefined))
        throw new Error('__next read from the tail differs from the parsed one');
      rows += body.d.results.length;
      pages++;
      options.onProgress?.(rows);
    }
    const seconds = (performance.now() - started) / 1000;
    const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const ticks = Number(stat[11]) + Number(stat[12]);
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
    const client = process.cpuUsage();
    return {
      rows,
      pages,
      seconds,
      rowsPerSecond: Math.round(rows / seconds),
      sandboxPeakRssMb: Math.round(hwmKb / 1024),
      sandboxCpuSeconds: ticks / 100,
      clientCpuSeconds: (client.user + client.system) / 1e6,
    };
  } finally {
    sandbox.stop();
  }
}
