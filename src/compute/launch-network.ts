import { invalidCombination, invalidParameter, quoted } from '../core/errors.js';
import type { InterfacePlacement, LaunchGroups } from './ports.js';

/** One entry of run-instances --network-interfaces (EC2's InstanceNetworkInterfaceSpecification). */
export interface NetworkInterfaceInput {
  readonly deviceIndex?: number | undefined;
  readonly subnetId?: string | undefined;
  readonly privateIpAddress?: string | undefined;
  readonly groups?: readonly string[] | undefined;
  readonly associatePublicIpAddress?: boolean | undefined;
  readonly deleteOnTermination?: boolean | undefined;
  readonly networkInterfaceId?: string | undefined;
}

/** The network half of a launch request, instance-level or through --network-interfaces. */
export interface LaunchNetworkInput {
  readonly subnetId?: string | undefined;
  readonly securityGroupIds?: readonly string[] | undefined;
  readonly securityGroups?: readonly string[] | undefined;
  readonly privateIpAddress?: string | undefined;
  readonly networkInterfaces?: readonly NetworkInterfaceInput[] | undefined;
  readonly maxCount: number;
}

export interface LaunchNetwork {
  readonly subnetId: string | undefined;
  readonly groups: LaunchGroups;
  readonly placement: InterfacePlacement;
}

/**
 * Where a launch's interface goes, with EC2's rules: either instance-level options or one network
 * interface at DeviceIndex 0, never both; a fixed private address for one instance only. kumo
 * instances have one interface, made at launch (attaching an existing one is not offered).
 */
export function launchNetwork(input: LaunchNetworkInput): LaunchNetwork {
  const nis = input.networkInterfaces ?? [];
  if (nis.length === 0) {
    if (input.privateIpAddress && input.maxCount > 1) {
      throw invalidCombination(
        `A private IP address (${quoted(input.privateIpAddress)}) can be given for one instance only; pass --count 1`,
      );
    }
    return {
      subnetId: input.subnetId || undefined,
      groups: { ids: input.securityGroupIds ?? [], names: input.securityGroups ?? [] },
      placement: { privateIp: input.privateIpAddress || undefined },
    };
  }
  const clash = [
    input.subnetId ? 'subnet ID' : '',
    (input.securityGroupIds?.length ?? 0) + (input.securityGroups?.length ?? 0) > 0
      ? 'security groups'
      : '',
    input.privateIpAddress ? 'private IP address' : '',
  ].filter(Boolean);
  if (clash.length > 0) {
    throw invalidCombination(
      `Network interfaces and an instance-level ${clash.join(', ')} may not be specified on the same request; put them in the network interface`,
    );
  }
  if (nis.length > 1) {
    throw invalidParameter(
      `kumo instances have one network interface; ${nis.length} were given (pass only DeviceIndex=0)`,
    );
  }
  const ni = nis[0] as NetworkInterfaceInput;
  if (ni.deviceIndex !== 0) {
    throw invalidParameter(
      ni.deviceIndex === undefined
        ? 'Each network interface requires a device index; pass DeviceIndex=0'
        : `Device index ${ni.deviceIndex} is not offered: kumo instances have one network interface, DeviceIndex=0`,
    );
  }
  if (ni.networkInterfaceId) {
    throw invalidParameter(
      `Attaching an existing network interface (${quoted(ni.networkInterfaceId)}) is not offered; pass SubnetId instead`,
    );
  }
  if (ni.deleteOnTermination === false) {
    throw invalidParameter(
      "A launch's network interface is always deleted on termination; leave DeleteOnTermination out or true",
    );
  }
  if (ni.privateIpAddress && input.maxCount > 1) {
    throw invalidCombination(
      `A private IP address (${quoted(ni.privateIpAddress)}) can be given for one instance only; pass --count 1`,
    );
  }
  return {
    subnetId: ni.subnetId || undefined,
    groups: { ids: ni.groups ?? [], names: [] },
    placement: {
      privateIp: ni.privateIpAddress || undefined,
      associatePublicIp: ni.associatePublicIpAddress,
    },
  };
}
