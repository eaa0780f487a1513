import {
  alreadyExists,
  dependencyViolation,
  dryRunOperation,
  KumoError,
  notFound,
  quoted,
} from '../core/errors.js';
import { assertId, newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Tag } from '../core/tags.js';
import type { NetworkInterfaceRepository, RoutingRepositories, VpcRepository } from './ports.js';
import type { InternetGateway } from './routing.js';
import type { Vpc } from './vpc.js';

export interface RoutingDeps {
  readonly routing: RoutingRepositories;
  readonly vpcs: VpcRepository;
  readonly interfaces: NetworkInterfaceRepository;
  /** Re-renders and applies the VPC's rules (NetworkService.refreshRules). */
  readonly applyVpc: (vpcId: string) => Promise<void>;
  readonly logger: Logger;
}

/** Finds a VPC by id, with EC2's codes for a malformed or unknown one. */
export function vpcById(vpcs: VpcRepository, vpcId: string): Vpc {
  assertId('vpc', vpcId, 'InvalidVpcID.Malformed');
  const vpc = vpcs.get(vpcId);
  if (!vpc) throw notFound('InvalidVpcID.NotFound', `The vpc ID ${quoted(vpcId)} does not exist`);
  return vpc;
}

/**
 * EC2's internet gateways: created detached, attached to one VPC at a time. Attaching or
 * detaching one changes who is reachable from outside, so the VPC's rules are applied at once.
 */
export class InternetGatewayService {
  constructor(private readonly d: RoutingDeps) {}

  get(id: string): InternetGateway {
    assertId('igw', id, 'InvalidInternetGatewayId.Malformed');
    const igw = this.d.routing.gateways.get(id);
    if (!igw) {
      throw notFound(
        'InvalidInternetGatewayID.NotFound',
        `The internetGateway ID ${quoted(id)} does not exist`,
      );
    }
    return igw;
  }

  /** The gateways with these ids (each must exist), or all. */
  find(ids: readonly string[]): InternetGateway[] {
    return ids.length > 0 ? ids.map((id) => this.get(id)) : this.d.routing.gateways.list();
  }

  create(tags: readonly Tag[], dryRun: boolean): InternetGateway {
    if (dryRun) throw dryRunOperation();
    const igw: InternetGateway = { id: newId('igw'), tags: [...tags] };
    this.d.routing.gateways.put(igw);
    return igw;
  }

  async attach(id: string, vpcId: string, dryRun: boolean): Promise<void> {
    const igw = this.get(id);
    const vpc = vpcById(this.d.vpcs, vpcId);
    if (igw.vpcId) {
      throw alreadyExists(
        'Resource.AlreadyAssociated',
        `resource ${igw.id} is already attached to network ${igw.vpcId}; detach it first`,
      );
    }
    const other = this.d.routing.gateways.list().find((g) => g.vpcId === vpc.id);
    if (other) {
      throw alreadyExists(
        'Resource.AlreadyAssociated',
        `Network ${vpc.id} already has an internet gateway attached (${other.id}); detach it first`,
      );
    }
    if (dryRun) throw dryRunOperation();
    this.d.routing.gateways.put({ ...igw, vpcId: vpc.id });
    await this.d.applyVpc(vpc.id);
  }

  async detach(id: string, vpcId: string, dryRun: boolean): Promise<void> {
    const igw = this.get(id);
    const vpc = vpcById(this.d.vpcs, vpcId);
    if (igw.vpcId !== vpc.id) {
      throw new KumoError(
        'FailedPrecondition',
        'Gateway.NotAttached',
        `resource ${igw.id} is not attached to network ${vpc.id}`,
      );
    }
    // EC2 refuses while instances of the VPC have public or elastic IPs mapped.
    const eips = this.d.routing.addresses.list();
    const mapped = this.d.interfaces
      .list()
      .filter((e) => e.vpcId === vpc.id)
      .filter((e) => e.publicIp || eips.some((a) => a.networkInterfaceId === e.id));
    if (mapped.length > 0) {
      throw dependencyViolation(
        `Network ${vpc.id} has some mapped public address(es) (${mapped.map((e) => e.instanceId).join(', ')}). Please unmap those public address(es) before detaching the gateway.`,
      );
    }
    if (dryRun) throw dryRunOperation();
    this.d.routing.gateways.put({ ...igw, vpcId: undefined });
    await this.d.applyVpc(vpc.id);
  }

  delete(id: string, dryRun: boolean): void {
    const igw = this.get(id);
    if (igw.vpcId) {
      throw dependencyViolation(
        `The internetGateway ${quoted(igw.id)} has dependencies and cannot be deleted: it is attached to ${igw.vpcId}; detach it first`,
      );
    }
    if (dryRun) throw dryRunOperation();
    this.d.routing.gateways.delete(igw.id);
  }
}
