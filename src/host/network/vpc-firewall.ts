import type { CommandRunner } from '../command-runner.js';
import type { IpLinks } from './ip-link.js';
import type { MemberSetSpec, PortRulesSpec, VpcRulesSpec } from './specs.js';
import { planUplinkAddresses } from './uplink-addresses.js';
import { renderVpcL2Rules } from './vpc-l2-rules.js';
import { renderVpcRules } from './vpc-rules.js';
import {
  egressChain,
  ingressChain,
  isPortChain,
  renderIsolation,
  renderMemberSets,
} from './security-group-rules.js';

/**
 * A VPC namespace's filtering: the iptables and ebtables rules, the ipsets of group members and
 * the public /32s on the uplink. What it last applied in each namespace is kept, so a launch
 * measures nothing it already knows; forget(netns) makes the next call measure again. The caller
 * serialises calls per namespace and checks that the namespace exists.
 */
export class VpcFirewall {
  /** Per VPC namespace: the public /32s this process last put on the uplink. */
  private readonly uplinkAddressCache = new Map<string, readonly string[]>();
  /** Per VPC namespace: the member sets this process last applied there (set -> addresses). */
  private readonly memberCache = new Map<string, Map<string, ReadonlySet<string>>>();
  /** Per VPC namespace: kumo's per-port chains there (measured once, then known). */
  private readonly portChainCache = new Map<string, ReadonlySet<string>>();
  /** Per VPC namespace: kumo's ipsets there (measured once, then known). */
  private readonly setNameCache = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly runner: CommandRunner,
    private readonly host: IpLinks,
  ) {}

  /** The rules, sets and uplink addresses exactly as `spec` says, stale chains and sets gone. */
  async apply(spec: VpcRulesSpec): Promise<void> {
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
      this.runner.run('ebtables-restore', ['--noflush'], { netns: spec.netns, input: l2Rules }),
    ]);
    // After the rules, so a new public IP is never local without its DNAT.
    const plan = planUplinkAddresses(await this.uplinkAddresses(spec), spec.publicIps);
    await this.host
      .in(spec.netns)
      .batch([
        ...plan.add.map((a) => ['addr', 'add', a, 'dev', spec.uplinkVpcIf]),
        ...plan.remove.map((a) => ['addr', 'del', a, 'dev', spec.uplinkVpcIf]),
      ]);
    this.uplinkAddressCache.set(
      spec.netns,
      spec.publicIps.map((p) => `${p.publicIp}/32`),
    );
    this.portChainCache.set(spec.netns, wanted);
    if (spec.sets) await this.removeStaleSets(spec.netns, spec.sets);
  }

  /**
   * Only the member sets (a group's membership changed and nothing else): the rules name the
   * sets, so they stay as they are. Costs the same whatever the groups' sizes once this process
   * knows the sets' contents.
   */
  async applySets(netns: string, sets: readonly MemberSetSpec[]): Promise<void> {
    const previous = this.memberCache.get(netns);
    const text = renderMemberSets(sets, previous);
    if (text) await this.runner.run('ipset', ['-exist', 'restore'], { netns, input: text });
    const next = new Map(previous ?? []);
    for (const s of sets) next.set(s.name, new Set(s.members));
    this.memberCache.set(netns, next);
    const names = this.setNameCache.get(netns);
    if (names) this.setNameCache.set(netns, new Set([...names, ...sets.map((s) => s.name)]));
  }

  /** Drops everything to and from these ports; the caller forgets the namespace first. */
  async isolate(netns: string, ports: readonly PortRulesSpec[]): Promise<void> {
    // The drops sit before any ESTABLISHED accept, so tracked connections stop too.
    await this.runner.run('iptables-restore', ['--noflush'], {
      netns,
      input: renderIsolation(ports),
    });
  }

  forget(netns: string): void {
    this.uplinkAddressCache.delete(netns);
    this.memberCache.delete(netns);
    this.portChainCache.delete(netns);
    this.setNameCache.delete(netns);
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
}
