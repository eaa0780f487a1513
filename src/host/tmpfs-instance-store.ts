import { access, mkdir, open, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { CommandRunner } from './command-runner.js';
import { readMounts } from './mountinfo.js';

/** The file the guest sees as its instance-store disk, inside the store's own tmpfs. */
export const INSTANCE_STORE_FILE = 'ephemeral0.raw';
/** Marks kumo's tmpfs mounts in /proc/mounts (the mount's source name). */
const MOUNT_SOURCE = 'kumo-instance-store';
const BYTES_PER_MIB = 1024 * 1024;

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Instance store as a tmpfs of its own per running VM: made empty for each start, unmounted (and
 * so wiped) when the VM ends. A mount per VM caps the store at its size in the kernel, and
 * unmounting frees its memory at once, whoever wrote it; a store is never handed to another VM.
 */
export class TmpfsInstanceStore {
  constructor(
    private readonly runner: CommandRunner,
    private readonly logger: Logger,
  ) {}

  /**
   * Mounts an empty store of `sizeMib` at `dir` and returns the disk file's path. A store left
   * mounted there (a VM that ended while kumod was away) is wiped first: its data belonged to a
   * run of the VM that is over.
   */
  async prepare(dir: string, sizeMib: number): Promise<string> {
    await this.wipe(dir);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // One MiB above the disk for the file system's own pages; the disk file can never outgrow it.
    await this.runner.run('mount', [
      '-t',
      'tmpfs',
      '-o',
      `size=${sizeMib + 1}m,nr_inodes=16,mode=0700,nosuid,nodev,noexec`,
      MOUNT_SOURCE,
      dir,
    ]);
    const file = join(dir, INSTANCE_STORE_FILE);
    try {
      // Sparse: pages are taken (and charged to the writer's memory cgroup) as the guest writes.
      const handle = await open(file, 'wx', 0o600);
      try {
        await handle.truncate(sizeMib * BYTES_PER_MIB);
      } finally {
        await handle.close();
      }
    } catch (e) {
      await this.wipe(dir);
      throw e;
    }
    return file;
  }

  /** Unmounts the store at `dir` (its data and memory gone) and removes the directory. */
  async wipe(dir: string): Promise<void> {
    // Every stop and terminate passes here, with or without a store: no directory, no mount
    // (a mount point is a directory), so nothing to read in /proc.
    if (!(await exists(dir))) return;
    const mounted = (await readMounts()).some((m) => m.mountPoint === dir && m.fstype === 'tmpfs');
    if (mounted) {
      await this.runner.run('umount', [dir]);
      this.logger.debug('instance store wiped', { dir });
    }
    await rmdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
