import type { VpcRulesSpec } from './specs.js';
import { assertInstancePort } from './vpc-rules.js';

/** kumo's ebtables chain in a VPC namespace: what instance ports may send below IPv4. */
export const L2_CHAIN = 'KUMO-PORTS';

/**
 * The VPC namespace's bridge-level filter, as one `ebtables-restore --noflush` transaction. Pure.
 *
 * iptables (vpc-rules.ts) pins each port's IPv4 source; this pins the rest of what a guest can
 * say on its subnet's bridge:
 * - ARP only with the port's own MAC as Ethernet and ARP sender and its own IP as sender address
 *   (0.0.0.0 allowed for RFC 5227 probes), so a guest cannot poison the router's or another
 *   guest's neighbour table and draw their traffic;
 * - no IPv6 at all: VPCs are IPv4-only, and a guest's router advertisements would otherwise give
 *   its neighbours an IPv6 default route through it.
 * As in vpc-rules.ts, the built-in INPUT and FORWARD chains hold nothing but kumo's jump, and every
 * bridge port in a VPC namespace is an instance port, so the drops need no port match.
 */
export function renderVpcL2Rules(spec: VpcRulesSpec): string {
  const rules: string[] = [];
  for (const port of spec.ports) {
    assertInstancePort(port);
    const mac = port.mac.toLowerCase();
    for (const ip of [port.ip, '0.0.0.0']) {
      rules.push(
        `-A ${L2_CHAIN} -p ARP -i ${port.tap} -s ${mac} --arp-mac-src ${mac} --arp-ip-src ${ip} -j RETURN`,
      );
    }
  }
  return [
    `# kumo: bridge-level rules for ${spec.netns} (ebtables-restore --noflush, one transaction)`,
    '*filter',
    ':INPUT ACCEPT',
    ':FORWARD ACCEPT',
    ':OUTPUT ACCEPT',
    `:${L2_CHAIN} RETURN`,
    '-F INPUT',
    '-F FORWARD',
    `-A INPUT -j ${L2_CHAIN}`,
    `-A FORWARD -j ${L2_CHAIN}`,
    ...rules,
    `-A ${L2_CHAIN} -p ARP -j DROP`,
    `-A ${L2_CHAIN} -p IPv6 -j DROP`,
    '',
  ].join('\n');
}
