import { nthAddress, parseCidr, type Ipv4Cidr } from '../../core/cidr.js';
import type { NetworkPort } from '../../compute/ports.js';
import type { NetworkInterface } from '../../network/network-interface.js';
import type { DhcpReservation, SubnetDns, VpcPlumbing } from '../../network/ports.js';
import type { SecurityGroup } from '../../network/security-group.js';
import type { Subnet, Vpc } from '../../network/vpc.js';
import {
  groupSet,
  instanceTap,
  subnetBridge,
  VPC_UPLINK_IF,
  vpcNetns,
  vpcUplinkHostIf,
} from './names.js';
import type { NetworkHost, SubnetHostSpec, TapSpec, VpcHostSpec } from './specs.js';
import type { LanAccessSpec } from './lan-access.js';
import type { VpcRouting } from '../../network/route-plan.js';
import {
  realmOf,
  RULE_PREFS,
  TABLES,
  type KernelRoute,
  type KernelRule,
  type PolicyRoutingSpec,
} from './policy-routing.js';

export interface LinuxVpcPlumbingOptions {
  /** Prefix of kumod's namespaces (tests use their own, so runs never collide). */
  readonly prefix: string;
  /** The bridge in kumod's namespace that holds the host side of the public pool. */
  readonly publicBridge: string;
  /** The public pool, e.g. "100.80.0.0/24"; .1 is the host's own address on the bridge. */
  readonly publicCidr: string;
  /** Directory for per-VPC and per-subnet runtime files (dnsmasq, metadata proxy). */
  readonly runDir: string;
  /** Directory of kumod's per-VPC metadata sockets. */
  readonly metadataSocketDir: string;
  /** Domain handed out by DHCP. */
  readonly domain: string;
  readonly dnsServers: readonly string[];
  /** kumod --allow-guest-host-access: guests may reach the host's and routers' own addresses. */
  readonly allowHostAccess?: boolean;
  /** LAN access to the pool (kumod --lan-mode, --uplink-interface, --outbound-nat). */
  readonly lan?: Omit<LanAccessSpec, 'publicBridge' | 'publicCidr'> | undefined;
  /** An instance's metadata hop limit and endpoint state, applied by the VPC's rules. */
  readonly metadataOptions?: (instanceId: string) => { hopLimit: number; enabled: boolean };
}

/**
 * VpcPlumbing on Linux: turns the domain's VPCs, subnets and interfaces into named Linux objects
 * (a namespace per VPC, a bridge per subnet, a tap per interface; names from src/host/network/
 * names.ts) and asks LinuxNetworkHost to make them so. The spec builders are pure.
 */
export class LinuxVpcPlumbing implements VpcPlumbing {
  private readonly pool: Ipv4Cidr;
  private publicBridgeReady = false;

  constructor(
    private readonly host: NetworkHost,
    private readonly o: LinuxVpcPlumbingOptions,
  ) {
    this.pool = parseCidr(o.publicCidr);
  }

  async ensureVpc(vpc: Vpc): Promise<void> {
    if (!this.publicBridgeReady) {
      await this.host.ensurePublicBridge({
        bridge: this.o.publicBridge,
        hostAddress: `${nthAddress(this.pool, 1)}/${this.pool.prefix}`,
      });
      if (this.o.lan) {
        await this.host.ensureLanAccess({
          ...this.o.lan,
          publicBridge: this.o.publicBridge,
          publicCidr: this.o.publicCidr,
        });
      }
      this.publicBridgeReady = true;
    }
    await this.host.ensureVpc(this.vpcSpec(vpc));
  }

  removeVpc(vpc: Vpc): Promise<void> {
    return this.host.removeVpc(this.vpcSpec(vpc));
  }

  ensureSubnet(
    vpc: Vpc,
    subnet: Subnet,
    reservations: readonly DhcpReservation[],
    dns?: SubnetDns,
  ): Promise<void> {
    return this.host.ensureSubnet(this.subnetSpec(vpc, subnet, reservations, dns));
  }

  removeSubnet(vpc: Vpc, subnet: Subnet): Promise<void> {
    return this.host.removeSubnet(this.subnetSpec(vpc, subnet, []));
  }

  async ensurePorts(
    vpc: Vpc,
    interfaces: readonly NetworkInterface[],
  ): Promise<ReadonlyMap<string, NetworkPort>> {
    const created = new Set(
      await this.host.ensureTaps(interfaces.map((eni) => this.tapSpec(vpc, eni))),
    );
    return new Map(
      interfaces.map((eni) => {
        const tap = instanceTap(eni.instanceId);
        const port = { netns: vpcNetns(this.o.prefix, vpc.id), tap, mac: eni.mac };
        return [eni.instanceId, { ...port, created: created.has(tap) }];
      }),
    );
  }

  async removePorts(vpc: Vpc, interfaces: readonly NetworkInterface[]): Promise<void> {
    for (const eni of interfaces) await this.host.removeTap(this.tapSpec(vpc, eni));
  }

  applyRules(
    vpc: Vpc,
    interfaces: readonly NetworkInterface[],
    groups: readonly SecurityGroup[],
  ): Promise<void> {
    const members = new Map<string, string[]>();
    for (const eni of interfaces) {
      for (const g of eni.groupIds ?? [])
        members.set(g, [...(members.get(g) ?? []), eni.privateIp]);
    }
    // A set for every group a rule names (empty when it has no members yet).
    const named = new Set(
      groups.flatMap((g) => g.rules.flatMap((r) => (r.groupId ? [r.groupId] : []))),
    );
    return this.host.applyVpcRules({
      netns: vpcNetns(this.o.prefix, vpc.id),
      uplinkVpcIf: VPC_UPLINK_IF,
      vpcCidr: vpc.cidr,
      ports: interfaces.map((eni) => this.portSpec(eni)),
      publicIps: interfaces.flatMap((eni) =>
        eni.publicIp ? [{ publicIp: eni.publicIp, privateIp: eni.privateIp }] : [],
      ),
      groups: groups.map((g) => ({
        id: g.id,
        rules: g.rules.map((r) => ({
          egress: r.egress,
          protocol: r.protocol,
          fromPort: r.fromPort,
          toPort: r.toPort,
          cidr: r.cidrIpv4,
          peerSet: r.groupId ? groupSet(r.groupId) : undefined,
        })),
      })),
      sets: [...named].map((id) => ({ name: groupSet(id), members: members.get(id) ?? [] })),
      hostAddresses: [nthAddress(this.pool, 1)],
      allowHostAccess: this.o.allowHostAccess === true,
    });
  }

  applyRoutes(vpc: Vpc, routing: VpcRouting): Promise<void> {
    return this.host.applyVpcRouting(this.routingSpec(vpc, routing));
  }

  /**
   * The router's policy routing for a VPC's plan. Pure. Kernel tables are numbered by the route
   * tables' order in the plan (sorted by id); a renumbering is just another reconcile.
   */
  routingSpec(vpc: Vpc, routing: VpcRouting): PolicyRoutingSpec {
    const numbers = new Map(routing.tables.map((t, k) => [t.routeTableId, TABLES.first + k]));
    if (routing.tables.length > TABLES.last - TABLES.first + 1) {
      throw new Error(`${vpc.id} has more route tables than kumo's kernel table range holds`);
    }
    const rules: KernelRule[] = [
      { pref: RULE_PREFS.local, to: vpc.cidr, table: 'main' },
      ...routing.subnets.map((s) => ({
        pref: RULE_PREFS.subnets,
        iif: subnetBridge(s.subnetId),
        table: String(numbers.get(s.routeTableId)),
      })),
    ];
    const routes: KernelRoute[] = routing.tables.flatMap((t) => {
      const table = numbers.get(t.routeTableId) as number;
      const own = t.routes.map((r): KernelRoute => {
        switch (r.hop.kind) {
          case 'gateway':
            return {
              table,
              dst: r.destination,
              type: 'unicast',
              gateway: nthAddress(this.pool, 1),
              dev: VPC_UPLINK_IF,
            };
          case 'instance':
            return {
              table,
              dst: r.destination,
              type: 'unicast',
              gateway: r.hop.privateIp,
              dev: subnetBridge(r.hop.subnetId),
              // The filter judges what is forwarded to the instance by this realm.
              realm: realmOf(r.hop.privateIp),
            };
          case 'blackhole':
            return { table, dst: r.destination, type: 'blackhole' };
        }
      });
      // No route, no path (EC2): nothing falls through to the namespace's main table.
      const hasDefault = t.routes.some((r) => r.destination === '0.0.0.0/0');
      return hasDefault ? own : [...own, { table, dst: '0.0.0.0/0', type: 'blackhole' }];
    });
    return { netns: vpcNetns(this.o.prefix, vpc.id), rules, routes };
  }

  forgetFlows(vpc: Vpc, publicIp: string): Promise<void> {
    return this.host.forgetFlows(vpcNetns(this.o.prefix, vpc.id), publicIp, this.o.publicBridge);
  }

  isolate(vpc: Vpc, interfaces: readonly NetworkInterface[]): Promise<void> {
    return this.host.isolatePorts(
      vpcNetns(this.o.prefix, vpc.id),
      interfaces.map((eni) => this.portSpec(eni)),
    );
  }

  private portSpec(eni: NetworkInterface) {
    return {
      tap: instanceTap(eni.instanceId),
      mac: eni.mac,
      ip: eni.privateIp,
      groupIds: eni.groupIds ?? [],
      sourceDestCheck: eni.sourceDestCheck !== false,
      metadata: this.o.metadataOptions?.(eni.instanceId),
    };
  }

  metadataSocket(vpc: Vpc): string {
    return `${this.o.metadataSocketDir}/${vpc.id}.sock`;
  }

  /** The Linux spec of a VPC's router namespace. Pure. */
  vpcSpec(vpc: Vpc): VpcHostSpec {
    return {
      vpcId: vpc.id,
      netns: vpcNetns(this.o.prefix, vpc.id),
      publicBridge: this.o.publicBridge,
      uplinkHostIf: vpcUplinkHostIf(vpc.id),
      uplinkVpcIf: VPC_UPLINK_IF,
      routerAddress: `${vpc.routerPublicIp}/${this.pool.prefix}`,
      publicGateway: nthAddress(this.pool, 1),
      metadataSocket: this.metadataSocket(vpc),
      runDir: `${this.o.runDir}/${vpc.id}`,
    };
  }

  /** The Linux spec of a subnet's bridge and DHCP server. Pure. */
  subnetSpec(
    vpc: Vpc,
    subnet: Subnet,
    reservations: readonly DhcpReservation[],
    dns?: SubnetDns,
  ): SubnetHostSpec {
    const cidr = parseCidr(subnet.cidr);
    return {
      subnetId: subnet.id,
      netns: vpcNetns(this.o.prefix, vpc.id),
      bridge: subnetBridge(subnet.id),
      gatewayAddress: `${nthAddress(cidr, 1)}/${cidr.prefix}`,
      cidr: subnet.cidr,
      domain: this.o.domain,
      dnsServers: this.o.dnsServers,
      reservations,
      dns: dns ? { vpcCidr: vpc.cidr, records: dns.records } : undefined,
      runDir: `${this.o.runDir}/${subnet.id}`,
    };
  }

  private tapSpec(vpc: Vpc, eni: NetworkInterface): TapSpec {
    return {
      netns: vpcNetns(this.o.prefix, vpc.id),
      bridge: subnetBridge(eni.subnetId),
      tap: instanceTap(eni.instanceId),
    };
  }
}
