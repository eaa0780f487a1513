import { access, mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import type { Logger } from '../core/logger.js';
import { sleep } from './proc.js';

export type CgroupVersion = 'v1' | 'v2';

const ROOT = '/sys/fs/cgroup';
/** 50 x 100 ms: how long `remove` waits for an exited process to be reaped. */
const REMOVE_RETRIES = 50;

/** v2 when the unified hierarchy is mounted at the root with controllers; v1 otherwise. */
export async function detectCgroupVersion(): Promise<CgroupVersion> {
  try {
    await access(`${ROOT}/cgroup.controllers`);
    return 'v2';
  } catch {
    return 'v1';
  }
}

export interface VmLimits {
  readonly vcpus: number;
  /** Hard memory limit in MiB (guest RAM plus QEMU's own overhead). */
  readonly memoryMib: number;
}

/**
 * Per-instance cgroups that enforce an instance type: CPU bandwidth = vCPUs x 100% and a memory
 * limit. cgroup v1 (cpu + memory controllers) and v2 (cpu.max, memory.max).
 */
export class Cgroups {
  constructor(
    private readonly version: CgroupVersion,
    /** Parent group name, e.g. "kumo" (tests use their own). */
    private readonly parent: string,
    private readonly logger: Logger,
  ) {}

  private dirs(name: string): { cpu: string; memory: string } {
    return this.version === 'v2'
      ? { cpu: `${ROOT}/${this.parent}/${name}`, memory: `${ROOT}/${this.parent}/${name}` }
      : {
          cpu: `${ROOT}/cpu/${this.parent}/${name}`,
          memory: `${ROOT}/memory/${this.parent}/${name}`,
        };
  }

  /** Creates the group with its limits and moves the process (all its threads) into it. */
  async place(name: string, pid: number, limits: VmLimits): Promise<void> {
    const d = this.dirs(name);
    const period = 100_000;
    const bytes = String(limits.memoryMib * 1024 * 1024);
    if (this.version === 'v2') {
      await this.enableV2Controllers();
      await mkdir(d.cpu, { recursive: true });
      await writeFile(`${d.cpu}/cpu.max`, `${limits.vcpus * period} ${period}`);
      await writeFile(`${d.memory}/memory.max`, bytes);
      await writeFile(`${d.cpu}/cgroup.procs`, String(pid));
      return;
    }
    await mkdir(d.cpu, { recursive: true });
    await mkdir(d.memory, { recursive: true });
    await writeFile(`${d.cpu}/cpu.cfs_period_us`, String(period));
    await writeFile(`${d.cpu}/cpu.cfs_quota_us`, String(limits.vcpus * period));
    await writeFile(`${d.memory}/memory.limit_in_bytes`, bytes);
    await writeFile(`${d.cpu}/cgroup.procs`, String(pid));
    await writeFile(`${d.memory}/cgroup.procs`, String(pid));
  }

  /** Reads the limits back (for describe and tests). */
  async limits(name: string): Promise<{ cpuQuotaUs: number; memoryBytes: number } | undefined> {
    const d = this.dirs(name);
    try {
      if (this.version === 'v2') {
        const [quota] = (await readFile(`${d.cpu}/cpu.max`, 'utf8')).trim().split(' ');
        return {
          cpuQuotaUs: Number(quota),
          memoryBytes: Number((await readFile(`${d.memory}/memory.max`, 'utf8')).trim()),
        };
      }
      return {
        cpuQuotaUs: Number((await readFile(`${d.cpu}/cpu.cfs_quota_us`, 'utf8')).trim()),
        memoryBytes: Number((await readFile(`${d.memory}/memory.limit_in_bytes`, 'utf8')).trim()),
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
        const error = await rmdir(dir).then(
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
    await mkdir(`${ROOT}/${this.parent}`, { recursive: true });
    for (const dir of [ROOT, `${ROOT}/${this.parent}`]) {
      await writeFile(`${dir}/cgroup.subtree_control`, '+cpu +memory').catch((e: unknown) => {
        this.logger.warn('could not enable cgroup controllers', { dir, error: String(e) });
      });
    }
  }
}
