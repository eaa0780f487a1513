import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createNetns, deleteNetnsWithPrefix, inNs, randomTag } from './netns.js';

const ROOT = resolve(import.meta.dirname, '../../..');
export const IMAGE_DIR = process.env.KUMO_IMAGE_DIR ?? '/var/cache/kumo/images/kumo-tiny';

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
    this.daemon = spawnLogged(this.logFile, 'nsenter', [
      `--net=/run/netns/${this.ns}`,
      '--',
      process.execPath,
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
      ...extraArgs,
    ]);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.daemon.exitCode !== null) break;
      const r = await this.kumo('describe-host');
      if (r.exitCode === 0) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`kumod did not come up:\n${this.log().slice(-3000)}`);
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

  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
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
      if (result.exitCode === 0 || Date.now() > deadline) return result;
      await new Promise((res) => setTimeout(res, retryMs));
    }
  }

  /** Pids of QEMU processes this daemon started (from their pid files). */
  qemuPids(): number[] {
    const dir = join(this.stateDir, 'instances');
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((id) => {
      const f = join(dir, id, 'qemu.pid');
      if (!existsSync(f)) return [];
      const pid = Number(readFileSync(f, 'utf8').trim());
      return existsSync(`/proc/${pid}`) &&
        !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')
        ? [pid]
        : [];
    });
  }

  /**
   * What a host reboot leaves behind, without rebooting: kumod, QEMU, dnsmasq and the metadata
   * proxies dead, the VPC namespaces, the public bridge and the cgroups gone, state and disks
   * kept, and a different kernel boot id than the one kumod recorded.
   */
  async simulateHostReboot(): Promise<void> {
    await this.stopDaemon('SIGKILL');
    this.killAll([...this.qemuPids(), ...this.pidsUnder(this.runDir)]);
    await new Promise((r) => setTimeout(r, 300));
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
    this.killAll([...this.qemuPids(), ...this.pidsUnder(this.runDir)]);
    await new Promise((r) => setTimeout(r, 300));
    await deleteNetnsWithPrefix(this.prefix);
    await this.removeCgroups();
    if (!process.env.KUMO_KEEP_TEST_DIR) rmSync(this.dir, { recursive: true, force: true });
  }

  private killAll(pids: readonly number[]): void {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
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
