/** A VPC: a network namespace acting as the VPC's router, with its own address space. */
export interface Vpc {
  readonly id: string;
  readonly cidr: string;
  readonly isDefault: boolean;
  /** The VPC router's address on the public network (one per VPC, from the public pool). */
  readonly routerPublicIp: string;
}

/** A subnet: a bridge in its VPC's namespace; the gateway is the first host address. */
export interface Subnet {
  readonly id: string;
  readonly vpcId: string;
  readonly cidr: string;
  readonly isDefault: boolean;
}

/** EC2's default VPC and subnet shapes. */
export const DEFAULT_VPC_CIDR = '172.31.0.0/16';
export const DEFAULT_SUBNET_CIDR = '172.31.0.0/20';
