import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { VmPaths, VmRuntime } from '../../compute/instance.js';
import type { Hypervisor, StartOptions, VmSpec, VmStatus } from '../../compute/ports.js';
import type { Logger } from '../../core/logger.js';
import { withRollback, type Rollback } from '../../core/rollback.js';
import type { VmConfinement } from '../cgroups.js';
import type { TmpfsInstanceStore } from '../tmpfs-instance-store.js';
import type { DetachedStarter } from '../command-runner.js';
import { localDetachedStarter } from '../detached-start.js';
import { KERNEL_FILE_DEADLINE_MS, withDeadline } from '../deadline.js';
import { keepTail, tailFile } from '../files.js';
import { isSameProcessAlive, processStartTime } from '../proc.js';
import { backupRootDisk } from './disk-backup.js';
import { qemuArgs } from './qemu-args.js';
import { diskThrottles, throttleArguments } from './disk-throttle.js';
import { waitForMonitor } from './qemu-monitor-wait.js';
import { endQemuProcess } from './qemu-process-end.js';
import { qmpExecute, QmpSession } from './qmp-client.js';
import { statusFromQmp, VmWatcher } from './vm-watcher.js';

export interface QemuHypervisorOptions {
  readonly qemuBinary: string;
  /** Parent directory of the per-instance runtime directories. */
  readonly instancesDir: string;
  readonly runAs?: string | undefined;
  readonly tcgCacheMib: number;
  /** Memory QEMU itself needs beyond guest RAM (counted in the cgroup limit). */
  readonly overheadMib: number;
  readonly confinement: VmConfinement;
  /** Where instance stores live while their VMs run (a tmpfs each). */
  readonly instanceStore: TmpfsInstanceStore;
  readonly logger: Logger;
  /** Told whenever a watched VM changes (powered off, reset, exited): kumod reconciles it. */
  readonly onVmChange?: (instanceId: string) => void;
  /** How long QEMU may take to answer on its monitor when no caller deadline is given. */
  readonly monitorTimeoutMs?: number;
  /** OVMF's code and the pristine variable store each UEFI instance gets a copy of. */
  readonly ovmf?: { readonly code: string; readonly varsTemplate: string } | undefined;
  /** Who forks QEMU (kumod's command spawner); default: kumod itself. */
  readonly starter?: DetachedStarter | undefined;
}

/** The instance's own UEFI variable store, beside its console log. */
const UEFI_VARS_FILE = 'uefi-vars.fd';

/**
 * How much of the serial console and QEMU's own log survive a start. QEMU appends to them for the
 * life of the process; trimming at every start keeps a guest that spams its console from growing
 * them across restarts (GetConsoleOutput returns the last 64 KiB).
 */
const LOG_KEEP_BYTES = 256 * 1024;

/** The instance store's mount point, beside the VM's other runtime files. */
const instanceStoreDir = (p: VmPaths): string => join(p.dir, 'instance-store');

/** Runs each instance as a detached QEMU process controlled over QMP (survives kumod restarts). */
export class QemuHypervisor implements Hypervisor {
  private readonly watchers = new Map<string, VmWatcher>();

  constructor(private readonly o: QemuHypervisorOptions) {}

  paths(instanceId: string): VmPaths {
    const dir = join(this.o.instancesDir, instanceId);
    return {
      dir,
      qmpSocket: join(dir, 'qmp.sock'),
      qmpEventSocket: join(dir, 'qmp-events.sock'),
      consoleSocket: join(dir, 'console.sock'),
      consoleLog: join(dir, 'console.log'),
      pidFile: join(dir, 'qemu.pid'),
      qemuLog: join(dir, 'qemu.log'),
    };
  }

  /**
   * Check, act, verify, one step at a time, each with its undo registered as soon as it took
   * effect: stray QEMU reaped, cgroup made with its limits, QEMU spawned paused (and recorded),
   * monitor answering, process inside its cgroup, what the caller waits for (the network's
   * rules), vCPUs resumed and running.
   */
  async start(
    spec: VmSpec,
    record: (runtime: VmRuntime) => void,
    options: StartOptions = {},
  ): Promise<VmRuntime> {
    const { signal, beforeResume } = options;
    const id = spec.instanceId;
    const p = this.paths(id);
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    const lap = (step: string): void => {
      timings[step] = Math.round(performance.now() - t0);
    };
    const runtime = await withRollback(this.o.logger, async (rollback) => {
      await this.clearPreviousRun(id, p);
      let instanceStoreFile: string | undefined;
      if (spec.instanceStoreMib > 0) {
        instanceStoreFile = await this.o.instanceStore.prepare(
          instanceStoreDir(p),
          spec.instanceStoreMib,
        );
        rollback.add('instance store', () => this.o.instanceStore.wipe(instanceStoreDir(p)));
      }
      const uefiVars = await this.ensureUefiVars(spec, p, rollback);
      lap('prepared');

      // The guest's writes to its instance store become tmpfs pages charged to QEMU's memory
      // cgroup: the limit leaves room for a full store, so filling it never gets QEMU killed.
      await this.o.confinement.create(id, {
        vcpus: spec.vcpus,
        memoryMib:
          spec.memoryMib +
          spec.instanceStoreMib +
          this.o.overheadMib +
          (spec.accel === 'tcg' ? this.o.tcgCacheMib : 0),
      });
      rollback.add('cgroup', () => this.o.confinement.remove(id));
      lap('cgroup');

      const child = await this.spawnPaused(spec, p, { instanceStoreFile, uefi: uefiVars });
      const startTime = await processStartTime(child.pid);
      if (startTime === undefined) {
        throw new Error(`QEMU (pid ${child.pid}) exited at once: ${await tailFile(p.qemuLog)}`);
      }
      const spawned: VmRuntime = {
        instanceId: id,
        pid: child.pid,
        startTime,
        paths: p,
        launched: false,
      };
      rollback.add('QEMU process', () => this.endProcess(spawned));
      record(spawned);
      lap('spawned');
      this.o.logger.debug('qemu spawned', { instanceId: id, pid: child.pid });

      // The session that saw the monitor answer also resumes the VM: one handshake, not two.
      const monitor = await waitForMonitor(p, child.exited, {
        signal,
        timeoutMs: this.o.monitorTimeoutMs ?? 20_000,
      });
      try {
        lap('monitor');
        await this.o.confinement.enter(id, child.pid);
        lap('confined');
        this.o.logger.debug('qemu confined', { instanceId: id, pid: child.pid });
        await beforeResume?.();
        lap('cleared');
        await resumeThrottled(monitor, spec);
        lap('resumed');
      } finally {
        monitor.close();
      }
      return { ...spawned, launched: true };
    });
    this.o.logger.debug('qemu started', {
      instanceId: id,
      pid: runtime.pid,
      msAfterStart: timings,
    });
    await this.watch(runtime);
    return runtime;
  }

  async inspect(rt: VmRuntime): Promise<VmStatus> {
    if (!(await isSameProcessAlive(rt.pid, rt.startTime))) return 'gone';
    const watcher = this.watchers.get(rt.instanceId);
    if (watcher?.open) return watcher.status;
    try {
      const r = (await qmpExecute(rt.paths.qmpSocket, 'query-status')) as { status?: string };
      return statusFromQmp(r.status);
    } catch (e) {
      // A busy QMP socket or a process between checks: the process is there, call it running.
      if (!(await isSameProcessAlive(rt.pid, rt.startTime))) return 'gone';
      this.o.logger.debug('QMP query-status failed', { pid: rt.pid, error: String(e) });
      return 'running';
    }
  }

  async watch(rt: VmRuntime): Promise<void> {
    if (this.watchers.get(rt.instanceId)?.open) return;
    try {
      const watcher = await VmWatcher.open(rt.instanceId, rt.paths.qmpEventSocket, (id) => {
        if (!this.watchers.get(id)?.open) this.watchers.delete(id);
        this.o.onVmChange?.(id);
      });
      this.watchers.get(rt.instanceId)?.close();
      this.watchers.set(rt.instanceId, watcher);
    } catch (e) {
      // Not fatal: the reconciler's sweep asks again; inspect falls back to a short QMP session.
      this.o.logger.debug('could not follow VM events', {
        instanceId: rt.instanceId,
        error: String(e),
      });
    }
  }

  async powerDown(rt: VmRuntime): Promise<void> {
    await qmpExecute(rt.paths.qmpSocket, 'system_powerdown');
  }

  async reboot(rt: VmRuntime, softTimeoutMs: number): Promise<void> {
    await this.watch(rt);
    const watcher = this.watchers.get(rt.instanceId);
    if (!watcher?.open) throw new Error(`cannot follow the events of ${rt.instanceId}`);
    // Listen before asking, so a fast reset is not missed.
    const reset = watcher.session.waitEvent('RESET', softTimeoutMs);
    await qmpExecute(rt.paths.qmpSocket, 'send-key', {
      keys: [
        { type: 'qcode', data: 'ctrl' },
        { type: 'qcode', data: 'alt' },
        { type: 'qcode', data: 'delete' },
      ],
    });
    if (!(await reset)) {
      this.o.logger.warn('guest ignored the soft reboot; resetting it', {
        instanceId: rt.instanceId,
        pid: rt.pid,
      });
      await qmpExecute(rt.paths.qmpSocket, 'system_reset');
    }
  }

  async powerOffGuest(rt: VmRuntime, timeoutMs: number): Promise<boolean> {
    await this.watch(rt);
    const watcher = this.watchers.get(rt.instanceId);
    if (!watcher?.open) throw new Error(`cannot follow the events of ${rt.instanceId}`);
    if (watcher.status === 'guest-shutdown') return true;
    // Listen before asking, so a fast power-off is not missed. With -no-shutdown QEMU stays.
    const off = watcher.session.waitEvent('SHUTDOWN', timeoutMs);
    await qmpExecute(rt.paths.qmpSocket, 'system_powerdown');
    return (await off) !== undefined;
  }

  async bootAgain(rt: VmRuntime): Promise<void> {
    const s = await QmpSession.open(rt.paths.qmpSocket);
    try {
      await s.execute('system_reset');
      await s.execute('cont');
    } finally {
      s.close();
    }
  }

  async kill(rt: VmRuntime): Promise<void> {
    await this.endProcess(rt);
    // Instance store lives as long as the VM: a stop, a crash or a terminate wipes it (EC2).
    await this.o.instanceStore.wipe(instanceStoreDir(rt.paths));
    await this.o.confinement.remove(rt.instanceId);
  }

  async consoleOutput(instanceId: string, maxBytes: number): Promise<string> {
    return tailFile(this.paths(instanceId).consoleLog, maxBytes);
  }

  async removeArtifacts(instanceId: string): Promise<void> {
    const p = this.paths(instanceId);
    await this.o.instanceStore.wipe(instanceStoreDir(p));
    await rm(p.dir, { recursive: true, force: true });
  }

  /** Stops following every VM (kumod is stopping; the guests keep running). */
  close(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** The pid QEMU wrote, for adoption checks and tests. */
  async pidFromFile(instanceId: string): Promise<number | undefined> {
    const text = await readFile(this.paths(instanceId).pidFile, 'utf8').catch(() => '');
    return text ? Number(text.trim()) : undefined;
  }

  /**
   * A UEFI guest's variable store: copied from OVMF's template at its first start and kept with
   * the instance (boot entries survive stop/start), removed when it is terminated. A copy made by
   * a start that fails is removed with it.
   */
  private async ensureUefiVars(
    spec: VmSpec,
    p: VmPaths,
    rollback: Rollback,
  ): Promise<{ code: string; vars: string } | undefined> {
    if (spec.kernel || spec.firmware !== 'uefi') return undefined;
    if (!this.o.ovmf) throw new Error('UEFI boot needs OVMF (Debian package ovmf)');
    const vars = join(p.dir, UEFI_VARS_FILE);
    const made = await copyFile(this.o.ovmf.varsTemplate, vars, constants.COPYFILE_EXCL).then(
      () => true,
      (e: NodeJS.ErrnoException) => {
        if (e.code === 'EEXIST') return false;
        throw e;
      },
    );
    if (made) {
      await chmod(vars, 0o600);
      rollback.add('UEFI variable store', () => rm(vars, { force: true }));
    }
    return { code: this.o.ovmf.code, vars };
  }

  /** A crash-consistent copy of a running VM's root disk (create-image --no-reboot). */
  copyRootDisk(rt: VmRuntime, target: string, signal: AbortSignal): Promise<void> {
    return backupRootDisk(rt, target, signal);
  }

  /** Drops a terminated instance's UEFI variables (its console log stays for a while). */
  async removeVariableStore(instanceId: string): Promise<void> {
    await rm(join(this.paths(instanceId).dir, UEFI_VARS_FILE), { force: true });
  }

  private async spawnPaused(
    spec: VmSpec,
    p: VmPaths,
    disks: {
      instanceStoreFile: string | undefined;
      uefi: { code: string; vars: string } | undefined;
    },
  ): Promise<{ pid: number; exited: () => string | undefined }> {
    const args = qemuArgs(spec, p, {
      runAs: this.o.runAs,
      tcgCacheMib: this.o.tcgCacheMib,
      ...disks,
    });
    // nsenter execs QEMU in the VPC namespace (where its tap is), so the pid is QEMU's own.
    return (this.o.starter ?? localDetachedStarter).startDetached(this.o.qemuBinary, args, {
      logFile: p.qemuLog,
      netns: spec.port.netns,
    });
  }

  /** QMP quit, then SIGKILL; returns once the very process (pid + start time) is gone. */
  private async endProcess(rt: VmRuntime): Promise<void> {
    this.watchers.get(rt.instanceId)?.close();
    this.watchers.delete(rt.instanceId);
    await endQemuProcess(rt);
  }

  /**
   * The runtime directory, ready for a new QEMU: what an earlier run left (a stray QEMU, its
   * sockets and pid file) gone, its logs trimmed. One listing says what is there, so a first
   * start (no directory yet) costs one failed read and a mkdir, not a probe per file.
   */
  private async clearPreviousRun(instanceId: string, p: VmPaths): Promise<void> {
    const present = new Set(
      await readdir(p.dir).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return [];
        throw e;
      }),
    );
    if (present.size === 0) {
      await mkdir(p.dir, { recursive: true, mode: 0o750 });
      return;
    }
    const has = (f: string): boolean => present.has(basename(f));
    if (has(p.pidFile)) await this.reapStray(instanceId, p);
    await Promise.all([
      ...[p.qmpSocket, p.qmpEventSocket, p.consoleSocket, p.pidFile]
        .filter(has)
        .map((f) => rm(f, { force: true })),
      ...[p.consoleLog, p.qemuLog].filter(has).map((f) => keepTail(f, LOG_KEEP_BYTES)),
    ]);
  }

  /**
   * Never two QEMUs for one instance: a start that kumod did not finish (killed after the spawn)
   * can leave its QEMU behind. Its pid file names it; its command line must name this instance
   * (after a host reboot the pid may belong to anyone else).
   */
  private async reapStray(instanceId: string, p: VmPaths): Promise<void> {
    const pid = Number((await readFile(p.pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 1) return;
    const cmdline = await withDeadline(
      readFile(`/proc/${pid}/cmdline`, 'utf8'),
      KERNEL_FILE_DEADLINE_MS,
      `reading /proc/${pid}/cmdline`,
    ).catch(() => '');
    if (!cmdline.split('\0').includes(`guest=${instanceId},debug-threads=on`)) return;
    const startTime = await processStartTime(pid);
    if (startTime === undefined) return;
    this.o.logger.warn('killing a QEMU left behind by an interrupted start', { instanceId, pid });
    await this.endProcess({ instanceId, pid, startTime, paths: p, launched: false });
    await this.o.confinement.remove(instanceId);
  }
}

/**
 * The disks' I/O limits, then the vCPUs: one QMP session, so no guest I/O ever runs faster than
 * its volume type allows.
 */
async function resumeThrottled(s: QmpSession, spec: VmSpec): Promise<void> {
  for (const [target, throttle] of diskThrottles(spec)) {
    await s.execute('block_set_io_throttle', throttleArguments(target, throttle));
  }
  await s.execute('cont');
  const status = (await s.execute('query-status')) as { status?: string };
  if (status.status !== 'running')
    throw new Error(`QEMU did not resume (status ${String(status.status)})`);
}
