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
import { planUplinkAddresses } from './uplink-addresses.js';
import { ensureLanAccess, type LanAccessSpec } from './lan-access.js';
import { ipToInt } from '../../core/cidr.js';
import { renderVpcL2Rules } from './vpc-l2-rules.js';
import { renderVpcRules } from './vpc-rules.js';
import {
  parseRoutes,
  parseRules,
  planPolicyRouting,
  type PolicyRoutingSpec,
} from './policy-routing.js';
import {
  egressChain,
  ingressChain,
  isPortChain,
  renderIsolation,
  renderMemberSets,
} from './security-group-rules.js';
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
  /** Per VPC namespace: the public /32s this process last put on the uplink. */
  private readonly uplinkAddressCache = new Map<string, readonly string[]>();
  /** Per VPC namespace: the member sets this process last applied there (set -> addresses). */
  private readonly memberCache = new Map<string, Map<string, ReadonlySet<string>>>();
  /** Per VPC namespace: kumo's per-port chains there (measured once, then known). */
  private readonly portChainCache = new Map<string, ReadonlySet<string>>();
  /**
   * Per VPC namespace: the names of all its links, measured once by ensureTaps and then kept up
   * to date by this process (it makes and deletes the taps). A tap that is not among them is
   * made without measuring again; a batch that fails anyway makes the next call measure.
   */
  private readonly linkNameCache = new Map<string, Set<string>>();
  /** Per VPC namespace: kumo's ipsets there (measured once, then known). */
  private readonly setNameCache = new Map<string, ReadonlySet<string>>();
  /**
   * Per VPC namespace: the routing spec this process last applied in full, every link it routes
   * through present. Applying the same spec again while those links are still known to be there
   * changes nothing, so it is skipped (most launches do not change a VPC's routing).
   */
  private readonly routingCache = new Map<string, string>();

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
        this.guard(netns, () =>
          this.ensureTapsIn(
            netns,
            specs.filter((s) => s.netns === netns),
          ),
        ),
      );
      created.push(...made);
    }
    return created;
  }

  /**
   * One batch that makes the taps, after one listing of the namespace's links: two commands for
   * any number of taps, and one (the batch) once the links are known and none of the taps is
   * among them (a new instance's tap, or a stopped one's whose tap this process deleted). Returns
   * the taps it had to create.
   */
  private async ensureTapsIn(netns: string, specs: readonly TapSpec[]): Promise<string[]> {
    await this.requireNetns(netns);
    const vpc = this.host.in(netns);
    const known = this.linkNameCache.get(netns);
    if (known && specs.every((s) => !known.has(s.tap))) {
      try {
        await vpc.batch(specs.flatMap((s) => tapCommands(s, true)));
        for (const s of specs) known.add(s.tap);
        return specs.map((s) => s.tap);
      } catch (e) {
        // Something made a link behind kumod's back: measure, and make what is missing.
        this.logger.warn('making taps from what kumod knew failed; measuring the links', {
          netns,
          error: String(e),
        });
        this.linkNameCache.delete(netns);
      }
    }
    const links = new Map((await vpc.list()).map((l) => [l.name, l]));
    const commands: string[][] = [];
    const created: string[] = [];
    for (const spec of specs) {
      const tap = links.get(spec.tap);
      if (tap && tap.tunType !== 'tap') {
        throw new Error(`${spec.tap} exists in ${netns} but is not a tap (${tap.kind ?? '?'})`);
      }
      if (!tap) created.push(spec.tap);
      if (!tap || tap.master !== spec.bridge || !tap.up) commands.push(...tapCommands(spec, !tap));
    }
    await vpc.batch(commands);
    this.linkNameCache.set(netns, new Set([...links.keys(), ...created]));
    return created;
  }

  removeTap(spec: TapSpec): Promise<void> {
    assertNetnsName(spec.netns);
    assertInterfaceName(spec.tap, 'instance tap');
    return this.mutex.run(spec.netns, async () => {
      if (!(await netnsExists(this.runner, spec.netns))) return;
      const vpc = this.host.in(spec.netns);
      if (await vpc.show(spec.tap)) await vpc.delete(spec.tap);
      this.linkNameCache.get(spec.netns)?.delete(spec.tap);
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
        const wanted = new Set(
          spec.groups ? spec.ports.flatMap((p) => [ingressChain(p.tap), egressChain(p.tap)]) : [],
        );
        // Without groups (only NAT and anti-spoofing) there are no per-port chains to look for.
        const existing = spec.groups ? await this.portChains(spec.netns) : new Set<string>();
        const staleChains = [...existing].filter((c) => !wanted.has(c));
        const rules = renderVpcRules({ ...spec, staleChains });
        const l2Rules = renderVpcL2Rules(spec);
        // Sets before the rules that name them.
        if (spec.sets) await this.applySets(spec.netns, spec.sets);
        // Two tables, two tools, each one atomic transaction: they do not wait for each other.
        await Promise.all([
          this.runner.run('iptables-restore', ['--noflush'], { netns: spec.netns, input: rules }),
          this.runner.run('ebtables-restore', ['--noflush'], {
            netns: spec.netns,
            input: l2Rules,
          }),
        ]);
        // After the rules, so a new public IP is never local without its DNAT.
        const vpc = this.host.in(spec.netns);
        const plan = planUplinkAddresses(await this.uplinkAddresses(spec), spec.publicIps);
        await vpc.batch([
          ...plan.add.map((a) => ['addr', 'add', a, 'dev', spec.uplinkVpcIf]),
          ...plan.remove.map((a) => ['addr', 'del', a, 'dev', spec.uplinkVpcIf]),
        ]);
        this.uplinkAddressCache.set(
          spec.netns,
          spec.publicIps.map((p) => `${p.publicIp}/32`),
        );
        this.portChainCache.set(spec.netns, wanted);
        if (spec.sets) await this.removeStaleSets(spec.netns, spec.sets);
      }),
    );
  }

  /**
   * Measures kumo's rules and tables and the links in the namespace (three reads), then one
   * `ip -batch` that makes them the spec (policy-routing.ts). Each command has the runner's
   * deadline; `ip -batch` stops at the first failure and the caller fails closed, and the next
   * apply measures again, so a half-applied batch is finished or undone by the retry. Deleting the
   * namespace takes all of it.
   */
  applyVpcRouting(spec: PolicyRoutingSpec): Promise<void> {
    assertNetnsName(spec.netns);
    return this.mutex.run(spec.netns, () =>
      this.guard(spec.netns, async () => {
        await this.requireNetns(spec.netns);
        const netns = spec.netns;
        const key = JSON.stringify(spec);
        const devs = [...new Set(spec.routes.flatMap((r) => (r.dev ? [r.dev] : [])))];
        if (this.routingCache.get(netns) === key && devs.every((d) => this.knownLink(netns, d))) {
          return;
        }
        this.routingCache.delete(netns);
        const [rules, routes, links] = await Promise.all([
          this.runner.run('ip', ['-4', '-j', 'rule', 'show'], { netns }),
          this.runner.run('ip', ['-4', '-j', 'route', 'show', 'table', 'all'], { netns }),
          this.host.in(netns).list(),
        ]);
        const linkNames = new Set(links.map((l) => l.name));
        const commands = planPolicyRouting(spec, {
          rules: parseRules(rules.stdout),
          routes: parseRoutes(routes.stdout),
          links: linkNames,
        });
        await this.host.in(netns).batch(commands);
        // A route through a missing link went in as a blackhole: the same spec must be applied
        // again once the link is there, so only a complete apply is remembered.
        if (devs.every((d) => linkNames.has(d))) this.routingCache.set(netns, key);
      }),
    );
  }

  /** Whether this process made `dev` in the namespace and has not seen it fail since. */
  private knownLink(netns: string, dev: string): boolean {
    return dev === VPC_UPLINK_IF
      ? this.ensured.has(`vpc:${netns}`)
      : this.ensured.has(`bridge:${netns}/${dev}`);
  }

  /** kumo's per-port chains in the namespace's filter table (one iptables-save per process). */
  private async portChains(netns: string): Promise<ReadonlySet<string>> {
    const known = this.portChainCache.get(netns);
    if (known) return known;
    const { stdout } = await this.runner.run('iptables-save', ['-t', 'filter'], { netns });
    const found = new Set(
      stdout
        .split('\n')
        .filter((l) => l.startsWith(':'))
        .map((l) => l.slice(1).split(' ')[0] ?? '')
        .filter(isPortChain),
    );
    this.portChainCache.set(netns, found);
    return found;
  }

  /**
   * Only the member sets (a group's membership changed and nothing else): the rules name the
   * sets, so they stay as they are. Costs the same whatever the groups' sizes once this process
   * knows the sets' contents.
   */
  applyMemberSets(netns: string, sets: readonly MemberSetSpec[]): Promise<void> {
    assertNetnsName(netns);
    return this.mutex.run(netns, () =>
      this.guard(netns, async () => {
        await this.requireNetns(netns);
        await this.applySets(netns, sets);
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
    const text = renderIsolation(ports);
    // The drops sit before any ESTABLISHED accept, so tracked connections stop too.
    return this.mutex.run(netns, async () => {
      this.forget(netns);
      await this.runner.run('iptables-restore', ['--noflush'], { netns, input: text });
    });
  }

  private async applySets(netns: string, sets: readonly MemberSetSpec[]): Promise<void> {
    const previous = this.memberCache.get(netns);
    const text = renderMemberSets(sets, previous);
    if (text) await this.runner.run('ipset', ['-exist', 'restore'], { netns, input: text });
    const next = new Map(previous ?? []);
    for (const s of sets) next.set(s.name, new Set(s.members));
    this.memberCache.set(netns, next);
    const names = this.setNameCache.get(netns);
    if (names) this.setNameCache.set(netns, new Set([...names, ...sets.map((s) => s.name)]));
  }

  /** Sets of groups that are gone (after the rules stopped naming them). */
  private async removeStaleSets(netns: string, sets: readonly MemberSetSpec[]): Promise<void> {
    const wanted = new Set(sets.map((s) => s.name));
    const stale = [...(await this.kumoSetNames(netns))].filter((n) => !wanted.has(n));
    if (stale.length > 0) {
      await this.runner.run('ipset', ['-exist', 'restore'], {
        netns,
        input: stale.map((n) => `destroy ${n}`).join('\n') + '\n',
      });
      const cache = this.memberCache.get(netns);
      for (const n of stale) cache?.delete(n);
    }
    // applySets made every wanted set: kumo's sets there are now exactly these.
    this.setNameCache.set(netns, wanted);
  }

  /** kumo's ipsets in the namespace: one `ipset list -n` per process, then known. */
  private async kumoSetNames(netns: string): Promise<ReadonlySet<string>> {
    const known = this.setNameCache.get(netns);
    if (known) return known;
    const { stdout } = await this.runner.run('ipset', ['list', '-n'], { netns });
    return new Set(
      stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((n) => /^kumo-[0-9a-f]{8,17}(-n)?$/.test(n)),
    );
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
   * The /32s on the VPC's uplink: measured once, then known (kumod is the only one that changes
   * them; any failure in the namespace makes it measure again).
   */
  private async uplinkAddresses(spec: VpcRulesSpec): Promise<readonly string[]> {
    const known = this.uplinkAddressCache.get(spec.netns);
    if (known) return known;
    const uplink = await this.host.in(spec.netns).show(spec.uplinkVpcIf);
    if (!uplink) throw new Error(`${spec.uplinkVpcIf} is missing in ${spec.netns}`);
    return uplink.ipv4;
  }

  /**
   * Runs a full ensure of `key` unless this process already completed one and the namespace is
   * still there (checked on the file system, without a command).
   */
  private async once(key: string, netns: string, ensure: () => Promise<void>): Promise<void> {
    if (this.ensured.has(key) && (await namespaceFileExists(netns))) return;
    this.ensured.delete(key);
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
    this.uplinkAddressCache.delete(netns);
    this.memberCache.delete(netns);
    this.portChainCache.delete(netns);
    this.setNameCache.delete(netns);
    this.routingCache.delete(netns);
    this.linkNameCache.delete(netns);
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

/**
 * The `ip -batch` lines that put a tap on its bridge, up; `create` adds it first. No vnet_hdr
 * flag: QEMU's TUNSETIFF on the persistent tap sets the offloads it wants (vnet_hdr included).
 */
function tapCommands(spec: TapSpec, create: boolean): string[][] {
  return [
    ...(create ? [['tuntap', 'add', 'dev', spec.tap, 'mode', 'tap']] : []),
    ['link', 'set', 'dev', spec.tap, 'master', spec.bridge, 'up'],
  ];
}
