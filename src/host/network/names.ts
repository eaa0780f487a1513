import { idSuffix } from '../../core/ids.js';

/** Linux keeps interface names in IFNAMSIZ (16) bytes including the terminating NUL. */
export const MAX_INTERFACE_NAME_BYTES = 15;

/**
 * Throws unless `name` is a valid Linux interface name: 1..15 bytes, no '/', ':' or whitespace,
 * not "." or "..". The kernel would reject these too, but with a bare "Invalid argument" long after
 * the caller could say which of its names was wrong.
 */
export function assertInterfaceName(name: string, role: string): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0 || bytes > MAX_INTERFACE_NAME_BYTES) {
    throw new Error(
      `${role} interface name "${name}" is ${bytes} bytes; Linux allows 1 to ${MAX_INTERFACE_NAME_BYTES}`,
    );
  }
  if (name === '.' || name === '..' || /[/:\s]/.test(name)) {
    throw new Error(
      `${role} interface name "${name}" must not be "." or ".." nor contain '/', ':' or whitespace`,
    );
  }
}

/**
 * Throws unless `name` is usable as a named network namespace: it becomes a file under /run/netns,
 * so a '/' or ".." would point somewhere else entirely.
 */
export function assertNetnsName(name: string): void {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || /\s/.test(name)) {
    throw new Error(
      `network namespace name "${name}" must be a plain file name (no '/', no spaces)`,
    );
  }
}

const MAC_ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** True for a MAC address written as six colon-separated hex pairs (as kumo writes them). */
export const isMacAddress = (mac: string): boolean => MAC_ADDRESS.test(mac);

/**
 * Linux names of kumod's network objects, derived from domain ids. Every name carries kumod's mark
 * (its prefix, or a kumo-only shape) so that kumod finds exactly its own objects; interface names
 * fit Linux's 15 bytes.
 */
export const vpcNetns = (prefix: string, vpcId: string): string => `${prefix}-${vpcId}`;
/** Host-side veth of a VPC's uplink: "kv" + 12 hex digits of the id. */
export const vpcUplinkHostIf = (vpcId: string): string => `kv${idSuffix(vpcId).slice(0, 12)}`;
/** The VPC-side end of the uplink, inside the VPC's own namespace. */
export const VPC_UPLINK_IF = 'uplink';
export const subnetBridge = (subnetId: string): string => `br${idSuffix(subnetId).slice(0, 12)}`;
/** "tap" + 12 hex digits: unique inside a VPC namespace, where it lives. */
export const instanceTap = (instanceId: string): string =>
  `tap${idSuffix(instanceId).slice(0, 12)}`;
/** The ipset of a security group's members (inside its VPC's namespace): "kumo-" + the id's hex. */
export const groupSet = (groupId: string): string => `kumo-${idSuffix(groupId)}`;
/** Sets are named in 31 bytes; kumo's are 5 + 17 and their temporary twins 2 more. */
export const isKumoSet = (name: string): boolean => /^kumo-[0-9a-f]{8,17}$/.test(name);
