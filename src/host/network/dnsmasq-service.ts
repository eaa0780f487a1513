import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../core/logger.js';
import type { SubnetHostSpec } from './specs.js';
import type { CommandRunner } from '../command-runner.js';
import { tailFile, writeAtomic, writeIfChanged } from '../files.js';
import { isSameProcessAlive } from '../proc.js';
import { findHelper, stopProcess, type FoundHelper } from './detached-process.js';
import {
  dnsmasqPaths,
  pruneLeases,
  renderDhcpHosts,
  renderDnsHosts,
  renderDnsmasqConfig,
} from './dnsmasq-config.js';

/**
 * True when every directory from `dir` up to / lets "others" through. dnsmasq reads its hosts
 * file after dropping to an unprivileged user (at start-up and on every SIGHUP), and if it cannot,
 * it only logs and serves no reservation at all.
 */
export async function reachableByOthers(dir: string): Promise<boolean> {
  for (let d = dir; ; d = dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) return false;
    if (d === dirname(d)) return true;
  }
}

const digest = (text: string): string => createHash('sha256').update(text).digest('hex');

/** What the running dnsmasq has loaded, written only after it loaded it. */
interface Loaded {
  readonly conf?: string;
  readonly hosts?: string;
}

/** The recorded state; anything unreadable counts as "nothing known", which forces a restart. */
async function readLoaded(path: string): Promise<Loaded> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Loaded;
  } catch {
    return {};
  }
}

/**
 * What this process last had a subnet's dnsmasq load: with it, a launch that only adds
 * reservations costs a pid check, the changed files and a SIGHUP instead of a full measure.
 */
interface KnownDnsmasq {
  readonly netns: string;
  readonly user: string;
  readonly conf: string;
  readonly dhcpHosts: string;
  readonly dnsHosts: string;
  /** "mac ip" of every reservation it serves. */
  readonly reservations: ReadonlySet<string>;
  readonly pid: number;
  readonly startTime: number;
}

const reservationKeys = (spec: SubnetHostSpec): Set<string> =>
  new Set(spec.reservations.map((r) => `${r.mac.toLowerCase()} ${r.ip}`));

/**
 * Each subnet's dnsmasq, one per run directory. The first ensure in a process measures (files,
 * pid file, /proc); later ones trust what this process did, as long as the same process is still
 * alive and no reservation went away (only a reservation that went can leave a lease that blocks
 * a reused address). Anything else, or any failure, measures again.
 */
export class DnsmasqService {
  private readonly known = new Map<string, KnownDnsmasq>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly o: { user: string; logger: Logger },
  ) {}

  async ensure(spec: SubnetHostSpec): Promise<void> {
    const known = this.known.get(spec.runDir);
    this.known.delete(spec.runDir);
    if (known && (await this.reload(spec, known))) return;
    this.known.set(spec.runDir, await ensureDnsmasq(this.runner, spec, this.o));
  }

  async remove(spec: SubnetHostSpec, netns: string | undefined): Promise<void> {
    this.known.delete(spec.runDir);
    await removeDnsmasq(spec, netns, this.o.logger);
  }

  /** Drops what is known about the namespace's dnsmasqs (a step there failed, or it went). */
  forget(netns: string): void {
    for (const [runDir, k] of this.known) if (k.netns === netns) this.known.delete(runDir);
  }

  /** The quick way, when it applies: false when a full ensure is needed. */
  private async reload(spec: SubnetHostSpec, known: KnownDnsmasq): Promise<boolean> {
    const conf = renderDnsmasqConfig(spec, { user: known.user });
    const reservations = reservationKeys(spec);
    if (
      known.netns !== spec.netns ||
      conf !== known.conf ||
      [...known.reservations].some((r) => !reservations.has(r)) ||
      !(await isSameProcessAlive(known.pid, known.startTime))
    ) {
      return false;
    }
    const dhcpHosts = renderDhcpHosts(spec.reservations);
    const dnsHosts = renderDnsHosts(spec.dns?.records ?? []);
    if (dhcpHosts !== known.dhcpHosts || dnsHosts !== known.dnsHosts) {
      const p = dnsmasqPaths(spec.runDir);
      if (dhcpHosts !== known.dhcpHosts) await writeAtomic(p.hostsFile, dhcpHosts, 0o644);
      if (dnsHosts !== known.dnsHosts) await writeAtomic(p.dnsHostsFile, dnsHosts, 0o644);
      process.kill(known.pid, 'SIGHUP');
      await writeAtomic(p.loadedFile, JSON.stringify(loadedOf(conf, dhcpHosts, dnsHosts)), 0o644);
      this.o.logger.info('dnsmasq reloads reservations', {
        subnetId: spec.subnetId,
        pid: known.pid,
      });
    }
    this.known.set(spec.runDir, { ...known, dhcpHosts, dnsHosts, reservations });
    return true;
  }
}

const loadedOf = (conf: string, dhcpHosts: string, dnsHosts: string): Loaded => ({
  conf: digest(conf),
  // Both files are re-read on SIGHUP: one digest covers them.
  hosts: digest(dhcpHosts + '\0' + dnsHosts),
});

/**
 * Makes one subnet's dnsmasq run with the spec's configuration and reservations. It measures first:
 * a live dnsmasq that loaded exactly these files is left alone; new reservations mean a SIGHUP;
 * a new configuration, or leases that block a reused address, mean a restart. What dnsmasq loaded
 * is recorded only after the signal or start, so a kumod that dies in between redoes the step.
 * Returns what the running dnsmasq now serves.
 */
async function ensureDnsmasq(
  runner: CommandRunner,
  spec: SubnetHostSpec,
  o: { user: string; logger: Logger },
): Promise<KnownDnsmasq> {
  const p = dnsmasqPaths(spec.runDir);
  await mkdir(spec.runDir, { recursive: true, mode: 0o755 });
  await chmod(spec.runDir, 0o755);
  let user = o.user;
  if (user !== 'root' && !(await reachableByOthers(spec.runDir))) {
    // Fail safe rather than fail silent: an unreadable hosts file means no DHCP for anyone.
    o.logger.warn('dnsmasq runs as root: its run directory is not reachable by other users', {
      subnetId: spec.subnetId,
      runDir: spec.runDir,
      wanted: o.user,
    });
    user = 'root';
  }
  const conf = renderDnsmasqConfig(spec, { user });
  const dhcpHosts = renderDhcpHosts(spec.reservations);
  const dnsHosts = renderDnsHosts(spec.dns?.records ?? []);
  await writeIfChanged(p.conf, conf, 0o644);
  await writeIfChanged(p.hostsFile, dhcpHosts, 0o644);
  await writeIfChanged(p.dnsHostsFile, dnsHosts, 0o644);
  const want = loadedOf(conf, dhcpHosts, dnsHosts);
  const loaded = await readLoaded(p.loadedFile);
  const leases = pruneLeases(
    await readFile(p.leaseFile, 'utf8').catch(() => ''),
    spec.reservations,
  );
  const serving = (helper: FoundHelper): KnownDnsmasq => ({
    netns: spec.netns,
    user,
    conf,
    dhcpHosts,
    dnsHosts,
    reservations: reservationKeys(spec),
    pid: helper.pid,
    startTime: helper.startTime,
  });
  const marker = `--conf-file=${p.conf}`;
  let running = await findHelper(p.pidFile, marker, spec.netns);
  if (running && (loaded.conf !== want.conf || leases.dropped > 0)) {
    o.logger.info('restarting dnsmasq', {
      subnetId: spec.subnetId,
      confChanged: loaded.conf !== want.conf,
      leasesDropped: leases.dropped,
    });
    await stopProcess(running.pid);
    running = undefined;
  }
  if (running) {
    if (loaded.hosts !== want.hosts) {
      process.kill(running.pid, 'SIGHUP');
      await writeIfChanged(p.loadedFile, JSON.stringify(want), 0o644);
      o.logger.info('dnsmasq reloads reservations', { subnetId: spec.subnetId, pid: running.pid });
    }
    return serving(running);
  }
  // Only while dnsmasq is stopped: a running one rewrites the file from memory.
  if (leases.dropped > 0) await writeIfChanged(p.leaseFile, leases.text, 0o644);
  // dnsmasq daemonizes itself (its own session, reparented away from kumod) and exits only once
  // the daemon is ready, so configuration errors come back here with its stderr.
  await runner.run('dnsmasq', [marker], { netns: spec.netns });
  const started = await findHelper(p.pidFile, marker, spec.netns);
  if (!started) {
    throw new Error(`dnsmasq for ${spec.subnetId} did not stay up: ${await tailFile(p.logFile)}`);
  }
  await writeIfChanged(p.loadedFile, JSON.stringify(want), 0o644);
  o.logger.info('dnsmasq started', { subnetId: spec.subnetId, pid: started.pid, user });
  return serving(started);
}

/** Stops the subnet's dnsmasq and removes its files; `netns` undefined when it is gone. */
async function removeDnsmasq(
  spec: SubnetHostSpec,
  netns: string | undefined,
  logger: Logger,
): Promise<void> {
  const p = dnsmasqPaths(spec.runDir);
  const running = await findHelper(p.pidFile, `--conf-file=${p.conf}`, netns);
  if (running) {
    await stopProcess(running.pid);
    logger.info('dnsmasq stopped', { subnetId: spec.subnetId, pid: running.pid });
  }
  for (const f of [
    p.conf,
    p.hostsFile,
    p.dnsHostsFile,
    p.leaseFile,
    p.pidFile,
    p.logFile,
    p.loadedFile,
  ]) {
    await rm(f, { force: true });
  }
  // Only our own files went; anything else someone put there keeps the directory.
  await rmdir(spec.runDir).catch(() => undefined);
}
