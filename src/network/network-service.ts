import {
  cidrContains,
  firstFreeAddress,
  nthAddress,
  parseCidr,
  type Ipv4Cidr,
} from '../core/cidr.js';
import { invalidParameter, insufficientCapacity, notFound } from '../core/errors.js';
import { assertId, newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Instance, InstanceNetworkInfo } from '../compute/instance.js';
import type { InstanceNetwork, NetworkPort } from '../compute/ports.js';
import {
  instanceMac,
  instanceTap,
  privateHostname,
  subnetBridge,
  VPC_UPLINK_IF,
  vpcNetns,
  vpcUplinkHostIf,
  type HostNaming,
} from './naming.js';
import type {
  NetworkedInstanceSource,
  NetworkHost,
  SubnetHostSpec,
  SubnetRepository,
  VpcHostSpec,
  VpcRepository,
} from './ports.js';
import { DEFAULT_SUBNET_CIDR, DEFAULT_VPC_CIDR, type Subnet, type Vpc } from './vpc.js';

export interface NetworkSettings extends HostNaming {
  /** The host's public-IP pool, e.g. "100.80.0.0/24"; .1 is the host's own address. */
  readonly publicCidr: string;
  readonly publicBridge: string;
  /** Directory for per-VPC and per-subnet runtime files (dnsmasq, metadata proxy). */
  readonly runDir: string;
  /** Directory of kumod's per-VPC metadata sockets. */
  readonly metadataSocketDir: string;
  readonly domain: string;
  readonly dnsServers: readonly string[];
}

export interface NetworkDeps {
  readonly vpcs: VpcRepository;
  readonly subnets: SubnetRepository;
  readonly instances: NetworkedInstanceSource;
  readonly host: NetworkHost;
  readonly logger: Logger;
  readonly settings: NetworkSettings;
}

/** The network half of an instance's life: addresses (desired state) and host plumbing. */
export class NetworkService implements InstanceNetwork {
  private readonly publicPool: Ipv4Cidr;
  private publicBridgeReady = false;

  constructor(private readonly deps: NetworkDeps) {
    this.publicPool = parseCidr(deps.settings.publicCidr);
  }

  /** The host's own address on the public bridge. */
  get publicGateway(): string {
    return nthAddress(this.publicPool, 1);
  }

  /** Creates the default VPC and subnet rows if missing (host objects come on first use). */
  ensureDefaultVpc(): Vpc {
    const existing = this.deps.vpcs.list().find((v) => v.isDefault);
    if (existing) return existing;
    const vpc: Vpc = {
      id: newId('vpc'),
      cidr: DEFAULT_VPC_CIDR,
      isDefault: true,
      routerPublicIp: this.freePublicIp(new Set()),
    };
    this.deps.vpcs.put(vpc);
    this.deps.subnets.put({
      id: newId('subnet'),
      vpcId: vpc.id,
      cidr: DEFAULT_SUBNET_CIDR,
      isDefault: true,
    });
    this.deps.logger.info('created the default VPC', { vpcId: vpc.id, cidr: vpc.cidr });
    return vpc;
  }

  allocate(instanceIds: readonly string[], subnetId?: string): InstanceNetworkInfo[] {
    const subnet = this.resolveSubnet(subnetId);
    const cidr = parseCidr(subnet.cidr);
    const active = this.deps.instances.list().filter((i) => !i.terminated);
    const usedPrivate = new Set(
      active.filter((i) => i.subnetId === subnet.id).map((i) => i.privateIp),
    );
    const usedPublic = new Set(active.map((i) => i.publicIp).filter((ip): ip is string => !!ip));
    const usedMacs = new Set(active.map((i) => i.mac));
    return instanceIds.map((id) => {
      const privateIp = firstFreeAddress(cidr, usedPrivate);
      if (!privateIp) {
        throw insufficientCapacity(
          `Subnet ${subnet.id} (${subnet.cidr}) has no free addresses left`,
        );
      }
      usedPrivate.add(privateIp);
      const publicIp = this.freePublicIp(usedPublic);
      usedPublic.add(publicIp);
      let mac = instanceMac(id);
      while (usedMacs.has(mac)) mac = instanceMac(newId('i'));
      usedMacs.add(mac);
      return {
        vpcId: subnet.vpcId,
        subnetId: subnet.id,
        privateIp,
        publicIp,
        mac,
        tap: instanceTap(id),
      };
    });
  }

  /**
   * Host plumbing for a batch of instances. Per VPC, once: namespace and uplink, each subnet's
   * bridge and dnsmasq (with every reservation of the batch), the taps, the rules. The VPC-wide
   * work is not redone for each instance.
   */
  async plug(instances: readonly Instance[]): Promise<ReadonlyMap<string, NetworkPort>> {
    const ports = new Map<string, NetworkPort>();
    for (const [vpcId, members] of groupBy(instances.map(requireNetwork), (n) => n.net.vpcId)) {
      const vpc = this.deps.vpcs.get(vpcId);
      if (!vpc) throw notFound('InvalidVpcID.NotFound', `VPC ${vpcId} is gone`);
      await this.ensureVpcHost(vpc);
      const netns = vpcNetns(this.deps.settings, vpc.id);
      for (const subnetId of new Set(members.map((m) => m.net.subnetId))) {
        const { subnet } = this.locate(vpcId, subnetId);
        await this.deps.host.ensureSubnet(this.subnetSpec(vpc, subnet));
      }
      await this.deps.host.ensureTaps(
        members.map(({ net }) => ({ netns, bridge: subnetBridge(net.subnetId), tap: net.tap })),
      );
      for (const { id, net } of members) ports.set(id, { netns, tap: net.tap, mac: net.mac });
      await this.applyRules(vpc);
    }
    return ports;
  }

  async unplug(instances: readonly Instance[]): Promise<void> {
    for (const { net } of instances.map(requireNetwork)) {
      await this.deps.host.removeTap({
        netns: vpcNetns(this.deps.settings, net.vpcId),
        bridge: subnetBridge(net.subnetId),
        tap: net.tap,
      });
    }
  }

  async sync(vpcId: string): Promise<void> {
    const vpc = this.deps.vpcs.get(vpcId);
    if (!vpc) return;
    await this.ensureVpcHost(vpc);
    for (const subnet of this.deps.subnets.list().filter((s) => s.vpcId === vpcId)) {
      await this.deps.host.ensureSubnet(this.subnetSpec(vpc, subnet));
    }
    await this.applyRules(vpc);
  }

  /** The host spec of a VPC (also used by clean-up tools and tests). */
  vpcSpec(vpc: Vpc): VpcHostSpec {
    const s = this.deps.settings;
    return {
      vpcId: vpc.id,
      netns: vpcNetns(s, vpc.id),
      publicBridge: s.publicBridge,
      uplinkHostIf: vpcUplinkHostIf(vpc.id),
      uplinkVpcIf: VPC_UPLINK_IF,
      routerAddress: `${vpc.routerPublicIp}/${this.publicPool.prefix}`,
      publicGateway: this.publicGateway,
      metadataSocket: `${s.metadataSocketDir}/${vpc.id}.sock`,
      runDir: `${s.runDir}/${vpc.id}`,
    };
  }

  private async ensureVpcHost(vpc: Vpc): Promise<void> {
    if (!this.publicBridgeReady) {
      await this.deps.host.ensurePublicBridge({
        bridge: this.deps.settings.publicBridge,
        hostAddress: `${this.publicGateway}/${this.publicPool.prefix}`,
      });
      this.publicBridgeReady = true;
    }
    await this.deps.host.ensureVpc(this.vpcSpec(vpc));
  }

  private subnetSpec(vpc: Vpc, subnet: Subnet): SubnetHostSpec {
    const cidr = parseCidr(subnet.cidr);
    const s = this.deps.settings;
    const reservations = this.deps.instances
      .list()
      .filter((i) => !i.terminated && i.subnetId === subnet.id)
      .map((i) => ({
        mac: i.mac,
        ip: i.privateIp,
        hostname: privateHostname(i.privateIp, s.domain).split('.')[0] as string,
      }));
    return {
      subnetId: subnet.id,
      netns: vpcNetns(s, vpc.id),
      bridge: subnetBridge(subnet.id),
      gatewayAddress: `${nthAddress(cidr, 1)}/${cidr.prefix}`,
      cidr: subnet.cidr,
      domain: s.domain,
      dnsServers: s.dnsServers,
      reservations,
      runDir: `${s.runDir}/${subnet.id}`,
    };
  }

  private async applyRules(vpc: Vpc): Promise<void> {
    const active = this.deps.instances.list().filter((i) => !i.terminated && i.vpcId === vpc.id);
    await this.deps.host.applyVpcRules({
      netns: vpcNetns(this.deps.settings, vpc.id),
      uplinkVpcIf: VPC_UPLINK_IF,
      vpcCidr: vpc.cidr,
      ports: active.map((i) => ({ tap: i.tap, mac: i.mac, ip: i.privateIp })),
      publicIps: active
        .filter((i) => i.publicIp)
        .map((i) => ({ publicIp: i.publicIp as string, privateIp: i.privateIp })),
    });
  }

  private resolveSubnet(subnetId: string | undefined): Subnet {
    if (subnetId) {
      assertId('subnet', subnetId, 'InvalidSubnetID.Malformed');
      const subnet = this.deps.subnets.get(subnetId);
      if (!subnet)
        throw notFound('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
      return subnet;
    }
    const vpc = this.ensureDefaultVpc();
    const subnet = this.deps.subnets.list().find((s) => s.vpcId === vpc.id && s.isDefault);
    if (!subnet)
      throw invalidParameter(
        'The default VPC has no default subnet; pass --subnet-id',
        'MissingInput',
      );
    return subnet;
  }

  private locate(vpcId: string, subnetId: string): { vpc: Vpc; subnet: Subnet } {
    const vpc = this.deps.vpcs.get(vpcId);
    const subnet = this.deps.subnets.get(subnetId);
    if (!vpc || !subnet)
      throw notFound('InvalidSubnetID.NotFound', `Subnet ${subnetId} of VPC ${vpcId} is gone`);
    return { vpc, subnet };
  }

  private freePublicIp(used: ReadonlySet<string>): string {
    const taken = new Set([...used, ...this.deps.vpcs.list().map((v) => v.routerPublicIp)]);
    // .0 is the network and .1 the host's own address on the public bridge.
    const ip = firstFreeAddress(this.publicPool, taken, 2);
    if (!ip || !cidrContains(this.publicPool, ip)) {
      throw insufficientCapacity(
        `The public address pool ${this.deps.settings.publicCidr} is exhausted; start kumod with a larger --public-cidr`,
      );
    }
    return ip;
  }
}

function requireNetwork(instance: Instance): { id: string; net: InstanceNetworkInfo } {
  if (!instance.network)
    throw notFound('InvalidNetworkInterfaceID.NotFound', `${instance.id} has no network`);
  return { id: instance.id, net: instance.network };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
