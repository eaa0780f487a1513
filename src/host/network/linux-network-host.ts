import { KeyedMutex } from '../../core/keyed-mutex.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type {
  NetworkHost,
  PublicBridgeSpec,
  SubnetHostSpec,
  MemberSetSpec,
  PortRulesSpec,
  TapSpec,
  VpcHostSpec,
  VpcRulesSpec,
} from './specs.js';
import type { CommandRunner } from '../command-runner.js';
import { DnsmasqService } from './dnsmasq-service.js';
import { ensureBridge, IpLinks } from './ip-link.js';
import { MetadataProxies } from './metadata-proxy-launcher.js';
import { assertInterfaceName, assertNetnsName, VPC_UPLINK_IF } from './names.js';
import { ensureLanAccess, type LanAccessSpec } from './lan-access.js';
import { ipToInt } from '../../core/cidr.js';
import type { PolicyRoutingSpec } from './policy-routing.js';
import { VpcFirewall } from './vpc-firewall.js';
import { VpcPolicyRouting } from './vpc-policy-routing.js';
import { VpcTaps } from './vpc-taps.js';
import {
  ensureNamespace,
  ensureUplink,
  namespaceFileExists,
  netnsExists,
  stopProcessesIn,
} from './vpc-namespace.js';

export interface LinuxNetworkHostOptions {
  /** argv that runs the metadata proxy program, e.g. [node, ".../metadata-proxy.js"]. */
  readonly metadataProxyCommand: readonly string[];
  readonly logger?: Logger;
  /**
   * The namespace that plays "kumod's namespace" (public bridge, host-side veths). Undefined: the
   * namespace kumod runs in. Tests name a throwaway one so the machine's own stays untouched.
   */
  readonly hostNetns?: string;
  /** The user dnsmasq drops to (default "nobody"). */
  readonly dnsmasqUser?: string;
}

/**
 * NetworkHost on Linux: a VPC is a named network namespace with a veth uplink onto the public
 * bridge, each subnet a bridge plus one dnsmasq in it, each instance a tap on its subnet's bridge,
 * and the VPC's NAT and anti-spoofing one iptables-restore transaction. Every step measures before
 * it acts and may be repeated; steps on one namespace never interleave.
 */
export class LinuxNetworkHost implements NetworkHost {
  private readonly logger: Logger;
  private readonly host: IpLinks;
  private readonly mutex = new KeyedMutex();
  /** Each subnet's dnsmasq, and what this process last had it load. */
  private readonly dnsmasq: DnsmasqService;
  private readonly proxies: MetadataProxies;
  private brNetfilterLoaded = false;
  /**
   * What this process has fully ensured (VPC namespaces, subnet bridges): a later ensure of the
   * same object checks only that its namespace still exists instead of re-measuring every link
   * with a dozen commands. Dropped when a step on it fails or it is removed; empty at start-up,
   * so a restarted kumod measures everything once.
   */
  private readonly ensured = new Set<string>();
  /** Each VPC's rules, member sets and uplink addresses, and what this process last applied. */
  private readonly firewall: VpcFirewall;
  /** Each VPC router's policy routing, and the spec this process last applied in full. */
  private readonly routing: VpcPolicyRouting;
  /** The instances' taps, and each namespace's link names once listed. */
  private readonly taps: VpcTaps;

  constructor(
    private readonly runner: CommandRunner,
    private readonly o: LinuxNetworkHostOptions,
  ) {
    this.logger = o.logger ?? silentLogger;
    if (o.hostNetns !== undefined) assertNetnsName(o.hostNetns);
    this.host = new IpLinks(runner, o.hostNetns);
    this.dnsmasq = new DnsmasqService(runner, {
      user: o.dnsmasqUser ?? 'nobody',
      logger: this.logger,
    });
    this.proxies = new MetadataProxies(runner, o.metadataProxyCommand, this.logger);
    this.firewall = new VpcFirewall(runner, this.host);
    this.routing = new VpcPolicyRouting(runner, this.host);
    this.taps = new VpcTaps(this.host, this.logger);
  }

  ensurePublicBridge(spec: PublicBridgeSpec): Promise<void> {
    assertInterfaceName(spec.bridge, 'public bridge');
    return this.mutex.run(`bridge:${spec.bridge}`, () =>
      // kumod's namespace belongs to the operator: no iptables hook on this bridge.
      ensureBridge(this.host, spec.bridge, spec.hostAddress, { nfCallIptables: false }),
    );
  }

  ensureVpc(spec: VpcHostSpec): Promise<void> {
    assertNetnsName(spec.netns);
    assertInterfaceName(spec.publicBridge, 'public bridge');
    assertInterfaceName(spec.uplinkHostIf, 'host-side uplink');
    assertInterfaceName(spec.uplinkVpcIf, 'VPC uplink');
    return this.mutex.run(spec.netns, async () => {
      await this.once(`vpc:${spec.netns}`, spec.netns, async () => {
        await this.loadBrNetfilter();
        await ensureNamespace(this.runner, spec);
        await ensureUplink(this.host, spec);
      });
      // The proxy is a process that can die at any time; checking it costs no command.
      await this.guard(spec.netns, () => this.proxies.ensure(spec));
    });
  }

  removeVpc(spec: VpcHostSpec): Promise<void> {
    assertNetnsName(spec.netns);
    assertInterfaceName(spec.uplinkHostIf, 'host-side uplink');
    return this.mutex.run(spec.netns, async () => {
      this.forget(spec.netns);
      const exists = await netnsExists(this.runner, spec.netns);
      await this.proxies.stop(spec, exists ? spec.netns : undefined);
      if (exists) await stopProcessesIn(this.runner, spec.netns, this.logger);
      // Deleting one end of a veth deletes both; done first so the pair goes even if the
      // namespace were kept alive by something we could not stop.
      if (await this.host.show(spec.uplinkHostIf)) await this.host.delete(spec.uplinkHostIf);
      if (exists) await this.runner.run('ip', ['netns', 'del', spec.netns]);
      this.logger.info('VPC namespace removed', { vpcId: spec.vpcId, netns: spec.netns });
    });
  }

  ensureSubnet(spec: SubnetHostSpec): Promise<void> {
    assertNetnsName(spec.netns);
    assertInterfaceName(spec.bridge, 'subnet bridge');
    return this.mutex.run(spec.netns, async () => {
      await this.once(`bridge:${spec.netns}/${spec.bridge}`, spec.netns, async () => {
        await this.requireNetns(spec.netns);
        await ensureBridge(this.host.in(spec.netns), spec.bridge, spec.gatewayAddress, {
          nfCallIptables: true,
        });
      });
      // dnsmasq measures itself from files and /proc (no commands), and reservations change.
      await this.dnsmasq.ensure(spec);
    });
  }

  removeSubnet(spec: SubnetHostSpec): Promise<void> {
    assertNetnsName(spec.netns);
    assertInterfaceName(spec.bridge, 'subnet bridge');
    return this.mutex.run(spec.netns, async () => {
      this.ensured.delete(`bridge:${spec.netns}/${spec.bridge}`);
      const exists = await netnsExists(this.runner, spec.netns);
      await this.dnsmasq.remove(spec, exists ? spec.netns : undefined);
      const vpc = this.host.in(spec.netns);
      if (exists && (await vpc.show(spec.bridge))) await vpc.delete(spec.bridge);
    });
  }

  async ensureTaps(specs: readonly TapSpec[]): Promise<string[]> {
    const created: string[] = [];
    for (const spec of specs) {
      assertNetnsName(spec.netns);
      assertInterfaceName(spec.tap, 'instance tap');
      assertInterfaceName(spec.bridge, 'subnet bridge');
    }
    for (const netns of new Set(specs.map((s) => s.netns))) {
      const made = await this.mutex.run(netns, () =>
        this.guard(netns, async () => {
          await this.requireNetns(netns);
          return this.taps.ensure(
            netns,
            specs.filter((s) => s.netns === netns),
          );
        }),
      );
      created.push(...made);
    }
    return created;
  }

  removeTap(spec: TapSpec): Promise<void> {
    assertNetnsName(spec.netns);
    assertInterfaceName(spec.tap, 'instance tap');
    return this.mutex.run(spec.netns, async () => {
      if (await netnsExists(this.runner, spec.netns)) await this.taps.remove(spec);
    });
  }

  async applyVpcRules(given: VpcRulesSpec): Promise<void> {
    assertNetnsName(given.netns);
    // The host is no guest's neighbour: all of its own addresses are closed to guests.
    const spec =
      given.groups && !given.allowHostAccess
        ? {
            ...given,
            hostAddresses: [
              ...new Set([...(given.hostAddresses ?? []), ...(await this.ownAddresses())]),
            ],
          }
        : given;
    return this.mutex.run(spec.netns, () =>
      this.guard(spec.netns, async () => {
        await this.requireNetns(spec.netns);
        await this.firewall.apply(spec);
      }),
    );
  }

  applyVpcRouting(spec: PolicyRoutingSpec): Promise<void> {
    assertNetnsName(spec.netns);
    return this.mutex.run(spec.netns, () =>
      this.guard(spec.netns, async () => {
        await this.requireNetns(spec.netns);
        await this.routing.apply(spec, (dev) => this.knownLink(spec.netns, dev));
      }),
    );
  }

  /** Whether this process made `dev` in the namespace and has not seen it fail since. */
  private knownLink(netns: string, dev: string): boolean {
    return dev === VPC_UPLINK_IF
      ? this.ensured.has(`vpc:${netns}`)
      : this.ensured.has(`bridge:${netns}/${dev}`);
  }

  applyMemberSets(netns: string, sets: readonly MemberSetSpec[]): Promise<void> {
    assertNetnsName(netns);
    return this.mutex.run(netns, () =>
      this.guard(netns, async () => {
        await this.requireNetns(netns);
        await this.firewall.applySets(netns, sets);
      }),
    );
  }

  forgetFlows(netns: string, publicIp: string, publicBridge: string): Promise<void> {
    assertNetnsName(netns);
    assertInterfaceName(publicBridge, 'public bridge');
    ipToInt(publicIp);
    return this.mutex.run(netns, async () => {
      if (!(await namespaceFileExists(netns))) return;
      // Exit 1: no flow matched.
      await this.runner.run('conntrack', ['-D', '-d', publicIp], { netns, okExitCodes: [1] });
      await this.host.batch([['neigh', 'flush', 'to', publicIp, 'dev', publicBridge]]);
    });
  }

  ensureLanAccess(spec: LanAccessSpec): Promise<void> {
    return this.mutex.run('lan-access', () => ensureLanAccess(this.runner, this.o.hostNetns, spec));
  }

  isolatePorts(netns: string, ports: readonly PortRulesSpec[]): Promise<void> {
    assertNetnsName(netns);
    return this.mutex.run(netns, async () => {
      this.forget(netns);
      await this.firewall.isolate(netns, ports);
    });
  }

  /** The IPv4 addresses of kumod's namespace, measured once per process. */
  private async ownAddresses(): Promise<readonly string[]> {
    if (!this.ownAddressCache) {
      const links = await this.host.list();
      this.ownAddressCache = links.flatMap((l) => l.ipv4.map((a) => a.split('/')[0] as string));
    }
    return this.ownAddressCache;
  }
  private ownAddressCache: readonly string[] | undefined;

  /**
   * Runs a full ensure of `key` unless this process already completed one and the namespace is
   * still there (checked on the file system, without a command).
   */
  private async once(key: string, netns: string, ensure: () => Promise<void>): Promise<void> {
    if (this.ensured.has(key)) {
      if (await namespaceFileExists(netns)) return;
      // The namespace went behind kumod's back: nothing this process knew of it holds any more
      // (its bridges, links, rules, sets; its dnsmasq and proxy may live on in the old one).
      this.forget(netns);
    }
    await this.guard(netns, ensure);
    this.ensured.add(key);
  }

  /** Any failure in a namespace makes the next call re-measure everything in it. */
  private async guard<T>(netns: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      this.forget(netns);
      throw e;
    }
  }

  private forget(netns: string): void {
    this.dnsmasq.forget(netns);
    this.proxies.forget(netns);
    this.firewall.forget(netns);
    this.routing.forget(netns);
    this.taps.forget(netns);
    for (const key of [...this.ensured]) {
      if (key === `vpc:${netns}` || key.startsWith(`bridge:${netns}/`)) this.ensured.delete(key);
    }
  }

  /**
   * A clear error instead of ip's when the namespace is missing. Skipped while this process's
   * ensureVpc of it stands: every launch's plug runs ensureVpc first, which checks the namespace,
   * and any failure in the namespace drops it, so a launch's taps and rules would only stat the
   * same file again (a namespace deleted by hand in between fails their command instead).
   */
  private async requireNetns(netns: string): Promise<void> {
    if (this.ensured.has(`vpc:${netns}`)) return;
    if (!(await namespaceFileExists(netns))) {
      throw new Error(`VPC namespace ${netns} does not exist (ensureVpc must run first)`);
    }
  }

  /** br_netfilter makes bridged frames visible to iptables; it may be built in (then this fails). */
  private async loadBrNetfilter(): Promise<void> {
    if (this.brNetfilterLoaded) return;
    try {
      await this.runner.run('modprobe', ['br_netfilter']);
    } catch (e) {
      this.logger.debug('modprobe br_netfilter failed (fine if built in)', { error: String(e) });
    }
    this.brNetfilterLoaded = true;
  }
}
