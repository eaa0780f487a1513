import { ipToInt } from '../../core/cidr.js';
import type {
  GroupRulesSpec,
  MemberSetSpec,
  PortRulesSpec,
  RuleSpec,
  VpcRulesSpec,
} from './specs.js';
import { isKumoSet } from './names.js';
import { realmOf } from './policy-routing.js';

/**
 * Security groups as iptables chains in a VPC namespace (rendered into the same
 * iptables-restore transaction as NAT and anti-spoofing, see vpc-rules.ts). Pure.
 *
 * Every packet between instances, or between an instance and the outside, crosses the VPC
 * namespace's FORWARD chain once (bridged frames through br_netfilter, routed packets as usual),
 * so both ends' groups are checked there:
 *
 *   FORWARD -> KUMO-SG: ESTABLISHED,RELATED accept (stateful: replies, and connections a revoked
 *     rule had allowed); from an instance port: host addresses dropped, then its egress chain
 *     KUMO-O-<tap> (an allowed packet goes on to KUMO-IN, anything else is dropped); a port with
 *     no chain is dropped (closed until its rules are in).
 *   KUMO-IN: to an instance address: its ingress chain KUMO-I-<tap> (allow -> ACCEPT, else DROP);
 *     any other VPC address is dropped; the rest (public side) is accepted.
 *   INPUT -> KUMO-GUARD for packets from instance ports to the router itself: DHCP, DNS and the
 *     metadata service only (plus replies), unless the operator opted in.
 *
 * Group references match the peer group's ipset (its members' private addresses), so membership
 * changes only the sets, never this text.
 */
export const SG_CHAINS = {
  sg: 'KUMO-SG',
  in: 'KUMO-IN',
  guard: 'KUMO-GUARD',
} as const;
export const METADATA_IP = '169.254.169.254';

const C = '-m comment --comment kumo';
export const ingressChain = (tap: string): string => `KUMO-I-${tap}`;
/** Whether a chain name is one of kumo's per-port chains. */
export const isPortChain = (name: string): boolean => /^KUMO-[IO]-[A-Za-z0-9]{1,15}$/.test(name);
export const egressChain = (tap: string): string => `KUMO-O-${tap}`;

function checkIp(ip: string): string {
  ipToInt(ip);
  return ip;
}

function checkCidr(cidr: string): string {
  const [ip, len, extra] = cidr.split('/');
  if (
    ip === undefined ||
    len === undefined ||
    extra !== undefined ||
    !/^\d{1,2}$/.test(len) ||
    Number(len) > 32
  ) {
    throw new Error(`invalid CIDR in a rule: "${cidr}"`);
  }
  checkIp(ip);
  return cidr;
}

function checkPort(n: number): number {
  if (!Number.isInteger(n) || n < -1 || n > 65535) throw new Error(`invalid port/type ${n}`);
  return n;
}

/** The match part of one rule, for the direction its chain checks. */
export function ruleMatch(rule: RuleSpec): string {
  const parts: string[] = [];
  if (rule.cidr !== undefined) {
    if (checkCidr(rule.cidr) !== '0.0.0.0/0')
      parts.push(`${rule.egress ? '-d' : '-s'} ${rule.cidr}`);
  } else if (rule.peerSet !== undefined) {
    if (!isKumoSet(rule.peerSet)) throw new Error(`invalid set name "${rule.peerSet}"`);
    parts.push(`-m set --match-set ${rule.peerSet} ${rule.egress ? 'dst' : 'src'}`);
  } else {
    throw new Error('a rule needs a CIDR or a peer set');
  }
  const from = checkPort(rule.fromPort);
  const to = checkPort(rule.toPort);
  switch (rule.protocol) {
    case '-1':
      break;
    case 'tcp':
    case 'udp': {
      const range = from === to ? `${from}` : `${from}:${to}`;
      parts.push(`-p ${rule.protocol} -m ${rule.protocol} --dport ${range}`);
      break;
    }
    case 'icmp':
      parts.push('-p icmp');
      if (from !== -1) parts.push(`-m icmp --icmp-type ${to === -1 ? from : `${from}/${to}`}`);
      break;
    default:
      if (!/^\d{1,3}$/.test(rule.protocol) || Number(rule.protocol) > 255) {
        throw new Error(`invalid protocol "${rule.protocol}"`);
      }
      parts.push(`-p ${rule.protocol}`);
  }
  return parts.join(' ');
}

/** Chain declarations and rules of the security-group part of the filter table. */
export function renderSecurityGroupFilter(spec: VpcRulesSpec): {
  chains: string[];
  hooks: string[];
  rules: string[];
} {
  const groups = new Map((spec.groups ?? []).map((g) => [g.id, g]));
  const ports = spec.ports;
  const chains: string[] = [SG_CHAINS.sg, SG_CHAINS.in, SG_CHAINS.guard];
  for (const p of ports) chains.push(egressChain(p.tap), ingressChain(p.tap));
  const hooks = [
    `-A INPUT -m physdev --physdev-is-in ${C} -j ${SG_CHAINS.guard}`,
    `-A FORWARD ${C} -j ${SG_CHAINS.sg}`,
  ];
  const rules: string[] = [];
  // The comment goes before the target, where iptables-save prints it.
  const withComment = (chain: string, r: string) => {
    const at = r.lastIndexOf('-j ');
    return `-A ${chain} ${r.slice(0, at)}${C} ${r.slice(at)}`.replace(/ {2,}/g, ' ');
  };
  const sg = (r: string) => rules.push(withComment(SG_CHAINS.sg, r));
  const guard = (r: string) => rules.push(withComment(SG_CHAINS.guard, r));

  // The router itself: DHCP, DNS (the VPC resolver on each subnet's gateway) and metadata,
  // whatever the groups say (as in EC2).
  guard('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  guard('-p udp -m udp --sport 68 --dport 67 -j ACCEPT');
  guard('-m addrtype --dst-type LOCAL -p udp -m udp --dport 53 -j ACCEPT');
  guard('-m addrtype --dst-type LOCAL -p tcp -m tcp --dport 53 -j ACCEPT');
  guard(`-d ${METADATA_IP}/32 -p tcp -m tcp --dport 80 -j ACCEPT`);
  guard(spec.allowHostAccess ? '-j ACCEPT' : '-j DROP');

  sg('-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  if (!spec.allowHostAccess) {
    for (const a of spec.hostAddresses ?? []) {
      sg(`-m physdev --physdev-is-in -d ${checkIp(a)}/32 -j DROP`);
    }
  }
  for (const p of ports) sg(`-m physdev --physdev-in ${p.tap} -j ${egressChain(p.tap)}`);
  sg('-m physdev --physdev-is-in -j DROP');
  sg(`-j ${SG_CHAINS.in}`);

  for (const p of ports) {
    rules.push(`-A ${SG_CHAINS.in} -d ${checkIp(p.ip)}/32 ${C} -j ${ingressChain(p.tap)}`);
  }
  // Packets a route table sends to an instance for another destination (a NAT instance): its
  // ingress rules judge them when its source/destination check is off; with the check on they
  // are dropped (EC2's destination check). The route carries the instance's realm.
  for (const p of ports) {
    const target = p.sourceDestCheck === false ? ingressChain(p.tap) : 'DROP';
    rules.push(`-A ${SG_CHAINS.in} -m realm --realm ${realmOf(p.ip)} ${C} -j ${target}`);
  }
  rules.push(`-A ${SG_CHAINS.in} -d ${spec.vpcCidr} ${C} -j DROP`);
  rules.push(`-A ${SG_CHAINS.in} ${C} -j ACCEPT`);

  for (const p of ports) rules.push(...portChains(p, groups));
  // Gone ports' chains: declared (so flushed), no longer referenced, deleted.
  for (const c of spec.staleChains ?? []) {
    if (!/^KUMO-[IO]-[A-Za-z0-9]{1,15}$/.test(c)) throw new Error(`invalid chain name "${c}"`);
    if (chains.includes(c)) continue;
    chains.push(c);
    rules.push(`-X ${c}`);
  }
  return { chains, hooks, rules };
}

/** One port's egress and ingress chains: the union of its groups' rules, allow-only. */
function portChains(port: PortRulesSpec, groups: ReadonlyMap<string, GroupRulesSpec>): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const id of port.groupIds ?? []) {
    const g = groups.get(id);
    if (!g) throw new Error(`port ${port.tap} names group ${id}, which is not in the spec`);
    for (const r of g.rules) {
      const chain = r.egress ? egressChain(port.tap) : ingressChain(port.tap);
      const target = r.egress ? SG_CHAINS.in : 'ACCEPT';
      const line = `-A ${chain} ${ruleMatch(r)} ${C} -j ${target}`.replace(/ {2,}/g, ' ');
      // Two groups with the same rule: one line is enough.
      if (!seen.has(line)) out.push(line);
      seen.add(line);
    }
  }
  out.push(`-A ${egressChain(port.tap)} ${C} -j DROP`);
  out.push(`-A ${ingressChain(port.tap)} ${C} -j DROP`);
  return out;
}

/**
 * The member sets as one `ipset -exist restore` input. `previous` is what this process last
 * applied in the namespace: with it, only the differences are written (a membership change costs
 * the same whatever the group's size, and a set that did not change costs nothing); without it,
 * each set is filled afresh in a temporary twin and swapped in whole, so no reader ever sees a
 * half-filled set.
 */
export function renderMemberSets(
  sets: readonly MemberSetSpec[],
  previous?: ReadonlyMap<string, ReadonlySet<string>>,
): string {
  const lines: string[] = [];
  for (const s of sets) {
    if (!isKumoSet(s.name)) throw new Error(`invalid set name "${s.name}"`);
    s.members.forEach(checkIp);
    const before = previous?.get(s.name);
    if (before) {
      const now = new Set(s.members);
      const changes = [
        ...s.members.filter((ip) => !before.has(ip)).map((ip) => `add ${s.name} ${ip}`),
        ...[...before].filter((ip) => !now.has(ip)).map((ip) => `del ${s.name} ${ip}`),
      ];
      // A set this process wrote and that did not change needs no line (and no ipset process).
      if (changes.length > 0) lines.push(`create ${s.name} hash:ip family inet`, ...changes);
    } else {
      const tmp = `${s.name}-n`;
      lines.push(`create ${s.name} hash:ip family inet`);
      lines.push(`create ${tmp} hash:ip family inet`, `flush ${tmp}`);
      for (const ip of s.members) lines.push(`add ${tmp} ${ip}`);
      lines.push(`swap ${tmp} ${s.name}`, `destroy ${tmp}`);
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}

/**
 * Fail closed: inserted at the top of the built-in chains (which always exist), so it holds even
 * when kumo's own chains could not be written; the next full apply flushes the built-ins.
 */
export function renderIsolation(ports: readonly PortRulesSpec[]): string {
  const lines = ['*filter'];
  for (const p of ports) {
    lines.push(`-I FORWARD 1 -m physdev --physdev-in ${p.tap} ${C} -j DROP`);
    lines.push(`-I FORWARD 1 -d ${checkIp(p.ip)}/32 ${C} -j DROP`);
    lines.push(`-I INPUT 1 -m physdev --physdev-in ${p.tap} ${C} -j DROP`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}
