import type { VpcRulesSpec } from './specs.js';

/**
 * Which /32 addresses to add to and remove from the VPC's uplink so that exactly the VPC's public
 * IPs are local there (the VPC namespace then answers the host's ARP for them, and DNAT takes them
 * from there). The router's own address has the pool's prefix, never /32, so it is never touched;
 * nor is any other non-/32 address. Pure.
 */
export function planUplinkAddresses(
  current: readonly string[],
  publicIps: VpcRulesSpec['publicIps'],
): { add: string[]; remove: string[] } {
  const wanted = new Set(publicIps.map((p) => `${p.publicIp}/32`));
  const have = new Set(current);
  return {
    add: [...wanted].filter((a) => !have.has(a)),
    remove: current.filter((a) => a.endsWith('/32') && !wanted.has(a)),
  };
}
