import { cidrSize, formatCidr, nthAddress, parseCidr } from '../../core/cidr.js';
import type { CommandRunner } from '../command-runner.js';
import { assertInterfaceName } from './names.js';

/**
 * How machines of the operator's LAN reach the public pool (kumod --lan-mode):
 * - none: only the host itself reaches it (the default);
 * - routed: the LAN's router sends the pool to the host; kumod forwards between the uplink and
 *   the public bridge;
 * - proxy-arp: the host answers ARP on the uplink for every address of the pool, so machines on
 *   the uplink's L2 reach the pool with no router change.
 */
export type LanMode = 'none' | 'routed' | 'proxy-arp';

export interface LanAccessSpec {
  readonly mode: LanMode;
  /** The interface of kumod's namespace that faces the LAN (--uplink-interface). */
  readonly uplink: string;
  readonly publicBridge: string;
  readonly publicCidr: string;
  /** --outbound-nat: instances open connections out of the uplink, masqueraded. Off by default. */
  readonly outboundNat: boolean;
}

export const LAN_CHAINS = { forward: 'KUMO-LAN-FORWARD', outbound: 'KUMO-LAN-OUTBOUND' } as const;
const C = '-m comment --comment kumo';

/**
 * kumo's rules in kumod's namespace as one `iptables-restore --noflush` transaction: declaring
 * the two chains replaces their contents; the hooks into FORWARD and POSTROUTING are added
 * separately (once, checked first), since that namespace belongs to the operator and its
 * built-in chains are never flushed. Pure.
 *
 * Inbound from the LAN to the pool is forwarded; what instances start towards the uplink is
 * forwarded (and masqueraded) only with outboundNat; replies always pass.
 */
export function renderLanRules(spec: LanAccessSpec): string {
  assertInterfaceName(spec.uplink, 'uplink');
  assertInterfaceName(spec.publicBridge, 'public bridge');
  const pool = formatCidr(parseCidr(spec.publicCidr));
  const [up, br] = [spec.uplink, spec.publicBridge];
  return [
    '# kumo: LAN access to the public pool (iptables-restore --noflush, one transaction)',
    '*filter',
    `:${LAN_CHAINS.forward} - [0:0]`,
    `-A ${LAN_CHAINS.forward} -i ${up} -o ${br} -d ${pool} ${C} -j ACCEPT`,
    `-A ${LAN_CHAINS.forward} -i ${br} -o ${up} -s ${pool} -m conntrack --ctstate ESTABLISHED,RELATED ${C} -j ACCEPT`,
    `-A ${LAN_CHAINS.forward} -i ${br} -o ${up} -s ${pool} ${C} -j ${spec.outboundNat ? 'ACCEPT' : 'DROP'}`,
    'COMMIT',
    '*nat',
    `:${LAN_CHAINS.outbound} - [0:0]`,
    ...(spec.outboundNat
      ? [`-A ${LAN_CHAINS.outbound} -s ${pool} -o ${up} ${C} -j MASQUERADE`]
      : []),
    'COMMIT',
    '',
  ].join('\n');
}

/** The pool's addresses the host answers ARP for in proxy-arp mode (all but .0, .1, broadcast). */
export function proxiedAddresses(publicCidr: string): string[] {
  const pool = parseCidr(publicCidr);
  const size = cidrSize(pool);
  return Array.from({ length: Math.max(0, size - 3) }, (_, k) => nthAddress(pool, k + 2));
}

/**
 * Makes kumod's namespace forward the pool to and from the LAN as `spec` says. Idempotent:
 * sysctls are set, the rules replaced, the hooks added only when missing, the proxy entries
 * replaced. Each command has the runner's deadline.
 */
export async function ensureLanAccess(
  runner: CommandRunner,
  netns: string | undefined,
  spec: LanAccessSpec,
): Promise<void> {
  if (spec.mode === 'none' && !spec.outboundNat) return;
  const run = (cmd: string, args: string[], input?: string, okExitCodes?: number[]) =>
    runner.run(cmd, args, { netns, input, okExitCodes });
  await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
  await run('iptables-restore', ['--noflush'], renderLanRules(spec));
  for (const [table, chain, target] of [
    ['filter', 'FORWARD', LAN_CHAINS.forward],
    ['nat', 'POSTROUTING', LAN_CHAINS.outbound],
  ] as const) {
    const hook = ['-t', table, 'FORWARD' === chain ? '-I' : '-A', chain, '-j', target];
    const check = await run('iptables', ['-t', table, '-C', chain, '-j', target], undefined, [1]);
    if (check.exitCode !== 0) await run('iptables', hook);
  }
  if (spec.mode === 'proxy-arp') {
    // Answer at once rather than after up to proxy_delay (0.8 s by default).
    await run('sysctl', ['-q', '-w', `net.ipv4.neigh.${spec.uplink}.proxy_delay=0`]);
    const commands = proxiedAddresses(spec.publicCidr).map(
      (ip) => `neigh replace proxy ${ip} dev ${spec.uplink}`,
    );
    await run('ip', ['-batch', '-'], commands.join('\n') + '\n');
  }
}

/** The undo of ensureLanAccess: kumo's hooks, chains and proxy entries go (sysctls stay). */
export async function removeLanAccess(
  runner: CommandRunner,
  netns: string | undefined,
  spec: LanAccessSpec,
): Promise<void> {
  const run = (cmd: string, args: string[], input?: string) =>
    runner.run(cmd, args, { netns, input, okExitCodes: [1, 2] });
  await run('iptables', ['-t', 'filter', '-D', 'FORWARD', '-j', LAN_CHAINS.forward]);
  await run('iptables', ['-t', 'nat', '-D', 'POSTROUTING', '-j', LAN_CHAINS.outbound]);
  for (const [table, chain] of [
    ['filter', LAN_CHAINS.forward],
    ['nat', LAN_CHAINS.outbound],
  ] as const) {
    await run('iptables', ['-t', table, '-F', chain]);
    await run('iptables', ['-t', table, '-X', chain]);
  }
  if (spec.mode === 'proxy-arp') {
    await run('ip', ['neigh', 'flush', 'proxy', 'dev', spec.uplink]);
  }
}
