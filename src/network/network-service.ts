import { firstFreeAddress, parseCidr } from '../core/cidr.js';
import { invalidParameter, notFound, KumoError } from '../core/errors.js';
import { CoalescingRunner } from '../core/coalescing-runner.js';
import { assertId, newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type {
  InstanceNetwork,
  InterfacePlacement,
  LaunchGroups,
  NetworkPort,
} from '../compute/ports.js';
import { instanceMac } from './naming.js';
import type { NetworkInterface } from './network-interface.js';
import type {
  NetworkInterfaceRepository,
  RoutingRepositories,
  SecurityGroupRepository,
  SubnetRepository,
  VpcPlumbing,
  VpcRepository,
} from './ports.js';
import {
  defaultGroupId,
  ensureDefaultGroup,
  resolveInterfaceGroups,
} from './security-group-lookup.js';
import { checkPrivateIp } from './subnet-addresses.js';
import { PublicAddressPool } from './public-address-pool.js';
import { subnetDhcpDns } from './subnet-dhcp-dns.js';
import {
  DEFAULT_SUBNET_CIDR,
  DEFAULT_VPC_CIDR,
  mapPublicIpOnLaunch,
  RESERVED_LEADING,
  type Subnet,
  type Vpc,
} from './vpc.js';
import { hasInternetRoute, type Route } from './routing.js';
import { planVpcRouting, routeState, type RouteStateContext } from './route-plan.js';
import { ensureDefaultVpcRouting } from './vpc-routing.js';

export interface NetworkSettings {
  /** The host's public-IP pool, e.g. "100.80.0.0/24"; .0 and .1 (the host) are never handed out. */
  readonly publicCidr: string;
  /** The domain of private DNS names (and of DHCP). */
  readonly domain: string;
  /** The domain of public DNS names, which resolve to private addresses inside the VPC. */
  readonly publicDomain?: string | undefined;
}

export interface NetworkDeps {
  readonly vpcs: VpcRepository;
  readonly subnets: SubnetRepository;
  readonly interfaces: NetworkInterfaceRepository;
  readonly securityGroups: SecurityGroupRepository;
  /** Internet gateways, route tables and elastic IPs (who is reachable on which address). */
  readonly routing: RoutingRepositories;
  readonly plumbing: VpcPlumbing;
  readonly logger: Logger;
  readonly settings: NetworkSettings;
  /**
   * An instance's state name (compute's record); a route to an instance that is not pending or
   * running is a blackhole (EC2). Undefined: every instance with an interface counts as running.
   */
  readonly instanceState?: (instanceId: string) => string | undefined;
}

/**
 * The network half of an instance's life. Its records are its own: each instance's interface
 * (ENI: private and public address, MAC) is allocated here, kept until release and read back from
 * here, never from compute's store. plug/unplug/sync make the host match through VpcPlumbing.
 */
export class NetworkService implements InstanceNetwork {
  /** The host's public addresses: who holds which, and the next free one. */
  readonly publicAddresses: PublicAddressPool;
  /**
   * A VPC's ports, and its rules, are made one run at a time, each run from the state of the
   * moment it starts; calls that arrive during a run share the next one (five concurrent launches
   * into one VPC cost two runs, not five one after the other). A rules run's items are the
   * instances being taken down (their routes are blackholes whatever compute's record says yet).
   */
  private readonly portRuns = new CoalescingRunner<string, ReadonlyMap<string, NetworkPort>>(
    (vpcId, instanceIds) => this.plugVpc(vpcId, instanceIds),
  );
  private readonly ruleRuns = new CoalescingRunner<string, void>((vpcId, down) =>
    this.renderAndApplyRules(vpcId, new Set(down)),
  );
  /** VPCs whose last rule apply failed: isolated until an apply succeeds (retried by sweeps). */
  private readonly failedRules = new Set<string>();

  constructor(private readonly deps: NetworkDeps) {
    this.publicAddresses = new PublicAddressPool({
      vpcs: deps.vpcs,
      interfaces: deps.interfaces,
      routing: deps.routing,
      publicCidr: deps.settings.publicCidr,
    });
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
    const live = this.deps.interfaces.list();
    const usedPrivate = new Set(
      live.filter((e) => e.subnetId === subnet.id).map((e) => e.privateIp),
    );
    const fixed =
      placement.privateIp !== undefined
        ? checkPrivateIp(subnet, placement.privateIp, usedPrivate, instanceIds.length)
        : undefined;
    // Allocating nothing only checks the subnet, the groups and the address (a launch's pre-check).
    if (instanceIds.length === 0) return [];
    // The one place that decides whether a launch gets a public IP (EC2: the subnet's
    // MapPublicIpOnLaunch, overridden by the launch's AssociatePublicIpAddress). Elastic IPs,
    // held by the routing records, are never handed out again.
    const assignPublicIp = placement.associatePublicIp ?? mapPublicIpOnLaunch(subnet);
    const cidr = parseCidr(subnet.cidr);
    const usedPublic = this.publicAddresses.used();
    const usedMacs = new Set(live.map((e) => e.mac));
    return instanceIds.map((instanceId) => {
      const privateIp = fixed ?? firstFreeAddress(cidr, usedPrivate, RESERVED_LEADING);
      if (!privateIp) {
        throw new KumoError(
          'ResourceExhausted',
          'InsufficientFreeAddressesInSubnet',
          `Subnet ${subnet.id} (${subnet.cidr}) has no free addresses left for ${instanceIds.length} instance(s); launch fewer instances or use another subnet`,
        );
      }
      usedPrivate.add(privateIp);
      const publicIp = assignPublicIp ? this.publicAddresses.free(usedPublic) : undefined;
      if (publicIp) usedPublic.add(publicIp);
      let mac = instanceMac(instanceId);
      while (usedMacs.has(mac)) mac = instanceMac(newId('i'));
      usedMacs.add(mac);
      const eni: NetworkInterface = {
        id: newId('eni'),
        instanceId,
        vpcId: subnet.vpcId,
        subnetId: subnet.id,
        privateIp,
        publicIp,
        assignPublicIp,
        mac,
        groupIds,
        sourceDestCheck: true,
      };
      this.deps.interfaces.put(eni);
      return eni;
    });
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
    return routeState(route, vpcId, this.routeContext());
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

  /** What routes' states depend on, read now; `down`: instances being taken down. */
  private routeContext(down: ReadonlySet<string> = new Set()): RouteStateContext {
    const interfaces = new Map(this.deps.interfaces.list().map((e) => [e.instanceId, e]));
    return {
      gateways: this.deps.routing.gateways.list(),
      interfaceOf: (id) => interfaces.get(id),
      instanceUp: (id) => {
        if (down.has(id)) return false;
        const state = this.deps.instanceState?.(id) ?? 'running';
        return state === 'pending' || state === 'running';
      },
    };
  }

  /** Applies again the rules of every VPC whose last apply failed (a sweep calls this). */
  async retryFailedRules(): Promise<void> {
    for (const vpcId of [...this.failedRules]) {
      await this.refreshRules(vpcId).catch(() => undefined); // logged by applyRules
    }
  }

  /** The VPC's rules and routing, from the state of the moment the run starts (ruleRuns). */
  private applyRules(vpc: Vpc, down: ReadonlySet<string> = new Set()): Promise<void> {
    return this.ruleRuns.run(vpc.id, [...down]);
  }

  /**
   * Renders from the state of this moment and applies in one transaction, then makes the router's
   * routing match the route tables. Fails closed: if either apply fails, every interface of the
   * VPC is isolated (all its traffic dropped) until an apply succeeds, and the callers get the
   * error.
   */
  private async renderAndApplyRules(vpcId: string, down: ReadonlySet<string>): Promise<void> {
    // A VPC deleted while this run waited has no namespace left to apply to.
    const vpc = this.deps.vpcs.get(vpcId);
    if (!vpc) return;
    const { gateways, routeTables } = this.deps.routing;
    const [tables, igws] = [routeTables.list(), gateways.list()];
    const elastic = this.publicAddresses.elasticByInterface();
    const interfaces = this.deps.interfaces
      .list()
      .filter((e) => e.vpcId === vpc.id)
      .map((e) => (e.groupIds ? e : { ...e, groupIds: [defaultGroupId(vpc.id)] }))
      // The address NAT maps: the elastic IP replaces the pool one, and neither is mapped
      // unless the subnet's route table reaches an internet gateway attached to the VPC.
      .map((e) => ({
        ...e,
        publicIp: hasInternetRoute(tables, igws, vpc.id, e.subnetId)
          ? (elastic.get(e.id) ?? e.publicIp)
          : undefined,
      }));
    const groups = this.deps.securityGroups.list().filter((g) => g.vpcId === vpc.id);
    // The route tables as the router's kernel routing (policy routing per subnet).
    const routing = planVpcRouting(vpc, this.deps.subnets.list(), tables, this.routeContext(down));
    try {
      await this.deps.plumbing.applyRules(vpc, interfaces, groups);
      // After the filter, so a new next hop is never used before its rules exist.
      await this.deps.plumbing.applyRoutes(vpc, routing);
      this.failedRules.delete(vpc.id);
    } catch (error) {
      this.failedRules.add(vpc.id);
      this.deps.logger.error('applying the VPC rules failed; isolating its instances', {
        vpcId: vpc.id,
        error: String(error),
      });
      await this.deps.plumbing.isolate(vpc, interfaces).catch((e: unknown) =>
        this.deps.logger.error('isolating the instances failed too', {
          vpcId: vpc.id,
          error: String(e),
        }),
      );
      throw new KumoError(
        'Unavailable',
        'ServiceUnavailable',
        `The security group rules or routes of ${vpc.id} could not be applied; its instances' traffic is dropped until they are (the kumod log has the cause). Retry the call.`,
        { cause: error },
      );
    }
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
