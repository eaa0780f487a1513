import { idSuffix } from '../core/ids.js';

/**
 * Host object names derived from ids, all carrying the daemon's mark so it can find exactly its
 * own objects. Linux interface names are at most 15 bytes.
 */
export interface HostNaming {
  /** Prefix for network namespace names, e.g. "kumo" (tests use a random one). */
  readonly prefix: string;
}

export const vpcNetns = (n: HostNaming, vpcId: string): string => `${n.prefix}-${vpcId}`;
/** Host-side veth of a VPC's uplink: "kv" + 12 hex digits of the id. */
export const vpcUplinkHostIf = (vpcId: string): string => `kv${idSuffix(vpcId).slice(0, 12)}`;
export const VPC_UPLINK_IF = 'uplink';
export const subnetBridge = (subnetId: string): string => `br${idSuffix(subnetId).slice(0, 12)}`;
/** "tap" + 12 hex digits: unique inside a VPC namespace, where it lives. */
export const instanceTap = (instanceId: string): string =>
  `tap${idSuffix(instanceId).slice(0, 12)}`;

/** A locally administered unicast MAC derived from the instance id (52:54:00 is QEMU's OUI). */
export function instanceMac(instanceId: string): string {
  const hex = idSuffix(instanceId).padEnd(17, '0');
  const bytes = [hex.slice(11, 13), hex.slice(13, 15), hex.slice(15, 17)];
  return ['52', '54', '00', ...bytes].join(':');
}

/** EC2-style private DNS name: ip-172-31-0-4.<domain>. */
export const privateHostname = (ip: string, domain: string): string =>
  `ip-${ip.replaceAll('.', '-')}.${domain}`;
