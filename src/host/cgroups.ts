import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { CgroupLayout } from './cgroup-probe.js';
import { KERNEL_FILE_DEADLINE_MS, withDeadline } from './deadline.js';
import { readSmallFile } from './files.js';
import { sleep } from './proc.js';

export interface VmLimits {
  readonly vcpus: number;
  /** Hard memory limit in MiB (guest RAM plus QEMU's own overhead). */
  readonly memoryMib: number;
}

/**
 * What enforces an instance type's CPU and memory on its QEMU process. The group is made (with its
 * limits) before QEMU exists and the process enters it before any guest code runs.
 */
export interface VmConfinement {
  /** "v1", "v2" or "none (--no-cgroups)", for describe-host and logs. */
  readonly description: string;
  /** Makes the group and sets its limits (idempotent). */
  create(name: string, limits: VmLimits): Promise<void>;
  /** Moves the process (all its threads) into the group and checks that it is there. */
  enter(name: string, pid: number): Promise<void>;
  /** The limits as the kernel has them (for describe and tests); undefined without a group. */
  limits(name: string): Promise<{ cpuQuotaUs: number; memoryBytes: number } | undefined>;
  /** Removes the group once its process is gone (idempotent). */
  remove(name: string): Promise<void>;
}

/** 50 x 100 ms: how long `remove` waits for an exited process to be reaped. */
const REMOVE_RETRIES = 50;
const PERIOD_US = 100_000;

const io = <T>(work: Promise<T>, what: string): Promise<T> =>
  withDeadline(work, KERNEL_FILE_DEADLINE_MS, what);

/** mkdir of one level only: EEXIST is fine, anything else (ENOENT included) is an error. */
async function mkdirOne(dir: string): Promise<void> {
  await io(mkdir(dir), `mkdir ${dir}`).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
}

/**
 * Per-instance cgroups under `<hierarchy>/<parent>/<instance>`, on the hierarchies the probe found
 * in /proc/self/mountinfo. Directories are made one level at a time below a mount point that is
 * known to exist: never recursively, never at a guessed path.
 */
export class Cgroups implements VmConfinement {
  readonly description: string;

  constructor(
    private readonly layout: CgroupLayout,
    /** Parent group name, e.g. "kumo" (tests use their own). */
    private readonly parent: string,
    private readonly logger: Logger,
  ) {
    this.description = layout.version;
  }

  /** The hierarchies a group lives in (one for v2, cpu and memory for v1). */
  private roots(): { cpu: string; memory: string } {
    return this.layout.version === 'v2'
      ? { cpu: this.layout.root, memory: this.layout.root }
      : { cpu: this.layout.cpu, memory: this.layout.memory };
  }

  private dirs(name: string): { cpu: string; memory: string } {
    const r = this.roots();
    return { cpu: join(r.cpu, this.parent, name), memory: join(r.memory, this.parent, name) };
  }

  async create(name: string, limits: VmLimits): Promise<void> {
    const d = this.dirs(name);
    const bytes = String(limits.memoryMib * 1024 * 1024);
    await this.makeGroup(d);
    if (this.layout.version === 'v2') {
      await io(
        writeFile(`${d.cpu}/cpu.max`, `${limits.vcpus * PERIOD_US} ${PERIOD_US}`),
        'cpu.max',
      );
      await io(writeFile(`${d.memory}/memory.max`, bytes), 'memory.max');
      return;
    }
    await io(writeFile(`${d.cpu}/cpu.cfs_period_us`, String(PERIOD_US)), 'cpu.cfs_period_us');
    await io(
      writeFile(`${d.cpu}/cpu.cfs_quota_us`, String(limits.vcpus * PERIOD_US)),
      'cpu.cfs_quota_us',
    );
    await io(writeFile(`${d.memory}/memory.limit_in_bytes`, bytes), 'memory.limit_in_bytes');
  }

  /**
   * The instance's group directories. The parent group is made (v2: with its controllers) once
   * per process; should it vanish later (ENOENT below it), it is made again.
   */
  private async makeGroup(d: { cpu: string; memory: string }): Promise<void> {
    const mkdirs = async (): Promise<void> => {
      for (const dir of new Set([d.cpu, d.memory])) await mkdirOne(dir);
    };
    if (!this.parentMade) {
      await this.makeParent();
      return mkdirs();
    }
    await mkdirs().catch(async (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
      await this.makeParent();
      await mkdirs();
    });
  }

  private async makeParent(): Promise<void> {
    this.parentMade = false;
    if (this.layout.version === 'v2') await this.enableV2Controllers();
    else
      for (const root of new Set(Object.values(this.roots()))) {
        await mkdirOne(join(root, this.parent));
      }
    this.parentMade = true;
  }
  private parentMade = false;

  async enter(name: string, pid: number): Promise<void> {
    const d = this.dirs(name);
    for (const dir of new Set([d.cpu, d.memory])) {
      // Writing a pid to cgroup.procs moves the whole thread group (every QEMU thread).
      await io(writeFile(`${dir}/cgroup.procs`, String(pid)), `${dir}/cgroup.procs`);
      const members = await io(readSmallFile(`${dir}/cgroup.procs`), `${dir}/cgroup.procs`);
      if (!members.split('\n').includes(String(pid)))
        throw new Error(`process ${pid} is not in ${dir} after joining it`);
    }
  }

  async limits(name: string): Promise<{ cpuQuotaUs: number; memoryBytes: number } | undefined> {
    const d = this.dirs(name);
    const read = (f: string) => io(readFile(f, 'utf8'), f).then((t) => t.trim());
    try {
      if (this.layout.version === 'v2') {
        const [quota] = (await read(`${d.cpu}/cpu.max`)).split(' ');
        return {
          cpuQuotaUs: Number(quota),
          memoryBytes: Number(await read(`${d.memory}/memory.max`)),
        };
      }
      return {
        cpuQuotaUs: Number(await read(`${d.cpu}/cpu.cfs_quota_us`)),
        memoryBytes: Number(await read(`${d.memory}/memory.limit_in_bytes`)),
      };
    } catch {
      return undefined;
    }
  }

  /**
   * Removes the group once its process is gone. A process that has just exited still pins its
   * group (EBUSY) until its parent reaps it, so EBUSY is retried for a few seconds.
   */
  async remove(name: string): Promise<void> {
    const d = this.dirs(name);
    for (const dir of new Set([d.cpu, d.memory])) {
      for (let attempt = 0; ; attempt++) {
        const error = await io(rmdir(dir), `rmdir ${dir}`).then(
          () => undefined,
          (e: NodeJS.ErrnoException) => e,
        );
        if (!error || error.code === 'ENOENT') break;
        if (error.code !== 'EBUSY' || attempt >= REMOVE_RETRIES) {
          this.logger.warn('could not remove cgroup', { dir, error: String(error) });
          break;
        }
        await sleep(100);
      }
    }
  }

  private async enableV2Controllers(): Promise<void> {
    if (this.layout.version !== 'v2') return;
    const root = this.layout.root;
    await mkdirOne(join(root, this.parent));
    for (const dir of [root, join(root, this.parent)]) {
      await io(writeFile(`${dir}/cgroup.subtree_control`, '+cpu +memory'), 'subtree_control').catch(
        (e: unknown) => {
          this.logger.warn('could not enable cgroup controllers', { dir, error: String(e) });
        },
      );
    }
  }
}

/**
 * No limits at all: only with kumod's explicit --no-cgroups, logged at start-up and reported by
 * describe-host, for hosts (containers) that give kumod no cgroup hierarchy.
 */
export class NoCgroups implements VmConfinement {
  readonly description = 'none (--no-cgroups)';
  create(): Promise<void> {
    return Promise.resolve();
  }
  enter(): Promise<void> {
    return Promise.resolve();
  }
  limits(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
  remove(): Promise<void> {
    return Promise.resolve();
  }
}
