import { chown, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VmRuntime } from '../../compute/instance.js';
import { unavailable } from '../../core/errors.js';
import { qmpExecute } from './qmp-client.js';

/** How often the job's progress is polled, and how long a copy may take at most. */
const POLL_MS = 200;
const BACKUP_TIMEOUT_MS = 30 * 60_000;

interface QmpJob {
  readonly id: string;
  readonly status: string;
  readonly error?: string;
}

/** The uid and gid QEMU runs as now (after -runas), from /proc. */
async function processOwner(pid: number): Promise<{ uid: number; gid: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
  return { uid: field('Uid'), gid: field('Gid') };
}

/**
 * A point-in-time copy of a running VM's root disk into `target` (an existing, empty qcow2 of
 * the disk's virtual size), with QEMU's backup job: writes the guest makes after the start are
 * copied-before-write, so the copy is the disk as it was at that moment (crash-consistent). QEMU
 * has dropped root, so the target is lent to its user for the copy and given back to root after.
 * A cancelled or failed job is cancelled and dismissed: no job stays behind in QEMU.
 */
export async function backupRootDisk(
  rt: VmRuntime,
  target: string,
  signal: AbortSignal,
): Promise<void> {
  const owner = await processOwner(rt.pid);
  await chown(target, owner.uid, owner.gid);
  const id = `kumo-image-${Date.now().toString(36)}`;
  const qmp = (command: string, args?: Record<string, unknown>) =>
    qmpExecute(rt.paths.qmpSocket, command, args);
  try {
    await qmp('drive-backup', {
      'job-id': id,
      device: 'root',
      target,
      format: 'qcow2',
      sync: 'full',
      mode: 'existing',
      'auto-dismiss': false,
    }).catch((e: unknown) => {
      if (!/Permission denied/i.test(String(e))) throw e;
      throw unavailable(
        `QEMU runs as an unprivileged user and cannot open ${target}: every directory above ` +
          "kumod's state directory must be searchable by that user (as /var/lib is). Fix the " +
          'permissions, or stop the instance and create the image from the stopped instance.',
        e,
      );
    });
    const deadline = Date.now() + BACKUP_TIMEOUT_MS;
    for (;;) {
      const job = ((await qmp('query-jobs')) as QmpJob[]).find((j) => j.id === id);
      if (!job) throw new Error(`QEMU lost the backup job ${id}`);
      if (job.status === 'concluded') {
        await qmp('job-dismiss', { id });
        if (job.error) throw new Error(`QEMU's backup of the root disk failed: ${job.error}`);
        break;
      }
      if (signal.aborted || Date.now() > deadline) {
        await qmp('job-cancel', { id }).catch(() => undefined);
        await waitConcluded(qmp, id);
        throw signal.aborted ? signal.reason : new Error('the root disk copy took too long');
      }
      await sleep(POLL_MS);
    }
  } finally {
    await chown(target, 0, 0);
  }
}

async function waitConcluded(
  qmp: (command: string, args?: Record<string, unknown>) => Promise<unknown>,
  id: string,
): Promise<void> {
  for (let n = 0; n < 100; n++) {
    const job = ((await qmp('query-jobs')) as QmpJob[]).find((j) => j.id === id);
    if (!job) return;
    if (job.status === 'concluded') {
      await qmp('job-dismiss', { id }).catch(() => undefined);
      return;
    }
    await sleep(POLL_MS);
  }
}
