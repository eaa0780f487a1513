import type { Logger } from '../core/logger.js';
import type {
  NetworkInterfaceRepository,
  SecurityGroupRepository,
  SubnetRepository,
  VpcPlumbing,
  VpcRepository,
} from './ports.js';
import type { Vpc } from './vpc.js';

/**
 * What other parts of kumod do when a VPC comes or goes: the daemon serves its metadata socket,
 * and the routing records make its main route table (vpcRoutingHooks). Hooks run after the
 * VPC's rows are written; a failing `created` undoes the creation.
 */
export interface VpcHooks {
  created?(vpc: Vpc): Promise<void>;
  deleted?(vpc: Vpc): Promise<void>;
  /**
   * What else still holds the VPC (internet gateways, route tables, ...): one line per dependant,
   * empty when none. Delete-vpc answers DependencyViolation naming them.
   */
  dependants?(vpcId: string): readonly string[];
}

/** The VPC and subnet use-cases' dependencies (src/network/vpcs.ts, subnets.ts). */
export interface VpcDeps {
  readonly vpcs: VpcRepository;
  readonly subnets: SubnetRepository;
  readonly interfaces: NetworkInterfaceRepository;
  readonly securityGroups: SecurityGroupRepository;
  readonly plumbing: VpcPlumbing;
  readonly logger: Logger;
  /** A free address of the public pool for a new VPC's router (NetworkService.freeRouterIp). */
  readonly routerIp: () => string;
  /** Re-renders the VPC's host state after its attributes changed (NetworkService.refreshVpc). */
  readonly refreshVpc: (vpcId: string) => Promise<void>;
  readonly hooks?: readonly VpcHooks[] | undefined;
  readonly settings: {
    /** The zone(s) of this host: subnets may only be created there. */
    readonly availabilityZones: readonly string[];
    /** kumod's public pool: a VPC may not overlap it (the router's uplink lives there). */
    readonly publicCidr: string;
  };
}
