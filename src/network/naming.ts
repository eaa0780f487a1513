import { idSuffix } from '../core/ids.js';

/**
 * Names the network domain gives (EC2's: MAC addresses, private DNS names). Linux object names
 * (namespaces, bridges, taps) are the host adapter's business: src/host/network/names.ts.
 */

/** A locally administered unicast MAC derived from the instance id (52:54:00 is QEMU's OUI). */
export function instanceMac(instanceId: string): string {
  const hex = idSuffix(instanceId).padEnd(17, '0');
  const bytes = [hex.slice(11, 13), hex.slice(13, 15), hex.slice(15, 17)];
  return ['52', '54', '00', ...bytes].join(':');
}

/** EC2-style private DNS name: ip-172-31-0-4.<domain>. */
export const privateHostname = (ip: string, domain: string): string =>
  `ip-${ip.replaceAll('.', '-')}.${domain}`;

/** EC2-style public DNS name of a public or elastic IP: ec2-198-51-100-7.<domain>. */
export const publicHostname = (ip: string, domain: string): string =>
  `ec2-${ip.replaceAll('.', '-')}.${domain}`;
