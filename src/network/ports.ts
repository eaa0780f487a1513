/**
 * What the network domain needs from the outside world. The host adapter (src/host/network/)
 * implements VpcPlumbing with namespaces, bridges, taps, dnsmasq and iptables-restore, naming
 * every Linux object itself; the state adapter implements the repositories. Plumbing calls are
 * idempotent "ensure/remove" steps, so the reconciler can repeat them at every start-up.
 */
import type { NetworkPort } from '../compute/ports.js';
import type { NetworkInterface } from './network-interface.js';
import type { VpcRouting } from './route-plan.js';
import type { SecurityGroup } from './security-group.js';
import type { Subnet, Vpc } from './vpc.js';

/** A DHCP reservation: the only way an instance gets its address. */
export interface DhcpReservation {
  readonly mac: string;
  readonly ip: string;
  /** The host name DHCP hands out; absent when the VPC's DNS hostnames are off (as EC2). */
  readonly hostname?: string | undefined;
}

/** One private DNS name the VPC's resolver answers (forward and reverse). */
export interface DnsRecord {
  readonly ip: string;
  /** Fully qualified: ip-10-0-1-5.<domain>. */
  readonly name: string;
}

/**
 * The VPC's DNS as one subnet's resolver serves it: every private name of the VPC (all its
 * subnets). Absent: the VPC's DNS support is off and the subnet serves no DNS.
 */
export interface SubnetDns {
  readonly records: readonly DnsRecord[];
}

/** The host side of VPCs: what exists on the machine for each VPC, subnet and instance port. */
export interface VpcPlumbing {
  /** The VPC's router: its namespace, its uplink onto the public network, its metadata proxy. */
  ensureVpc(vpc: Vpc): Promise<void>;
  /** Everything of the VPC on the host goes (namespace, uplink, proxy). */
  removeVpc(vpc: Vpc): Promise<void>;
  /** The subnet's bridge with its gateway address, and its DHCP server with these reservations. */
  ensureSubnet(
    vpc: Vpc,
    subnet: Subnet,
    reservations: readonly DhcpReservation[],
    dns?: SubnetDns,
  ): Promise<void>;
  removeSubnet(vpc: Vpc, subnet: Subnet): Promise<void>;
  /** The interfaces' ports on their subnets, made in one go; where each instance's NIC plugs in. */
  ensurePorts(
    vpc: Vpc,
    interfaces: readonly NetworkInterface[],
  ): Promise<ReadonlyMap<string, NetworkPort>>;
  removePorts(vpc: Vpc, interfaces: readonly NetworkInterface[]): Promise<void>;
  /**
   * The VPC's anti-spoofing, security groups (rules and member sets) and 1:1 NAT for exactly these
   * interfaces, applied at once (atomically: a failure leaves the previous rules in place).
   */
  applyRules(
    vpc: Vpc,
    interfaces: readonly NetworkInterface[],
    groups: readonly SecurityGroup[],
  ): Promise<void>;
  /**
   * The VPC router's routing exactly as planned (route tables, which subnet uses which),
   * replacing whatever kumo programmed there before; stale tables and rules go.
   */
  applyRoutes(vpc: Vpc, routing: VpcRouting): Promise<void>;
  /**
   * Fail closed: every packet to or from these interfaces is dropped (tracked connections too)
   * until the next successful applyRules. Used when applyRules failed.
   */
  isolate(vpc: Vpc, interfaces: readonly NetworkInterface[]): Promise<void>;
  /**
   * Ends the VPC's tracked flows whose destination is this public IP (it moved to another
   * instance: existing connections to the old one end, new ones reach the new one).
   */
  forgetFlows?(vpc: Vpc, publicIp: string): Promise<void>;
  /** The unix socket where kumod answers this VPC's metadata requests. */
  metadataSocket(vpc: Vpc): string;
}

export interface VpcRepository {
  list(): Vpc[];
  get(id: string): Vpc | undefined;
  put(vpc: Vpc): void;
  delete(id: string): void;
}

export interface SubnetRepository {
  list(): Subnet[];
  get(id: string): Subnet | undefined;
  put(subnet: Subnet): void;
  delete(id: string): void;
}

/** The network's own records of instances' interfaces (the addresses they hold). */
export interface NetworkInterfaceRepository {
  list(): NetworkInterface[];
  byInstance(instanceId: string): NetworkInterface | undefined;
  put(eni: NetworkInterface): void;
  delete(id: string): void;
}

export interface SecurityGroupRepository {
  list(): SecurityGroup[];
  get(id: string): SecurityGroup | undefined;
  put(group: SecurityGroup): void;
  delete(id: string): void;
}

/** Records kept as whole documents by id (gateways, route tables, elastic addresses). */
export interface DocRepository<T> {
  list(): T[];
  get(id: string): T | undefined;
  put(item: T): void;
  delete(id: string): void;
}

/** Where the routing records live (internet gateways, route tables, elastic IPs). */
export interface RoutingRepositories {
  readonly gateways: DocRepository<import('./routing.js').InternetGateway>;
  readonly routeTables: DocRepository<import('./routing.js').RouteTable>;
  readonly addresses: DocRepository<import('./routing.js').ElasticAddress>;
}
