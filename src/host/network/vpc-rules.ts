import { ipToInt, parseCidr } from '../../core/cidr.js';
import type { VpcRulesSpec } from './specs.js';
import { assertInterfaceName, isMacAddress } from './names.js';
import { renderSecurityGroupFilter } from './security-group-rules.js';
import { METADATA_CHAIN, METADATA_HOOKS, renderMetadataRules } from './metadata-rules.js';

/** Every rule kumo writes carries this comment, so `iptables-save | grep kumo` shows its rules. */
export const RULE_COMMENT = 'kumo';
/** kumo's own chains in a VPC namespace. */
export const CHAINS = {
  prerouting: 'KUMO-PREROUTING',
  postrouting: 'KUMO-POSTROUTING',
  antispoof: 'KUMO-ANTISPOOF',
} as const;

const C = `-m comment --comment ${RULE_COMMENT}`;

function checkIp(ip: string): string {
  ipToInt(ip);
  return ip;
}

/** Throws unless an instance port's tap, IP and MAC are safe to write into a rules file. */
export function assertInstancePort(port: VpcRulesSpec['ports'][number]): void {
  assertInterfaceName(port.tap, 'instance tap');
  checkIp(port.ip);
  if (!isMacAddress(port.mac)) throw new Error(`invalid MAC for ${port.tap}: "${port.mac}"`);
}

/**
 * The VPC namespace's whole packet filter as one `iptables-restore --noflush` transaction. Pure.
 *
 * Chains: declaring KUMO-* in the text makes iptables-restore create or flush them, so their
 * contents are replaced atomically. Hooks: the built-in chains (nat PREROUTING/POSTROUTING, filter
 * INPUT/FORWARD) are flushed and refilled with exactly one jump each, in the same transaction. That
 * is safe only because the VPC namespace belongs to kumo entirely (nothing else writes rules
 * there), and it is the one way to keep "exactly one jump" idempotent without a read-then-write
 * race: restore files cannot say "append unless present". --noflush still matters: other tables
 * and any chains kumo adds later (e.g. security groups) survive. Components that need a hook must
 * add it here, as the built-ins hold nothing but these jumps.
 *
 * Contents: 1:1 NAT per public IP (DNAT on the way in, whatever the ingress interface, so the
 * host and other instances reach it; SNAT on the way out through the uplink), and anti-spoofing:
 * a frame entering from an instance port must carry that port's MAC and IP (DHCP from 0.0.0.0 is
 * the one exception); anything else entering from a bridge port is dropped. Every bridge port in
 * a VPC namespace is an instance port, so the catch-all is `--physdev-is-in`, which also covers
 * a port whose name does not start with "tap".
 */
export function renderVpcRules(spec: VpcRulesSpec): string {
  assertInterfaceName(spec.uplinkVpcIf, 'VPC uplink');
  parseCidr(spec.vpcCidr);
  const nat: string[] = [];
  for (const { publicIp, privateIp } of spec.publicIps) {
    checkIp(publicIp);
    checkIp(privateIp);
    nat.push(
      `-A ${CHAINS.prerouting} -d ${publicIp}/32 ${C} -j DNAT --to-destination ${privateIp}`,
    );
    nat.push(
      `-A ${CHAINS.postrouting} -s ${privateIp}/32 -o ${spec.uplinkVpcIf} ${C} -j SNAT --to-source ${publicIp}`,
    );
  }
  const filter: string[] = [];
  // No instance is a DHCP server: replies from port 67 never leave an instance port.
  if (spec.groups) {
    filter.push(
      `-A ${CHAINS.antispoof} -p udp -m udp --sport 67 --dport 68 -m physdev --physdev-is-in ${C} -j DROP`,
    );
  }
  for (const port of spec.ports) {
    assertInstancePort(port);
    const from = `-m physdev --physdev-in ${port.tap} -m mac --mac-source ${port.mac.toLowerCase()}`;
    // Source/destination check off (EC2's attribute): any IPv4 source, still only its own MAC.
    const source = port.sourceDestCheck === false ? '' : `-s ${port.ip}/32 `;
    filter.push(`-A ${CHAINS.antispoof} ${source}${from} ${C} -j RETURN`);
    filter.push(
      `-A ${CHAINS.antispoof} -s 0.0.0.0/32 -p udp -m udp --sport 68 --dport 67 ${from} ${C} -j RETURN`,
    );
  }
  filter.push(`-A ${CHAINS.antispoof} -m physdev --physdev-is-in ${C} -j DROP`);
  const metadata = renderMetadataRules(spec.ports);
  // Security groups, in the same transaction, when the spec has them.
  const sg = spec.groups
    ? renderSecurityGroupFilter(spec)
    : { chains: [] as string[], hooks: [] as string[], rules: [] as string[] };
  return [
    `# kumo: VPC rules for ${spec.netns} (iptables-restore --noflush, one transaction)`,
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    `:${CHAINS.prerouting} - [0:0]`,
    `:${CHAINS.postrouting} - [0:0]`,
    '-F PREROUTING',
    '-F POSTROUTING',
    `-A PREROUTING ${C} -j ${CHAINS.prerouting}`,
    `-A POSTROUTING ${C} -j ${CHAINS.postrouting}`,
    ...nat,
    'COMMIT',
    '*mangle',
    ':OUTPUT ACCEPT [0:0]',
    `:${METADATA_CHAIN} - [0:0]`,
    '-F OUTPUT',
    METADATA_HOOKS.mangleOutput,
    ...metadata.mangle,
    'COMMIT',
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    `:${CHAINS.antispoof} - [0:0]`,
    `:${METADATA_CHAIN} - [0:0]`,
    ...sg.chains.map((c) => `:${c} - [0:0]`),
    '-F INPUT',
    '-F FORWARD',
    `-A INPUT ${C} -j ${CHAINS.antispoof}`,
    METADATA_HOOKS.filterInput,
    `-A FORWARD ${C} -j ${CHAINS.antispoof}`,
    ...sg.hooks,
    ...filter,
    ...sg.rules,
    ...metadata.filter,
    'COMMIT',
    '',
  ].join('\n');
}
