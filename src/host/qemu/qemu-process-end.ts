import type { VmRuntime } from '../../compute/instance.js';
import { isSameProcessAlive, sleep } from '../proc.js';
import { qmpExecute } from './qmp-client.js';

/** How long QEMU gets to quit when asked over QMP, and to vanish after SIGKILL. */
const END_WAIT_MS = 5_000;

/**
 * QMP quit, then SIGKILL; returns once the very process (pid + start time) is gone, so a pid the
 * kernel gave to someone else since is never signalled.
 */
export async function endQemuProcess(rt: VmRuntime): Promise<void> {
  if (!(await isSameProcessAlive(rt.pid, rt.startTime))) return;
  await qmpExecute(rt.paths.qmpSocket, 'quit').catch(() => undefined);
  if (await waitGone(rt.pid, rt.startTime, END_WAIT_MS)) return;
  try {
    process.kill(rt.pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  if (!(await waitGone(rt.pid, rt.startTime, END_WAIT_MS)))
    throw new Error(`QEMU (pid ${rt.pid}) survived SIGKILL for ${END_WAIT_MS / 1000} s`);
}

async function waitGone(pid: number, startTime: number, ms: number): Promise<boolean> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    if (!(await isSameProcessAlive(pid, startTime))) return true;
    await sleep(50);
  }
  return !(await isSameProcessAlive(pid, startTime));
}
