import { invalidParameter, notFound } from '../core/errors.js';
import { CoalescingRunner } from '../core/coalescing-runner.js';
import { assertId, newId } from '../core/ids.js';
import type {
  InstanceNetwork,
  InterfacePlacement,
  LaunchGroups,
  NetworkPort,
} from '../compute/ports.js';
import type { NetworkInterface } from './network-interface.js';
import { ensureDefaultGroup, resolveInterfaceGroups } from './security-group-lookup.js';
import { PublicAddressPool } from './public-address-pool.js';
import { allocateInterfaces } from './interface-allocation.js';
import { VpcRuleRuns } from './vpc-rule-runs.js';
import { subnetDhcpDns } from './subnet-dhcp-dns.js';
import { DEFAULT_SUBNET_CIDR, DEFAULT_VPC_CIDR, type Subnet, type Vpc } from './vpc.js';
import type { Route } from './routing.js';
import type { NetworkDeps } from './network-deps.js';
import { routeState } from './route-plan.js';
import { ensureDefaultVpcRouting } from './vpc-routing.js';

/**
 * The network half of an instance's life. Its records are its own: each instance's interface
 * (ENI: private and public address, MAC) is allocated here, kept until release and read back from
 * here, never from compute's store. plug/unplug/sync make the host match through VpcPlumbing.
 */
export class NetworkService implements InstanceNetwork {
  /** The host's public addresses: who holds which, and the next free one. */
  readonly publicAddresses: PublicAddressPool;
  /**
   * A VPC's ports are made one run at a time, each run from the state of the moment it starts;
   * calls that arrive during a run share the next one (as the rules' runs do).
   */
  private readonly portRuns = new CoalescingRunner<string, ReadonlyMap<string, NetworkPort>>(
    (vpcId, instanceIds) => this.plugVpc(vpcId, instanceIds),
  );
  /** Each VPC's rules and routing, and which VPCs' last apply failed. */
  private readonly rules: VpcRuleRuns;

  constructor(private readonly deps: NetworkDeps) {
    this.publicAddresses = new PublicAddressPool({
      vpcs: deps.vpcs,
      interfaces: deps.interfaces,
      routing: deps.routing,
      publicCidr: deps.settings.publicCidr,
    });
    this.rules = new VpcRuleRuns(deps, this.publicAddresses);
  }

  /** Creates the default VPC and subnet rows if missing (host objects come on first use). */
  ensureDefaultVpc(): Vpc {
    const existing = this.deps.vpcs.list().find((v) => v.isDefault);
    if (existing) {
      ensureDefaultGroup(this.deps.securityGroups, existing);
      ensureDefaultVpcRouting(this.deps.routing, existing);
      return existing;
    }
    const vpc: Vpc = {
      id: newId('vpc'),
      cidr: DEFAULT_VPC_CIDR,
      isDefault: true,
      routerPublicIp: this.publicAddresses.freeAddress(),
    };
    this.deps.vpcs.put(vpc);
    this.deps.subnets.put({
      id: newId('subnet'),
      vpcId: vpc.id,
      cidr: DEFAULT_SUBNET_CIDR,
      isDefault: true,
    });
    ensureDefaultGroup(this.deps.securityGroups, vpc);
    ensureDefaultVpcRouting(this.deps.routing, vpc);
    this.deps.logger.info('created the default VPC', { vpcId: vpc.id, cidr: vpc.cidr });
    return vpc;
  }

  /**
   * One interface per instance in the subnet (the default one when none is named): the first free
   * private address (or the one asked for), a public address from the pool when the subnet maps
   * them or the launch asks for one, a MAC no live interface has, the named security groups (the
   * VPC's default group when none is named). Writes the records (the caller's unit of work makes
   * them atomic with its own).
   */
  allocate(
    instanceIds: readonly string[],
    subnetId?: string,
    groups?: LaunchGroups,
    placement: InterfacePlacement = {},
  ): NetworkInterface[] {
    const subnet = this.resolveSubnet(subnetId);
    const groupIds = resolveInterfaceGroups(
      this.deps.securityGroups,
      this.vpc(subnet.vpcId),
      groups?.ids ?? [],
      groups?.names ?? [],
    );
    return allocateInterfaces(
      { interfaces: this.deps.interfaces, publicAddresses: this.publicAddresses },
      subnet,
      groupIds,
      instanceIds,
      placement,
    );
  }

  /** A free address of the public pool for a new VPC's router (the VPC use-cases call this). */
  freeRouterIp(): string {
    return this.publicAddresses.freeAddress();
  }

  /** Frees the instances' interfaces (terminate, or an undone launch): their addresses return. */
  release(instanceIds: readonly string[]): void {
    for (const id of instanceIds) {
      const eni = this.deps.interfaces.byInstance(id);
      if (eni) this.deps.interfaces.delete(eni.id);
    }
  }

  /**
   * Host plumbing for a batch of instances. Per VPC, once: the router, each subnet's bridge and
   * DHCP (with every reservation of the batch), the ports. The VPC-wide work is not redone for
   * each instance. The rules come with activate().
   */
  async plug(instanceIds: readonly string[]): Promise<ReadonlyMap<string, NetworkPort>> {
    const enis = instanceIds.map((id) => this.publicAddresses.withPublicIp(this.interfaceOf(id)));
    const ports = new Map<string, NetworkPort>();
    const runs = [...groupBy(enis, (e) => e.vpcId)].map(([vpcId, members]) =>
      this.portRuns.run(
        vpcId,
        members.map((m) => m.instanceId),
      ),
    );
    // A run may cover other callers' instances too: each caller takes its own.
    for (const plugged of await Promise.all(runs)) {
      for (const id of instanceIds) {
        const port = plugged.get(id);
        if (port) ports.set(id, port);
      }
    }
    return ports;
  }

  /** One VPC's share of plug() for every caller that joined this run. */
  private async plugVpc(
    vpcId: string,
    instanceIds: readonly string[],
  ): Promise<ReadonlyMap<string, NetworkPort>> {
    const vpc = this.vpc(vpcId);
    await this.deps.plumbing.ensureVpc(vpc);
    const members = [...new Set(instanceIds)].map((id) => this.interfaceOf(id));
    // Every subnet with instances: each one's resolver knows the whole VPC's names.
    const all = this.deps.interfaces.list().filter((e) => e.vpcId === vpcId);
    const subnetIds = new Set([...members, ...all].map((m) => m.subnetId));
    await this.ensureSubnets(
      vpc,
      [...subnetIds].map((id) => this.subnet(id)),
    );
    return this.deps.plumbing.ensurePorts(vpc, members);
  }

  /** The rules of every VPC these instances are in, covering every interface it holds now. */
  async activate(instanceIds: readonly string[]): Promise<void> {
    const vpcIds = new Set(instanceIds.map((id) => this.interfaceOf(id).vpcId));
    for (const vpcId of vpcIds) await this.applyRules(this.vpc(vpcId));
  }

  /**
   * Removes the instances' ports and gives their pool public IPs back (EC2 releases an instance's
   * public IP when it stops; an elastic IP stays). Their DNAT goes with the next rules.
   */
  async unplug(instanceIds: readonly string[]): Promise<void> {
    const enis = instanceIds.flatMap((id) => {
      const eni = this.deps.interfaces.byInstance(id);
      return eni ? [eni] : [];
    });
    for (const eni of enis) {
      if (eni.publicIp) {
        this.deps.interfaces.put({ ...eni, publicIp: undefined, lastPublicIp: eni.publicIp });
      }
    }
    for (const [vpcId, members] of groupBy(enis, (e) => e.vpcId)) {
      await this.deps.plumbing.removePorts(this.vpc(vpcId), members);
      // A route to one of them becomes a blackhole now, whatever compute's record says yet.
      const down = new Set(members.map((m) => m.instanceId));
      if (members.some((m) => m.publicIp) || this.routesTo(vpcId, down)) {
        await this.refreshRules(vpcId, down).catch(() => undefined); // logged; retried by sweeps
      }
      if (members.some((m) => m.publicIp)) {
        await this.refreshNames(vpcId).catch(() => undefined); // the next sync renders them
      }
    }
  }

  /** Ends tracked flows to a public IP in a VPC (after the IP moved away from an instance). */
  async forgetFlows(vpcId: string, publicIp: string): Promise<void> {
    const vpc = this.deps.vpcs.get(vpcId);
    if (vpc) await this.deps.plumbing.forgetFlows?.(vpc, publicIp);
  }

  /** Makes the VPC's host state match the interfaces it holds now (after some came or went). */
  async sync(vpcId: string): Promise<void> {
    const vpc = this.deps.vpcs.get(vpcId);
    if (!vpc) return;
    await this.deps.plumbing.ensureVpc(vpc);
    await this.ensureSubnets(
      vpc,
      this.deps.subnets.list().filter((s) => s.vpcId === vpcId),
    );
    await this.applyRules(vpc);
  }

  /** Where kumod answers this VPC's metadata requests. */
  metadataSocket(vpc: Vpc): string {
    return this.deps.plumbing.metadataSocket(vpc);
  }

  /**
   * Re-renders the subnets of a VPC that has host objects (after its DNS attributes changed);
   * nothing while no instance is in it (they come with the first launch).
   */
  async refreshVpc(vpcId: string): Promise<void> {
    if (!this.deps.interfaces.list().some((e) => e.vpcId === vpcId)) return;
    await this.sync(vpcId);
  }

  /**
   * Re-renders the names the VPC's resolvers serve after public addresses changed (an elastic IP
   * moved, a stop released a pool address): public DNS names follow the address they spell.
   */
  async refreshNames(vpcId: string): Promise<void> {
    const inVpc = this.deps.interfaces.list().filter((e) => e.vpcId === vpcId);
    if (inVpc.length === 0) return;
    const vpc = this.vpc(vpcId);
    const subnetIds = new Set(inVpc.map((e) => e.subnetId));
    await this.ensureSubnets(
      vpc,
      [...subnetIds].map((id) => this.subnet(id)),
    );
  }

  /**
   * Each subnet's bridge and DHCP, rendered from one read of the VPC's interfaces and of the
   * current public addresses (not one per subnet, nor per interface). Whoever changes those
   * afterwards renders again: a launch plugs, a stop or an address move refreshes the names.
   */
  private async ensureSubnets(vpc: Vpc, subnets: readonly Subnet[]): Promise<void> {
    const inVpc = this.deps.interfaces.list().filter((e) => e.vpcId === vpc.id);
    const { domain, publicDomain } = this.deps.settings;
    const current = publicDomain ? this.publicAddresses.currentPublicIps() : undefined;
    const publicNames =
      publicDomain && current
        ? { domain: publicDomain, ipOf: (e: NetworkInterface) => current.get(e.instanceId) }
        : undefined;
    for (const subnet of subnets) {
      const { reservations, dns } = subnetDhcpDns(vpc, subnet, inVpc, domain, publicNames);
      await this.deps.plumbing.ensureSubnet(vpc, subnet, reservations, dns);
    }
  }

  /**
   * Re-applies a VPC's rules after its security groups or interfaces' groups changed; nothing
   * to do while no interface is in it (its namespace may not exist yet).
   */
  async refreshRules(vpcId: string, down: ReadonlySet<string> = new Set()): Promise<void> {
    if (!this.deps.interfaces.list().some((e) => e.vpcId === vpcId)) return;
    await this.applyRules(this.vpc(vpcId), down);
  }

  /** EC2's State of a route now: blackhole for a detached gateway or a stopped or gone instance. */
  routeState(route: Route, vpcId: string): 'active' | 'blackhole' {
    return routeState(route, vpcId, this.rules.routeContext());
  }

  /** Whether a route of the VPC names one of these instances. */
  private routesTo(vpcId: string, instanceIds: ReadonlySet<string>): boolean {
    return this.deps.routing.routeTables
      .list()
      .some(
        (t) =>
          t.vpcId === vpcId &&
          t.routes.some((r) => r.instanceId !== undefined && instanceIds.has(r.instanceId)),
      );
  }

  /** Applies again the rules of every VPC whose last apply failed (a sweep calls this). */
  async retryFailedRules(): Promise<void> {
    for (const vpcId of this.rules.failedVpcIds()) {
      await this.refreshRules(vpcId).catch(() => undefined); // logged by applyRules
    }
  }

  private applyRules(vpc: Vpc, down: ReadonlySet<string> = new Set()): Promise<void> {
    return this.rules.apply(vpc, down);
  }

  private interfaceOf(instanceId: string): NetworkInterface {
    const eni = this.deps.interfaces.byInstance(instanceId);
    if (!eni) {
      throw notFound(
        'InvalidNetworkInterfaceID.NotFound',
        `${instanceId} has no network interface`,
      );
    }
    return eni;
  }

  private vpc(vpcId: string): Vpc {
    const vpc = this.deps.vpcs.get(vpcId);
    if (!vpc) throw notFound('InvalidVpcID.NotFound', `VPC ${vpcId} is gone`);
    return vpc;
  }

  private subnet(subnetId: string): Subnet {
    const subnet = this.deps.subnets.get(subnetId);
    if (!subnet) throw notFound('InvalidSubnetID.NotFound', `Subnet ${subnetId} is gone`);
    return subnet;
  }

  private resolveSubnet(subnetId: string | undefined): Subnet {
    if (subnetId) {
      assertId('subnet', subnetId, 'InvalidSubnetID.Malformed');
      const subnet = this.deps.subnets.get(subnetId);
      if (!subnet)
        throw notFound('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
      return subnet;
    }
    // kumod ensured the default VPC's group and routing at start; only a missing VPC is made here.
    const vpc = this.deps.vpcs.list().find((v) => v.isDefault) ?? this.ensureDefaultVpc();
    const subnet = this.deps.subnets.list().find((s) => s.vpcId === vpc.id && s.isDefault);
    if (!subnet)
      throw invalidParameter(
        'The default VPC has no default subnet; pass --subnet-id',
        'MissingInput',
      );
    return subnet;
  }
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
