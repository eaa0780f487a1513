import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { VmPaths } from '../../compute/instance.js';
import { tailFile } from '../files.js';
import { sleep } from '../proc.js';
import { QmpSession } from './qmp-client.js';

/** How soon start-up tries QEMU's monitor again when its socket is there but does not answer. */
const MONITOR_RETRY_MS = 10;
/** How often start-up looks for the monitor's socket besides watching for it to appear. */
const MONITOR_POLL_MS = 100;

/**
 * An open QMP session once a starting QEMU's monitor answers. Until QEMU has made its socket, a
 * connect can only fail (each failure costs kumod a socket, an error and a timer), so a stat of
 * the path is all each check does before that; the directory is watched (inotify), so a check
 * runs when QEMU makes the socket, with a slow poll behind it in case an event is missed. Fails
 * with QEMU's own log when QEMU exits first, and when `timeoutMs` or `signal` end the wait.
 */
export async function waitForMonitor(
  p: VmPaths,
  exited: () => string | undefined,
  o: { readonly signal?: AbortSignal | undefined; readonly timeoutMs: number },
): Promise<QmpSession> {
  const deadline = performance.now() + o.timeoutMs;
  let lastError: unknown = 'no socket yet';
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(p.dir, (_event, name) => {
      if (name === basename(p.qmpSocket)) wake?.();
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    // No watch (inotify limits): the poll alone finds the socket.
  }
  try {
    for (;;) {
      // Made before the check, so an event during the check wakes the wait after it.
      const woken = new Promise<void>((resolve) => (wake = resolve));
      const gone = exited();
      if (gone)
        throw new Error(`QEMU exited during start-up (${gone}): ${await tailFile(p.qemuLog)}`);
      if (o.signal?.aborted)
        throw o.signal.reason instanceof Error ? o.signal.reason : new Error('aborted');
      const made = await stat(p.qmpSocket).then(
        (st) => st.isSocket(),
        () => false,
      );
      if (made) {
        try {
          return await QmpSession.open(p.qmpSocket);
        } catch (e) {
          lastError = e;
        }
      }
      if (performance.now() > deadline)
        throw new Error(`QEMU did not answer on its monitor in time: ${String(lastError)}`);
      // Made but not answering yet: retry soon. Not made: until QEMU makes it, or the poll.
      const ms = made || watcher === undefined ? MONITOR_RETRY_MS : MONITOR_POLL_MS;
      const timer = new AbortController();
      await Promise.race([
        sleep(ms, undefined, { signal: timer.signal }).catch(() => undefined),
        woken,
      ]);
      timer.abort();
    }
  } finally {
    watcher?.close();
  }
}
