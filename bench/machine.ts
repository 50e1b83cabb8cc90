import os from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';

/** The machine a benchmark ran on, for BENCHMARKS.md. */
export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
}

/** CPU seconds (user + system) a process on this machine has used so far, from /proc (Linux); undefined elsewhere. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces), counted from field 3: utime is 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** Linux's USER_HZ: 100 on every platform Node supports. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds used by a changing set of processes (`pids()` at each sample) between `start` and
 * `stop`: sampled every `ms` so that a process that begins and ends in between counts too (up to its
 * last sample). For processes that exist at the start only their use since counts.
 */
export function cpuTracker(pids: () => number[], ms = 100) {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = () => {
    for (const pid of pids()) {
      const s = processCpuSeconds(pid);
      if (s === undefined) continue;
      if (!last.has(pid)) first.set(pid, started ? 0 : s);
      last.set(pid, s);
    }
  };
  let started = false;
  sample();
  started = true;
  const timer = setInterval(sample, ms);
  return {
    /** The seconds used since the tracker was made. */
    stop(): number {
      clearInterval(timer);
      sample();
      let total = 0;
      for (const [pid, s] of last) total += s - (first.get(pid) ?? 0);
      return total;
    },
  };
}

/** The processes of PostgreSQL's server on this machine (their command name is "postgres"). */
export function postgresPids(): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
