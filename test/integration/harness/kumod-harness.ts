import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { setTimeout as sleep } from 'node:timers/promises';
import { qmpExecute } from '../../../src/host/qemu/qmp-client.js';
import { createNetns, deleteNetnsWithPrefix, inNs, randomTag } from './netns.js';
import { IMAGE_DIR } from './prerequisites.js';

const ROOT = resolve(import.meta.dirname, '../../..');
export { IMAGE_DIR };

/** One JSON line of kumod's log. */
export interface LogEvent {
  readonly time: string;
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** How a kumod that was expected not to start ended. */
export interface FailedStart {
  /** kumod's exit code, or 'still running' if it was still up when the wait ended. */
  readonly exitCode: number | 'still running';
  /** Everything kumod wrote (stdout and stderr). */
  readonly output: string;
}

/** The result of one `kumo` CLI call. */
export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A real kumod inside a throwaway network namespace, with its own state dir and name prefix, so
 * nothing touches the machine's own network and parallel runs cannot collide. `close()` removes
 * everything it made (guests, dnsmasq, proxies, namespaces, cgroups, files), even after failures.
 */
export class KumodHarness {
  readonly tag = randomTag();
  /** Prefix of every host object: the outer netns and kumod's own VPC namespaces. */
  readonly prefix = `kt${this.tag}`;
  readonly ns = `${this.prefix}-host`;
  readonly dir = mkdtempSync(join(tmpdir(), `kumo-it-${this.tag}-`));
  readonly socket = join(this.dir, 'kumo.sock');
  readonly stateDir = join(this.dir, 'state');
  readonly runDir = join(this.dir, 'run');
  readonly logFile = join(this.dir, 'kumod.log');
  private daemon: ReturnType<typeof spawnLogged> | undefined;

  static async start(extraArgs: readonly string[] = []): Promise<KumodHarness> {
    const h = new KumodHarness();
    try {
      await createNetns(h.ns);
      await h.startDaemon(extraArgs);
      return h;
    } catch (e) {
      await h.close();
      throw e;
    }
  }

  async startDaemon(extraArgs: readonly string[] = []): Promise<void> {
    this.daemon = this.spawnDaemon(extraArgs);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.daemon.exitCode !== null) break;
      const r = await this.kumo('describe-host');
      if (r.exitCode === 0) return;
      await sleep(200);
    }
    throw new Error(`kumod did not come up:\n${this.log().slice(-3000)}`);
  }

  /** Stops kumod (SIGTERM, guests keep running) and starts it again with `extraArgs`. */
  async restartDaemon(extraArgs: readonly string[] = []): Promise<void> {
    await this.stopDaemon('SIGTERM');
    await this.startDaemon(extraArgs);
  }

  /**
   * Starts a kumod that is expected to refuse to start, in a throwaway namespace and state dir of
   * its own, and waits up to `timeoutMs` for it to exit. Nothing of it is left afterwards (if it
   * did come up after all, it is killed and reported as 'still running').
   */
  static async startExpectingFailure(
    extraArgs: readonly string[],
    timeoutMs = 30_000,
  ): Promise<FailedStart> {
    const h = new KumodHarness();
    try {
      await createNetns(h.ns);
      const daemon = h.spawnDaemon(extraArgs);
      h.daemon = daemon;
      const exited = await Promise.race([daemon.then(() => true), sleep(timeoutMs, false)]);
      return { exitCode: exited ? (daemon.exitCode ?? -1) : 'still running', output: h.log() };
    } finally {
      await h.close();
    }
  }

  private spawnDaemon(extraArgs: readonly string[]) {
    return spawnLogged(this.logFile, 'nsenter', [
      `--net=/run/netns/${this.ns}`,
      '--',
      process.execPath,
      // Node flags for kumod alone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p" (test/bench/launch-profile.ts).
      ...(process.env.KUMO_KUMOD_NODE_ARGS ?? '').split(' ').filter(Boolean),
      join(ROOT, 'bin/kumod.js'),
      '--socket',
      this.socket,
      '--state-dir',
      this.stateDir,
      '--run-dir',
      this.runDir,
      '--name-prefix',
      this.prefix,
      '--public-cidr',
      '100.80.0.0/24',
      '--image-dir',
      IMAGE_DIR,
      '--stop-timeout',
      '30',
      '--reboot-timeout',
      '30',
      '--log-level',
      'debug',
      // Later flags win: callers override the defaults above.
      ...extraArgs,
    ]);
  }

  /** Whether the kumod this harness started is still running. */
  get daemonRunning(): boolean {
    return this.daemon !== undefined && this.daemon.exitCode === null;
  }

  /** Stops kumod the way an operator would (SIGTERM); guests keep running. */
  async stopDaemon(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (!this.daemon) return;
    this.daemon.kill(signal);
    await this.daemon;
    this.daemon = undefined;
  }

  /** The VPC namespaces kumod made (named with this harness' prefix). */
  async vpcNamespaces(): Promise<string[]> {
    const { stdout } = await execa('ip', ['netns', 'list']);
    return stdout
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n.startsWith(`${this.prefix}-vpc-`));
  }

  /**
   * What to print when a guest cannot be reached: the end of its console (did it get an address?),
   * each VPC namespace's addresses, neighbours, L2 and NAT rules (is the public IP on the uplink,
   * does the router know the guest, may its ARP pass?), each subnet's DHCP reservations and leases,
   * and what kumod logged about the instance and about DHCP.
   */
  async reachDiagnostics(instanceId: string): Promise<string> {
    const parts: string[] = [];
    try {
      const out = (await this.json('get-console-output', '--instance-id', instanceId)).Output;
      parts.push(`console of ${instanceId}, the end:\n${String(out ?? '').slice(-1500)}`);
    } catch (e) {
      parts.push(`console of ${instanceId}: ${String(e)}`);
    }
    parts.push(await this.qemuView(instanceId));
    for (const ns of await this.vpcNamespaces()) {
      for (const args of [
        ['ip', '-br', 'addr'],
        ['ip', 'neigh'],
        ['ebtables-save'],
        ['iptables-save', '-t', 'nat'],
      ]) {
        const r = await execa('nsenter', [`--net=/run/netns/${ns}`, '--', ...args], {
          reject: false,
        });
        parts.push(`${ns}: ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
      }
    }
    for (const f of readdirSync(this.runDir, { recursive: true, encoding: 'utf8' })) {
      if (!/(dhcp-hosts|leases)$/.test(f)) continue;
      try {
        parts.push(`${f}:\n${readFileSync(join(this.runDir, f), 'utf8')}`);
      } catch {
        // A directory, or a file removed meanwhile.
      }
    }
    const about = this.log()
      .split('\n')
      .filter((l) => l.includes(instanceId) || l.includes('dnsmasq'));
    parts.push(`kumod log about ${instanceId} and dnsmasq:\n${about.slice(-60).join('\n')}`);
    return parts.join('\n');
  }

  /**
   * What QEMU says about a guest that does not answer: its run state, where each vCPU is (a guest
   * stuck in its kernel shows the same instruction pointer in two reads), and the end of QEMU's
   * own log. Never throws.
   */
  private async qemuView(instanceId: string): Promise<string> {
    const dir = join(this.stateDir, 'instances', instanceId);
    const qmp = join(dir, 'qmp.sock');
    const hmp = async (command: string): Promise<string> =>
      String(await qmpExecute(qmp, 'human-monitor-command', { 'command-line': command }));
    const parts: string[] = [];
    try {
      parts.push(`query-status: ${JSON.stringify(await qmpExecute(qmp, 'query-status'))}`);
      for (let n = 0; n < 2; n++) {
        parts.push(`info cpus (${n + 1}):\n${await hmp('info cpus')}`);
        const rip = (await hmp('info registers')).split('\n').find((l) => l.includes('RIP='));
        parts.push(`first vCPU: ${rip ?? '?'}`);
        await sleep(1000);
      }
    } catch (e) {
      parts.push(`QMP of ${instanceId}: ${String(e)}`);
    }
    try {
      parts.push(`qemu.log, the end:\n${readFileSync(join(dir, 'qemu.log'), 'utf8').slice(-1500)}`);
    } catch (e) {
      parts.push(`qemu.log: ${String(e)}`);
    }
    return `QEMU's view of ${instanceId}:\n${parts.join('\n')}`;
  }

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** kumod's log as events (lines that are not JSON, such as a crash's stack, are left out). */
  logEvents(): LogEvent[] {
    return this.log()
      .split('\n')
      .flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          return [JSON.parse(line) as LogEvent];
        } catch {
          return [];
        }
      });
  }

  /**
   * Runs the real CLI against this daemon, inside kumod's namespace: the API socket is reachable
   * from anywhere, but `kumo ssh` must reach public IPs there, never through the machine's own
   * network.
   */
  async kumo(...args: string[]): Promise<CliResult> {
    const cli = [process.execPath, join(ROOT, 'bin/kumo.js'), ...args];
    const r = await execa('nsenter', [`--net=/run/netns/${this.ns}`, '--', ...cli], {
      reject: false,
      // Keep output byte-exact: a private key without its final newline does not load.
      stripFinalNewline: false,
      timeout: 600_000,
      env: { KUMO_ENDPOINT: `unix://${this.socket}`, HOME: this.dir },
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /** The CLI's JSON output; throws with stderr on failure. */
  async json<T = any>(...args: string[]): Promise<T> {
    const r = await this.kumo(...args);
    if (r.exitCode !== 0)
      throw new Error(`kumo ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /**
   * The groups a test guest needs to be reached over SSH: the VPC's default group and a group that
   * admits tcp/22 from anywhere (made once per kumod, as scripts/quickstart does). The default
   * group alone admits only its own members, as in EC2.
   */
  async sshGroups(): Promise<string[]> {
    const q = (...args: string[]) => this.json<string | null>(...args);
    const def = await q(
      'describe-security-groups',
      '--group-names',
      'default',
      '--query',
      'SecurityGroups[0].GroupId',
    );
    let ssh = await q(
      'describe-security-groups',
      '--filters',
      'Name=group-name,Values=ssh',
      '--query',
      'SecurityGroups[0].GroupId',
    );
    if (!ssh) {
      ssh = await q(
        'create-security-group',
        '--group-name',
        'ssh',
        '--description',
        'SSH from anywhere',
        '--query',
        'GroupId',
      );
      await this.json(
        'authorize-security-group-ingress',
        '--group-id',
        ssh as string,
        '--protocol',
        'tcp',
        '--port',
        '22',
        '--cidr',
        '0.0.0.0/0',
      );
    }
    return [def as string, ssh as string];
  }

  /** Runs a command in kumod's namespace (where public IPs are reachable). */
  sh(cmd: string, args: readonly string[], timeout = 60_000) {
    return inNs(this.ns, cmd, args, { timeout });
  }

  /**
   * SSH into an address from kumod's namespace; retries every `retryMs` until `untilMs` passes.
   * Benchmarks poll tighter (short connect timeout, short retry) than tests need to.
   */
  async ssh(
    keyFile: string,
    user: string,
    ip: string,
    command: string,
    untilMs = 0,
    { connectTimeoutS = 5, retryMs = 2000 } = {},
  ): Promise<CliResult> {
    const deadline = Date.now() + untilMs;
    for (;;) {
      const r = await this.sh('ssh', [
        '-i',
        keyFile,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        '-o',
        `ConnectTimeout=${connectTimeoutS}`,
        '-o',
        'LogLevel=ERROR',
        `${user}@${ip}`,
        command,
      ]);
      const result = {
        exitCode: r.exitCode ?? -1,
        stdout: String(r.stdout),
        stderr: String(r.stderr),
      };
      if (result.exitCode === 0) return result;
      if (Date.now() > deadline) {
        // A caller that waited for a guest gets the reason it never answered with the failure.
        if (untilMs > 0 && /connect to host/.test(result.stderr))
          result.stderr += `\n${await this.diagnosticsFor(ip)}`;
        return result;
      }
      await sleep(retryMs);
    }
  }

  /** reachDiagnostics for the instance that has `ip` (public or private); never throws. */
  private async diagnosticsFor(ip: string): Promise<string> {
    try {
      for (const filter of ['ip-address', 'private-ip-address']) {
        const id = await this.json<string | null>(
          'describe-instances',
          '--filters',
          `Name=${filter},Values=${ip}`,
          '--query',
          'Reservations[0].Instances[0].InstanceId',
        );
        if (id) return await this.reachDiagnostics(id);
      }
      return `no instance has the address ${ip}`;
    } catch (e) {
      return `no diagnostics for ${ip}: ${String(e)}`;
    }
  }

  /** Pids of QEMU processes this daemon started (from their pid files). */
  qemuPids(): number[] {
    const dir = join(this.stateDir, 'instances');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((id) => this.qemuPid(id) ?? []);
  }

  /** The live QEMU of one instance, from its pid file (undefined if none runs). */
  qemuPid(instanceId: string): number | undefined {
    const f = join(this.stateDir, 'instances', instanceId, 'qemu.pid');
    if (!existsSync(f)) return undefined;
    const pid = Number(readFileSync(f, 'utf8').trim());
    return isLiveProcess(pid) ? pid : undefined;
  }

  /**
   * Every live QEMU on the machine whose command line names this instance, whatever its pid file
   * says: what "no QEMU left" must check.
   */
  qemuProcessesOf(instanceId: string): number[] {
    return readdirSync('/proc')
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .filter((pid) => {
        let cmdline: string;
        try {
          cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        } catch {
          return false; // exited while we looked
        }
        return (
          cmdline.includes('qemu-system') &&
          cmdline.split('\0').includes(`guest=${instanceId},debug-threads=on`) &&
          isLiveProcess(pid)
        );
      });
  }

  /** Live dnsmasq processes this daemon started (from their pid files under the run dir). */
  dnsmasqPids(): number[] {
    return this.pidsUnder(this.runDir).filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dnsmasq') && isLiveProcess(pid)
        );
      } catch {
        return false;
      }
    });
  }

  /** The instance's cgroup directories that exist (v1: under cpu and memory; v2: unified). */
  instanceCgroups(instanceId: string): string[] {
    return ['cpu', 'memory', '']
      .map((ctl) => join('/sys/fs/cgroup', ctl, this.prefix, instanceId))
      .filter((d) => existsSync(d));
  }

  /**
   * What a host reboot leaves behind, without rebooting: kumod, QEMU, dnsmasq and the metadata
   * proxies dead, the VPC namespaces, the public bridge and the cgroups gone, state and disks
   * kept, and a different kernel boot id than the one kumod recorded.
   */
  async simulateHostReboot(): Promise<void> {
    await this.stopDaemon('SIGKILL');
    await this.killAll([...this.qemuPids(), ...this.pidsUnder(this.runDir)]);
    for (const ns of await this.vpcNamespaces()) await execa('ip', ['netns', 'del', ns]);
    await execa('ip', ['-n', this.ns, 'link', 'del', 'kumo-pub'], { reject: false });
    await this.removeCgroups();
    const db = new DatabaseSync(join(this.stateDir, 'kumo.db'));
    try {
      db.exec("UPDATE host_facts SET value = 'a-previous-boot' WHERE key = 'boot-id'");
    } finally {
      db.close();
    }
  }

  async close(): Promise<void> {
    await this.stopDaemon('SIGKILL').catch(() => undefined);
    await this.killAll([...this.qemuPids(), ...this.pidsUnder(this.runDir)]);
    await deleteNetnsWithPrefix(this.prefix);
    await this.removeCgroups();
    await this.unmountAll();
    if (!process.env.KUMO_KEEP_TEST_DIR) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Unmounts what kumod mounted under the test's directory (instance stores), deepest first. */
  private async unmountAll(): Promise<void> {
    const mine = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(`${this.dir}/`))
      .sort((x, y) => y.length - x.length);
    for (const m of mine) await execa('umount', [m], { reject: false });
  }

  /** SIGKILLs the processes and waits until they are gone (or zombies), so their cgroups can go. */
  private async killAll(pids: readonly number[]): Promise<void> {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await eventually('killed processes to exit', () => pids.every((p) => !isLiveProcess(p)), {
      timeoutMs: 10_000,
      intervalMs: 50,
    }).catch(() => undefined);
  }

  private async removeCgroups(): Promise<void> {
    for (const ctl of ['cpu', 'memory', '']) {
      const parent = join('/sys/fs/cgroup', ctl, this.prefix);
      if (!existsSync(parent)) continue;
      for (const child of readdirSync(parent, { withFileTypes: true })) {
        if (child.isDirectory()) await rmdir(join(parent, child.name)).catch(() => undefined);
      }
      await rmdir(parent).catch(() => undefined);
    }
  }

  /** Pids from *.pid files under a directory (dnsmasq, metadata proxies). */
  private pidsUnder(dir: string): number[] {
    if (!existsSync(dir)) return [];
    const out: number[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.pid')) {
          const pid = Number(readFileSync(p, 'utf8').trim());
          if (pid > 1) out.push(pid);
        }
      }
    };
    walk(dir);
    return out;
  }
}

/** Whether a pid is a live process (not gone, not a zombie waiting for its parent). */
export function isLiveProcess(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which may itself hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Polls `check` until it returns something other than undefined/false, and returns that; throws
 * after `timeoutMs` saying what was awaited. The interval only spaces the checks: tests wait for
 * conditions, never for fixed times.
 */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 60_000, intervalMs = 1000 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A background process with both output streams appended to a log file. */
function spawnLogged(logFile: string, cmd: string, args: readonly string[]) {
  const out = { file: logFile, append: true } as const;
  const child = execa(cmd, [...args], { stdout: out, stderr: out, reject: false });
  return Object.assign(child, {
    get exitCode(): number | null {
      return child.exitCode ?? null;
    },
  });
}

export { execa };
