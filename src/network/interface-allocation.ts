import { firstFreeAddress, parseCidr } from '../core/cidr.js';
import { KumoError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import type { InterfacePlacement } from '../compute/ports.js';
import { instanceMac } from './naming.js';
import type { NetworkInterface } from './network-interface.js';
import type { NetworkInterfaceRepository } from './ports.js';
import type { PublicAddressPool } from './public-address-pool.js';
import { checkPrivateIp } from './subnet-addresses.js';
import { mapPublicIpOnLaunch, RESERVED_LEADING, type Subnet } from './vpc.js';

/**
 * One interface per instance in the subnet: the first free private address (or the one asked
 * for), a public address from the pool when the subnet maps them or the launch asks for one, a
 * MAC no live interface has, the given security groups. Writes the records (the caller's unit of
 * work makes them atomic with its own). With no instances it only checks the address asked for.
 */
export function allocateInterfaces(
  deps: {
    readonly interfaces: NetworkInterfaceRepository;
    readonly publicAddresses: PublicAddressPool;
  },
  subnet: Subnet,
  groupIds: readonly string[],
  instanceIds: readonly string[],
  placement: InterfacePlacement,
): NetworkInterface[] {
  const live = deps.interfaces.list();
  const usedPrivate = new Set(live.filter((e) => e.subnetId === subnet.id).map((e) => e.privateIp));
  const fixed =
    placement.privateIp !== undefined
      ? checkPrivateIp(subnet, placement.privateIp, usedPrivate, instanceIds.length)
      : undefined;
  if (instanceIds.length === 0) return [];
  // The one place that decides whether a launch gets a public IP (EC2: the subnet's
  // MapPublicIpOnLaunch, overridden by the launch's AssociatePublicIpAddress). Elastic IPs,
  // held by the routing records, are never handed out again.
  const assignPublicIp = placement.associatePublicIp ?? mapPublicIpOnLaunch(subnet);
  const cidr = parseCidr(subnet.cidr);
  const usedPublic = deps.publicAddresses.used();
  const usedMacs = new Set(live.map((e) => e.mac));
  return instanceIds.map((instanceId) => {
    const privateIp = fixed ?? firstFreeAddress(cidr, usedPrivate, RESERVED_LEADING);
    if (!privateIp) {
      throw new KumoError(
        'ResourceExhausted',
        'InsufficientFreeAddressesInSubnet',
        `Subnet ${subnet.id} (${subnet.cidr}) has no free addresses left for ${instanceIds.length} instance(s); launch fewer instances or use another subnet`,
      );
    }
    usedPrivate.add(privateIp);
    const publicIp = assignPublicIp ? deps.publicAddresses.free(usedPublic) : undefined;
    if (publicIp) usedPublic.add(publicIp);
    let mac = instanceMac(instanceId);
    while (usedMacs.has(mac)) mac = instanceMac(newId('i'));
    usedMacs.add(mac);
    const eni: NetworkInterface = {
      id: newId('eni'),
      instanceId,
      vpcId: subnet.vpcId,
      subnetId: subnet.id,
      privateIp,
      publicIp,
      assignPublicIp,
      mac,
      groupIds,
      sourceDestCheck: true,
    };
    deps.interfaces.put(eni);
    return eni;
  });
}
