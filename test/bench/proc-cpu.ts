/** CPU and process lookups from /proc, shared by the launch benchmarks. */
import { readdirSync, readFileSync } from 'node:fs';
import type { KumodHarness } from '../integration/harness/kumod-harness.js';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (ms) a process used so far: utime + stime, or with its reaped children too. */
export function cpuMs(pid: number | 'self', withChildren = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // Fields 14-17 of stat (utime, stime, cutime, cstime) are at 11-14 after the command name.
  const own = (f[11] ?? 0) + (f[12] ?? 0);
  const children = (f[13] ?? 0) + (f[14] ?? 0);
  return ((withChildren ? own + children : own) * 1000) / TICKS_PER_SECOND;
}

/** The first process whose command line contains every one of `parts`. */
export function findProcess(parts: readonly string[], parent?: number): number | undefined {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parts.every((p) => cmd.includes(p)) && (parent === undefined || ppid === parent))
        return Number(e);
    } catch {
      /* gone */
    }
  }
  return undefined;
}

/** kumod's pid: the node process serving this harness' socket. */
export function kumodPid(h: KumodHarness): number {
  const pid = findProcess(['bin/kumod.js', h.socket]);
  if (pid === undefined) throw new Error('kumod not found');
  return pid;
}

/** kumod's command spawner (started with kumod's first host command). */
export function spawnerPid(kumod: number): number {
  const pid = findProcess(['spawner-main.js'], kumod);
  if (pid === undefined) throw new Error('the command spawner of kumod not found');
  return pid;
}
