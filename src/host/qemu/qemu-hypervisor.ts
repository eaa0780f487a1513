import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { VmRuntime } from '../../compute/instance.js';
import type { Hypervisor, VmSpec, VmStatus } from '../../compute/ports.js';
import type { Logger } from '../../core/logger.js';
import type { Cgroups } from '../cgroups.js';
import { netnsPath } from '../command-runner.js';
import { keepTail, tailFile } from '../files.js';
import { isSameProcessAlive, processStartTime, sleep } from '../proc.js';
import { qemuArgs, type VmPaths } from './qemu-args.js';
import { qmpExecute, QmpSession } from './qmp-client.js';

export interface QemuHypervisorOptions {
  readonly qemuBinary: string;
  /** Parent directory of the per-instance runtime directories. */
  readonly instancesDir: string;
  readonly runAs?: string | undefined;
  readonly tcgCacheMib: number;
  /** Memory QEMU itself needs beyond guest RAM (counted in the cgroup limit). */
  readonly overheadMib: number;
  readonly cgroups: Cgroups;
  readonly logger: Logger;
}

/**
 * How much of the serial console and QEMU's own log survive a start. QEMU appends to them for the
 * life of the process; trimming at every start keeps a guest that spams its console from growing
 * them across restarts (GetConsoleOutput returns the last 64 KiB).
 */
const LOG_KEEP_BYTES = 256 * 1024;

/** Runs each instance as a detached QEMU process controlled over QMP (survives kumod restarts). */
export class QemuHypervisor implements Hypervisor {
  constructor(private readonly o: QemuHypervisorOptions) {}

  paths(instanceId: string): VmPaths & { dir: string; qemuLog: string } {
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

  async start(spec: VmSpec): Promise<VmRuntime> {
    const p = this.paths(spec.instanceId);
    await mkdir(p.dir, { recursive: true, mode: 0o750 });
    for (const s of [p.qmpSocket, p.qmpEventSocket, p.consoleSocket, p.pidFile])
      await rm(s, { force: true });
    for (const f of [p.consoleLog, p.qemuLog]) await keepTail(f, LOG_KEEP_BYTES);
    const args = qemuArgs(spec, p, { runAs: this.o.runAs, tcgCacheMib: this.o.tcgCacheMib });
    const log = openSync(p.qemuLog, 'a');
    // nsenter execs QEMU in the VPC namespace (where its tap is), so the pid is QEMU's own.
    const child = spawn(
      'nsenter',
      [`--net=${netnsPath(spec.netns)}`, '--', this.o.qemuBinary, ...args],
      {
        detached: true,
        stdio: ['ignore', log, log],
        env: { LC_ALL: 'C', PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
    );
    closeSync(log);
    let exited: string | undefined;
    child.on('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `exit code ${code}`;
    });
    child.on('error', (e) => {
      exited = String(e);
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not spawn ${this.o.qemuBinary}`);
    this.o.logger.info('qemu started', { instanceId: spec.instanceId, pid, netns: spec.netns });

    const deadline = Date.now() + 20_000;
    for (;;) {
      if (exited)
        throw new Error(`QEMU exited during start-up (${exited}): ${await tailFile(p.qemuLog)}`);
      try {
        await qmpExecute(p.qmpSocket, 'query-status');
        break;
      } catch (e) {
        if (Date.now() > deadline) {
          process.kill(pid, 'SIGKILL');
          throw new Error(`QEMU did not answer on QMP within 20 s: ${String(e)}`);
        }
        await sleep(50);
      }
    }
    const startTime = await processStartTime(pid);
    if (startTime === undefined)
      throw new Error(`QEMU (pid ${pid}) vanished during start-up: ${await tailFile(p.qemuLog)}`);
    await this.o.cgroups.place(spec.instanceId, pid, {
      vcpus: spec.vcpus,
      memoryMib:
        spec.memoryMib + this.o.overheadMib + (spec.accel === 'tcg' ? this.o.tcgCacheMib : 0),
    });
    return { pid, startTime, qmpSocket: p.qmpSocket };
  }

  async inspect(rt: VmRuntime): Promise<VmStatus> {
    if (!(await isSameProcessAlive(rt.pid, rt.startTime))) return 'gone';
    try {
      const r = (await qmpExecute(rt.qmpSocket, 'query-status')) as { status?: string };
      if (r.status === 'running') return 'running';
      if (r.status === 'shutdown') return 'guest-shutdown';
      return 'paused';
    } catch (e) {
      // A busy QMP socket or a process between checks: the process is there, call it running.
      if (!(await isSameProcessAlive(rt.pid, rt.startTime))) return 'gone';
      this.o.logger.debug('QMP query-status failed', { pid: rt.pid, error: String(e) });
      return 'running';
    }
  }

  async powerDown(rt: VmRuntime): Promise<void> {
    await qmpExecute(rt.qmpSocket, 'system_powerdown');
  }

  async reboot(rt: VmRuntime, softTimeoutMs: number): Promise<void> {
    const eventSocket = rt.qmpSocket.replace(/qmp\.sock$/, 'qmp-events.sock');
    const events = await QmpSession.open(eventSocket);
    try {
      await qmpExecute(rt.qmpSocket, 'send-key', {
        keys: [
          { type: 'qcode', data: 'ctrl' },
          { type: 'qcode', data: 'alt' },
          { type: 'qcode', data: 'delete' },
        ],
      });
      const reset = await events.waitEvent('RESET', softTimeoutMs);
      if (!reset) {
        this.o.logger.warn('guest ignored the soft reboot; resetting it', { pid: rt.pid });
        await qmpExecute(rt.qmpSocket, 'system_reset');
      }
    } finally {
      events.close();
    }
  }

  async kill(rt: VmRuntime): Promise<void> {
    const instanceId = rt.qmpSocket.split('/').at(-2) ?? '';
    if (await isSameProcessAlive(rt.pid, rt.startTime)) {
      await qmpExecute(rt.qmpSocket, 'quit').catch(() => undefined);
      for (let i = 0; i < 50 && (await isSameProcessAlive(rt.pid, rt.startTime)); i++)
        await sleep(100);
      if (await isSameProcessAlive(rt.pid, rt.startTime)) {
        process.kill(rt.pid, 'SIGKILL');
        for (let i = 0; i < 50 && (await isSameProcessAlive(rt.pid, rt.startTime)); i++)
          await sleep(100);
      }
    }
    await this.o.cgroups.remove(instanceId);
  }

  async consoleOutput(instanceId: string, maxBytes: number): Promise<string> {
    return tailFile(this.paths(instanceId).consoleLog, maxBytes);
  }

  async removeArtifacts(instanceId: string): Promise<void> {
    await rm(this.paths(instanceId).dir, { recursive: true, force: true });
  }

  /** The pid QEMU wrote, for adoption checks and tests. */
  async pidFromFile(instanceId: string): Promise<number | undefined> {
    const text = await readFile(this.paths(instanceId).pidFile, 'utf8').catch(() => '');
    return text ? Number(text.trim()) : undefined;
  }
}
