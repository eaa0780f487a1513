import type { Logger } from '../core/logger.js';
import type {
  NetworkInterfaceRepository,
  RoutingRepositories,
  SecurityGroupRepository,
  SubnetRepository,
  VpcPlumbing,
  VpcRepository,
} from './ports.js';

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
