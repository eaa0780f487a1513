import type { ComputeDeps } from '../compute/deps.js';
import type { DependantsOf } from '../compute/image-dependants.js';
import type { ImageFiles } from '../compute/image-files.js';
import type { SshKeyTool } from '../compute/ports.js';
import type { Instance } from '../compute/instance.js';
import type { SecurityGroupService } from '../network/security-groups.js';
import type { SubnetService } from '../network/subnets.js';
import type { VpcService } from '../network/vpcs.js';
import type { AddressService } from '../network/addresses.js';
import type { InternetGatewayService } from '../network/internet-gateways.js';
import type { RouteTableService } from '../network/route-tables.js';
import type { Route } from '../network/routing.js';
import type { DescribeHostResponse } from '../gen/kumo/v1/host.js';
import type { StorageDeps } from '../storage/deps.js';
import type { Site } from './site.js';
import type { ResourceTagDeps } from '../compute/resource-tags.js';

/** What the gRPC handlers are wired with: the domain's dependencies and a few daemon hooks. */
export interface ApiContext {
  readonly compute: ComputeDeps;
  /** Volumes (and, through compute's port, instances' disks). */
  readonly storage: StorageDeps;
  readonly sshKeys: SshKeyTool;
  /** Security groups, and the groups of instances' interfaces. */
  readonly securityGroups: SecurityGroupService;
  /** VPCs and subnets. */
  readonly vpcs: VpcService;
  readonly subnets: SubnetService;
  /** Where kumod serves its API (DescribeRegions' Endpoint); default: the standard socket. */
  readonly endpoint?: string | undefined;
  /** Internet gateways, route tables and elastic IPs; absent: those calls are unavailable. */
  readonly routing?: RoutingApi | undefined;
  /** The host facts kumod found at start-up plus current allocation. */
  describeHost(): Promise<DescribeHostResponse>;
  /** Asks the reconciler to look at these instances now rather than at its next tick. */
  kick(instanceIds: readonly string[]): void;
  /** Aborted when kumod begins to shut down: long calls stop and undo what they started. */
  readonly shutdownSignal?: AbortSignal;
  /** Region, zone and DNS domain as instances report them; DEFAULT_SITE when not given. */
  readonly site?: Site | undefined;
  /** Registered images' files (RegisterImage, DeregisterImage); absent: those calls are unavailable. */
  readonly imageFiles?: ImageFiles | undefined;
  /** Who else keeps an image's file (volumes, snapshots), besides instances' root disks. */
  readonly imageDependants?: readonly DependantsOf[] | undefined;
  /** How long an upload may send nothing before it is dropped (default 60 s; tests shorten it). */
  readonly uploadIdleTimeoutMs?: number | undefined;
  /** Every taggable record (CreateTags, DeleteTags, DescribeTags); absent: those calls are unavailable. */
  readonly tags?: ResourceTagDeps | undefined;
  /** Puts an instance's metadata options in force on the host (its VPC's response TTL rules). */
  readonly applyMetadataOptions?: ((i: Instance) => Promise<void>) | undefined;
}

/** The routing side of the network, as the handlers use it. */
export interface RoutingApi {
  readonly gateways: InternetGatewayService;
  readonly routeTables: RouteTableService;
  readonly addresses: AddressService;
  /** The public address an instance shows now: its elastic IP, else its pool one. */
  readonly publicIpOf: (instanceId: string) => string | undefined;
  /** publicIpOf of every instance at once (one read of each table). */
  readonly currentPublicIps: () => ReadonlyMap<string, string | undefined>;
  /** The instance's interface id (routes to instances show it). */
  readonly interfaceOf: (instanceId: string) => string | undefined;
  /** A route's EC2 State now (NetworkService.routeState). */
  readonly routeState: (route: Route, vpcId: string) => 'active' | 'blackhole';
}
