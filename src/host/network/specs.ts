import type { LanAccessSpec } from './lan-access.js';
import type { PolicyRoutingSpec } from './policy-routing.js';
/**
 * The Linux-level specs of kumod's network objects, with their Linux names (made by
 * LinuxVpcPlumbing from the domain's ids). LinuxNetworkHost implements NetworkHost with ip,
 * iptables-restore, ebtables-restore and dnsmasq; all its methods are idempotent "ensure/remove"
 * steps that measure before they act.
 */
import type { DhcpReservation, DnsRecord } from '../../network/ports.js';

/** kumod's own namespace: the public bridge that holds the host side of the public-IP pool. */
export interface PublicBridgeSpec {
  /** Interface name, at most 15 bytes, e.g. "kumo-pub". */
  readonly bridge: string;
  /** The host's address on the bridge with prefix, e.g. "100.80.0.1/24". */
  readonly hostAddress: string;
}

/** A VPC: one network namespace acting as the VPC's router. */
export interface VpcHostSpec {
  readonly vpcId: string;
  /** Name under /run/netns, e.g. "kumo-vpc-0123abcd" (the daemon's prefix keeps test runs apart). */
  readonly netns: string;
  /** The public bridge in kumod's namespace that the VPC's uplink veth joins. */
  readonly publicBridge: string;
  /** Host-side veth name (lives in kumod's namespace, enslaved to publicBridge), <= 15 bytes. */
  readonly uplinkHostIf: string;
  /** VPC-side interface name inside the netns, e.g. "uplink". */
  readonly uplinkVpcIf: string;
  /** The VPC router's own address on the public network, with prefix, e.g. "100.80.0.2/24". */
  readonly routerAddress: string;
  /** The host's address on the public bridge: the VPC namespace's default gateway. */
  readonly publicGateway: string;
  /** kumod's per-VPC metadata socket; the proxy in the netns forwards 169.254.169.254:80 here. */
  readonly metadataSocket: string;
  /** Where the proxy's pid file and log go (a directory kumod owns). */
  readonly runDir: string;
}

/** A subnet: a bridge in the VPC namespace, its gateway address and one dnsmasq. */
export interface SubnetHostSpec {
  readonly subnetId: string;
  readonly netns: string;
  /** Bridge name inside the netns, e.g. "br-0123abcd". */
  readonly bridge: string;
  /** Gateway address with prefix, e.g. "172.31.0.1/20". */
  readonly gatewayAddress: string;
  /** The subnet's CIDR, e.g. "172.31.0.0/20". */
  readonly cidr: string;
  /** Domain handed out by DHCP, e.g. "kumo.internal". */
  readonly domain: string;
  /** DNS servers handed out by DHCP (may be empty). */
  readonly dnsServers: readonly string[];
  readonly reservations: readonly DhcpReservation[];
  /**
   * The VPC's DNS, served on the gateway address: every private name of the VPC and the VPC's
   * reverse zone. Absent: DNS is off (port=0) and DHCP hands out dnsServers only.
   */
  readonly dns?: SubnetDnsSpec | undefined;
  /** Directory for dnsmasq's config, hosts file, leases and pid file. */
  readonly runDir: string;
}

/** What one subnet's dnsmasq answers as the VPC's resolver. */
export interface SubnetDnsSpec {
  /** The VPC's block, e.g. "10.0.0.0/16": its reverse zone is answered here, never forwarded. */
  readonly vpcCidr: string;
  readonly records: readonly DnsRecord[];
}

/** One instance's port on a subnet bridge. */
export interface TapSpec {
  readonly netns: string;
  readonly bridge: string;
  /** Tap name, <= 15 bytes, e.g. "tap0123abcd4567". */
  readonly tap: string;
}

/** One instance port as the VPC's filter sees it. */
export interface PortRulesSpec {
  readonly tap: string;
  readonly mac: string;
  readonly ip: string;
  /** The groups' ids, in order (their rules apply in either direction, allow-only). */
  readonly groupIds?: readonly string[];
  /** EC2's SourceDestCheck; false: the port may send from any IPv4 address (MAC still pinned). */
  readonly sourceDestCheck?: boolean;
  /** The instance's metadata options as the VPC's rules apply them (metadata-rules.ts). */
  readonly metadata?: { readonly hopLimit: number; readonly enabled: boolean };
}

/** A security group rule in Linux terms: the peer is a CIDR or a member set. */
export interface RuleSpec {
  readonly egress: boolean;
  /** '-1', 'tcp', 'udp', 'icmp' or a protocol number. */
  readonly protocol: string;
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidr?: string | undefined;
  readonly peerSet?: string | undefined;
}

export interface GroupRulesSpec {
  readonly id: string;
  readonly rules: readonly RuleSpec[];
}

/** An ipset of group members' private addresses. */
export interface MemberSetSpec {
  readonly name: string;
  readonly members: readonly string[];
}

/** Everything the VPC's packet filter must express, rendered and applied in one transaction. */
export interface VpcRulesSpec {
  readonly netns: string;
  /** The uplink interface inside the netns (where public traffic enters). */
  readonly uplinkVpcIf: string;
  /** Instance ports: anti-spoofing (a tap may only send from its own IP) keys metadata identity. */
  readonly ports: readonly PortRulesSpec[];
  /** The VPC's security groups (absent: no group filtering, only anti-spoofing and NAT). */
  readonly groups?: readonly GroupRulesSpec[];
  /** The member sets the groups' rules name. */
  readonly sets?: readonly MemberSetSpec[];
  /**
   * Addresses of the host (kumod's namespace) that guests must not reach; empty with
   * allowHostAccess. The VPC router's own addresses are always closed except DHCP and metadata.
   */
  readonly hostAddresses?: readonly string[];
  /** The operator's opt-in (kumod --allow-guest-host-access): guests may reach host and router. */
  readonly allowHostAccess?: boolean;
  /** Per-port chains of ports that are gone: flushed and deleted in the same transaction. */
  readonly staleChains?: readonly string[];
  /** 1:1 NAT between an instance's public and private address. */
  readonly publicIps: readonly { readonly publicIp: string; readonly privateIp: string }[];
  /** The VPC's CIDR (traffic leaving it towards the public side is SNATed to the instance's public IP). */
  readonly vpcCidr: string;
}

export interface NetworkHost {
  ensurePublicBridge(spec: PublicBridgeSpec): Promise<void>;
  ensureVpc(spec: VpcHostSpec): Promise<void>;
  /** Deletes the VPC namespace, its uplink veth and metadata proxy. */
  removeVpc(spec: VpcHostSpec): Promise<void>;
  /** Bridge + gateway address + dnsmasq (restarted or reloaded when the reservations change). */
  ensureSubnet(spec: SubnetHostSpec): Promise<void>;
  removeSubnet(spec: SubnetHostSpec): Promise<void>;
  /** Every tap exists, on its bridge, up; the missing ones are made in one go. */
  /** Returns the names of the taps that did not exist and were created. */
  ensureTaps(specs: readonly TapSpec[]): Promise<readonly string[]>;
  removeTap(spec: TapSpec): Promise<void>;
  /** Also adds/removes the public addresses on the uplink so the host's ARP finds them. */
  applyVpcRules(spec: VpcRulesSpec): Promise<void>;
  /** The router's policy routing exactly as the spec says (policy-routing.ts), stale parts gone. */
  applyVpcRouting(spec: PolicyRoutingSpec): Promise<void>;
  /** Drops everything to and from these ports until the next applyVpcRules (fail closed). */
  isolatePorts(netns: string, ports: readonly PortRulesSpec[]): Promise<void>;
  /**
   * A public IP moved away: the VPC namespace's tracked flows to it end, and kumod's namespace
   * forgets which MAC had it (so it asks again and finds the new uplink at once).
   */
  forgetFlows(netns: string, publicIp: string, publicBridge: string): Promise<void>;
  /** LAN access to the pool in kumod's namespace (forwarding, proxy ARP, outbound NAT). */
  ensureLanAccess(spec: LanAccessSpec): Promise<void>;
}
