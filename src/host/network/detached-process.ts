import { stat } from 'node:fs/promises';
import { readSmallFile } from '../files.js';
import { netnsPath, type CommandRunner } from '../command-runner.js';
import { processStartTime, sleep } from '../proc.js';

/**
 * Helpers for the long-lived helpers kumo leaves running inside VPC namespaces (dnsmasq, the
 * metadata proxy). They must outlive kumod, so kumod finds them again by pid file and proves the
 * pid is still the same helper before it trusts or signals it.
 */

/** The pid in a pid file, or undefined if the file is missing or holds no number. */
export async function readPidFile(path: string): Promise<number | undefined> {
  const text = await readSmallFile(path).catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}

/** A process's argv from /proc, or undefined if it is gone or a zombie. */
export async function processArgv(pid: number): Promise<string[] | undefined> {
  if ((await processStartTime(pid)) === undefined) return undefined;
  return cmdline(pid);
}

/** The argv in /proc/<pid>/cmdline; undefined when it is empty (a zombie) or gone. */
async function cmdline(pid: number): Promise<string[] | undefined> {
  const raw = await readSmallFile(`/proc/${pid}/cmdline`).catch(() => '');
  return raw === '' ? undefined : raw.replace(/\0$/, '').split('\0');
}

/** True when the process lives in the named network namespace (same namespace inode). */
export async function isInNetns(pid: number, netns: string): Promise<boolean> {
  try {
    const [mine, ns] = await Promise.all([stat(`/proc/${pid}/ns/net`), stat(netnsPath(netns))]);
    return mine.ino === ns.ino && mine.dev === ns.dev;
  } catch {
    return false;
  }
}

/** A helper found through its pid file: `argv` lets the caller decide whether it is current. */
export interface FoundHelper {
  readonly pid: number;
  /** The process's start time (/proc/<pid>/stat), which tells it from a later one with its pid. */
  readonly startTime: number;
  readonly argv: readonly string[];
}

/**
 * The helper named by `pidFile` if that pid is alive, its argv contains `marker`, and it lives in
 * `netns` (skipped when undefined: the namespace is already gone). Together these keep a recycled
 * pid, even one reused inside the same namespace, from being mistaken for the helper.
 */
export async function findHelper(
  pidFile: string,
  marker: string,
  netns: string | undefined,
): Promise<FoundHelper | undefined> {
  const pid = await readPidFile(pidFile);
  if (pid === undefined) return undefined;
  const startTime = await processStartTime(pid);
  if (startTime === undefined) return undefined;
  const argv = await cmdline(pid);
  if (!argv?.includes(marker)) return undefined;
  if (netns !== undefined && !(await isInNetns(pid, netns))) return undefined;
  return { pid, startTime, argv };
}

/** Pids of every process inside a named namespace (`ip netns pids`). */
export async function netnsPids(runner: CommandRunner, netns: string): Promise<number[]> {
  const { stdout } = await runner.run('ip', ['netns', 'pids', netns]);
  return stdout.split('\n').filter(Boolean).map(Number);
}

/** SIGTERM, then SIGKILL after `graceMs`; returns once the process is gone (or a zombie). */
export async function stopProcess(pid: number, graceMs = 5_000): Promise<void> {
  const gone = async () => (await processStartTime(pid)) === undefined;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s);
    } catch {
      // Already gone between the check and the signal: that is the goal.
    }
  };
  if (await gone()) return;
  signal('SIGTERM');
  for (const deadline = Date.now() + graceMs; Date.now() < deadline; await sleep(50)) {
    if (await gone()) return;
  }
  signal('SIGKILL');
  for (let i = 0; i < 100 && !(await gone()); i++) await sleep(50);
}
