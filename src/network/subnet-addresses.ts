import { cidrContains, cidrSize, ipToInt, parseCidr } from '../core/cidr.js';
import { invalidCombination, invalidParameter, KumoError, quoted } from '../core/errors.js';
import { RESERVED_LEADING, RESERVED_TOTAL, type Subnet } from './vpc.js';

/**
 * Checks a private address asked for at launch (--private-ip-address, or PrivateIpAddress of the
 * first network interface) against the subnet, with EC2's codes: outside the subnet or one of
 * its five reserved addresses is InvalidParameterValue, held by another interface is
 * InvalidIPAddress.InUse. One fixed address cannot go to several instances.
 */
export function checkPrivateIp(
  subnet: Subnet,
  ip: string,
  used: ReadonlySet<string>,
  count: number,
): string {
  if (count > 1) {
    throw invalidCombination(
      `A private IP address (${ip}) can be given for one instance only; this launch asks for ${count}`,
    );
  }
  const n = ipToInt(ip);
  const cidr = parseCidr(subnet.cidr);
  if (!cidrContains(cidr, ip)) {
    throw invalidParameter(
      `Address ${quoted(ip)} is not in subnet ${subnet.id} (${subnet.cidr}); choose an address inside it`,
    );
  }
  const offset = n - cidr.network;
  if (offset < RESERVED_LEADING || offset === cidrSize(cidr) - 1) {
    throw invalidParameter(
      `Address ${ip} is in subnet ${subnet.id}'s reserved address range (the first four and the last address of ${subnet.cidr} are reserved)`,
    );
  }
  if (used.has(ip)) {
    throw new KumoError(
      'FailedPrecondition',
      'InvalidIPAddress.InUse',
      `Address ${ip} is in use in subnet ${subnet.id}; choose another address or leave it out`,
    );
  }
  return ip;
}

/** EC2's AvailableIpAddressCount: the subnet's size less its five reserved and its used addresses. */
export function availableIpAddressCount(subnet: Subnet, usedCount: number): number {
  return Math.max(0, cidrSize(parseCidr(subnet.cidr)) - RESERVED_TOTAL - usedCount);
}
