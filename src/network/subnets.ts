import { formatCidr, parseCidr } from '../core/cidr.js';
import {
  dependencyViolation,
  dryRunOperation,
  invalidParameter,
  KumoError,
  listed,
  quoted,
  unavailable,
} from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { Tag } from '../core/tags.js';
import { availableIpAddressCount } from './subnet-addresses.js';
import type { VpcDeps } from './vpc-deps.js';
import { overlaps, parseBlock, subnetById, vpcById, within } from './vpc-lookup.js';
import type { Subnet } from './vpc.js';

export interface CreateSubnetInput {
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly availabilityZone?: string | undefined;
  readonly tags?: readonly Tag[] | undefined;
  readonly dryRun?: boolean | undefined;
}

/** A subnet as describe-subnets shows it: with the addresses still free. */
export interface SubnetView {
  readonly subnet: Subnet;
  readonly availabilityZone: string;
  readonly availableIpAddressCount: number;
}

/**
 * EC2's subnet calls. A subnet is a row; its bridge and dnsmasq come with the first launch into
 * it (as for VPCs), and delete-subnet removes exactly those.
 */
export class SubnetService {
  constructor(private readonly d: VpcDeps) {}

  private get zone(): string {
    return this.d.settings.availabilityZones[0] ?? '';
  }

  create(input: CreateSubnetInput): Subnet {
    const vpc = vpcById(this.d.vpcs, input.vpcId);
    const block = parseBlock(input.cidrBlock, 'InvalidSubnet.Range', 'subnet');
    if (!within(block, parseCidr(vpc.cidr))) {
      throw new KumoError(
        'InvalidArgument',
        'InvalidSubnet.Range',
        `The CIDR ${quoted(input.cidrBlock)} is invalid: it is not inside ${vpc.id}'s block ${vpc.cidr}`,
      );
    }
    const clash = this.d.subnets
      .list()
      .find((s) => s.vpcId === vpc.id && overlaps(parseCidr(s.cidr), block));
    if (clash) {
      throw new KumoError(
        'AlreadyExists',
        'InvalidSubnet.Conflict',
        `The CIDR ${quoted(input.cidrBlock)} conflicts with another subnet: ${clash.id} (${clash.cidr}) of ${vpc.id}`,
      );
    }
    const zone = input.availabilityZone || this.zone;
    if (!this.d.settings.availabilityZones.includes(zone)) {
      throw invalidParameter(
        `Value (${quoted(zone)}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${this.d.settings.availabilityZones.join(', ')}.`,
      );
    }
    if (input.dryRun) throw dryRunOperation();
    const subnet: Subnet = {
      id: newId('subnet'),
      vpcId: vpc.id,
      cidr: formatCidr(block),
      isDefault: false,
      availabilityZone: zone,
      mapPublicIpOnLaunch: false,
      tags: input.tags ?? [],
    };
    this.d.subnets.put(subnet);
    this.d.logger.info('subnet created', { subnetId: subnet.id, vpcId: vpc.id, cidr: subnet.cidr });
    return subnet;
  }

  /** The subnets with these ids (all when none), each with its free address count. */
  find(ids: readonly string[]): SubnetView[] {
    const subnets =
      ids.length === 0
        ? this.d.subnets.list()
        : [...new Set(ids)].map((id) => subnetById(this.d.subnets, id));
    const used = new Map<string, number>();
    for (const e of this.d.interfaces.list()) used.set(e.subnetId, (used.get(e.subnetId) ?? 0) + 1);
    return subnets.map((subnet) => ({
      subnet,
      availabilityZone: subnet.availabilityZone ?? this.zone,
      availableIpAddressCount: availableIpAddressCount(subnet, used.get(subnet.id) ?? 0),
    }));
  }

  /** Deletes a subnet no instance is in, with its bridge and dnsmasq. */
  async delete(subnetId: string, dryRun = false): Promise<void> {
    const subnet = subnetById(this.d.subnets, subnetId);
    if (subnet.isDefault) {
      throw new KumoError(
        'FailedPrecondition',
        'OperationNotPermitted',
        `${subnet.id} is the default VPC's default subnet, where launches that name no subnet go; it cannot be deleted`,
      );
    }
    const users = this.d.interfaces.list().filter((e) => e.subnetId === subnet.id);
    if (users.length > 0) {
      throw dependencyViolation(
        `The subnet ${quoted(subnet.id)} has dependencies and cannot be deleted: instances ${listed(users.map((e) => e.instanceId))}. Terminate them first.`,
      );
    }
    if (dryRun) throw dryRunOperation();
    const vpc = vpcById(this.d.vpcs, subnet.vpcId);
    // The row goes first, synchronously, so no launch picks the subnet meanwhile; it comes back if
    // the host objects could not be removed, so a retry finishes the job.
    this.d.subnets.delete(subnet.id);
    try {
      await this.d.plumbing.removeSubnet(vpc, subnet);
    } catch (e) {
      this.d.subnets.put(subnet);
      throw unavailable(
        `The bridge and DHCP server of ${subnet.id} could not be removed; it is kept. Retry the call (the kumod log has the cause).`,
        e,
      );
    }
    this.d.logger.info('subnet deleted', { subnetId: subnet.id, vpcId: vpc.id });
  }

  /** EC2's ModifySubnetAttribute --map-public-ip-on-launch. */
  modifyAttribute(subnetId: string, change: { mapPublicIpOnLaunch?: boolean | undefined }): void {
    const subnet = subnetById(this.d.subnets, subnetId);
    if (change.mapPublicIpOnLaunch === undefined) {
      throw invalidParameter(
        'Pass --map-public-ip-on-launch or --no-map-public-ip-on-launch',
        'MissingParameter',
      );
    }
    this.d.subnets.put({ ...subnet, mapPublicIpOnLaunch: change.mapPublicIpOnLaunch });
  }
}
