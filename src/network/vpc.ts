import { idSuffix } from '../core/ids.js';
import type { Tag } from '../core/tags.js';

/** A VPC: a network namespace acting as the VPC's router, with its own address space. */
export interface Vpc {
  readonly id: string;
  readonly cidr: string;
  readonly isDefault: boolean;
  /** The VPC router's address on the public network (one per VPC, from the public pool). */
  readonly routerPublicIp: string;
  /** Unset on rows written before create-vpc existed: read through the helpers below. */
  readonly enableDnsSupport?: boolean | undefined;
  readonly enableDnsHostnames?: boolean | undefined;
  readonly tags?: readonly Tag[] | undefined;
}

/** A subnet: a bridge in its VPC's namespace; the gateway is the first host address. */
export interface Subnet {
  readonly id: string;
  readonly vpcId: string;
  readonly cidr: string;
  readonly isDefault: boolean;
  /** Unset on rows written before create-subnet existed: the host's one zone. */
  readonly availabilityZone?: string | undefined;
  /** EC2's MapPublicIpOnLaunch; unset: true for the default subnet, false otherwise (as EC2). */
  readonly mapPublicIpOnLaunch?: boolean | undefined;
  readonly tags?: readonly Tag[] | undefined;
}

/** EC2's default VPC and subnet shapes. */
export const DEFAULT_VPC_CIDR = '172.31.0.0/16';
export const DEFAULT_SUBNET_CIDR = '172.31.0.0/20';

/** EC2: DNS resolution is on in every VPC unless turned off. */
export const dnsSupport = (vpc: Vpc): boolean => vpc.enableDnsSupport ?? true;

/** EC2: DNS hostnames are on in the default VPC and off in a new one. */
export const dnsHostnames = (vpc: Vpc): boolean => vpc.enableDnsHostnames ?? vpc.isDefault;

/** EC2: the default subnet maps public IPs on launch, a new subnet does not. */
export const mapPublicIpOnLaunch = (subnet: Subnet): boolean =>
  subnet.mapPublicIpOnLaunch ?? subnet.isDefault;

/** The VPC's one IPv4 CIDR association id (kumo VPCs have exactly one CIDR): stable per VPC. */
export const cidrAssociationId = (vpcId: string): string => `vpc-cidr-assoc-${idSuffix(vpcId)}`;

/**
 * How many addresses of a subnet instances can never have: EC2 reserves the network address, the
 * router (.1), the DNS server (.2), one for future use (.3) and the broadcast address.
 */
export const RESERVED_LEADING = 4;
export const RESERVED_TOTAL = 5;
