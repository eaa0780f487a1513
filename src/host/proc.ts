import { readFile } from 'node:fs/promises';
import { readSmallFile } from './files.js';
import { DeadlineError, KERNEL_FILE_DEADLINE_MS, withDeadline } from './deadline.js';

/**
 * The start time of a process (clock ticks after boot, field 22 of /proc/PID/stat), or undefined
 * if there is no such process. Together with the pid it identifies a process across pid reuse.
 */
export async function processStartTime(pid: number): Promise<number | undefined> {
  try {
    const stat = await withDeadline(
      readSmallFile(`/proc/${pid}/stat`),
      KERNEL_FILE_DEADLINE_MS,
      `reading /proc/${pid}/stat`,
    );
    // The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    if (state === 'Z' || state === 'X') return undefined;
    const start = Number(fields[19]);
    return Number.isFinite(start) ? start : undefined;
  } catch (e) {
    // No such file: no such process. A read that hangs says nothing about the process: rethrow,
    // so that no caller takes a slow /proc for a dead VM.
    if (e instanceof DeadlineError) throw e;
    return undefined;
  }
}

/** True while the very process (pid + start time) is alive. */
export async function isSameProcessAlive(pid: number, startTime: number): Promise<boolean> {
  return (await processStartTime(pid)) === startTime;
}

export { setTimeout as sleep } from 'node:timers/promises';

/** The kernel's id for this boot: it changes when the host reboots, and only then. */
export async function readBootId(): Promise<string> {
  const bootId = readFile('/proc/sys/kernel/random/boot_id', 'utf8');
  return (await withDeadline(bootId, KERNEL_FILE_DEADLINE_MS, 'reading the boot id')).trim();
}
