import { intToIp, ipToInt, parseCidr } from '../../core/cidr.js';
import type { DhcpReservation, DnsRecord } from '../../network/ports.js';
import type { SubnetHostSpec } from './specs.js';
import { assertInterfaceName, isMacAddress } from './names.js';

/** Where one subnet's dnsmasq keeps its files (all inside the subnet's runDir). */
export interface DnsmasqPaths {
  readonly conf: string;
  readonly hostsFile: string;
  /** The VPC's private names, "ip name" lines (dnsmasq's addn-hosts). */
  readonly dnsHostsFile: string;
  readonly leaseFile: string;
  readonly pidFile: string;
  readonly logFile: string;
  /** Digests of the configuration and hosts file the running dnsmasq has loaded (kumo's own). */
  readonly loadedFile: string;
}

export function dnsmasqPaths(runDir: string): DnsmasqPaths {
  return {
    conf: `${runDir}/dnsmasq.conf`,
    hostsFile: `${runDir}/dhcp-hosts`,
    dnsHostsFile: `${runDir}/dns-hosts`,
    leaseFile: `${runDir}/dnsmasq.leases`,
    pidFile: `${runDir}/dnsmasq.pid`,
    logFile: `${runDir}/dnsmasq.log`,
    loadedFile: `${runDir}/dnsmasq.loaded`,
  };
}

const HOSTNAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;
const DOMAIN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

// Every value lands in a line-oriented file: a stray newline or comma would add options, so each
// one is checked against its grammar rather than escaped.
function check(ok: boolean, what: string, value: string): void {
  if (!ok) throw new Error(`invalid ${what} for dnsmasq: ${JSON.stringify(value)}`);
}
const checkIp = (ip: string, what: string): void => {
  let ok = true;
  try {
    ipToInt(ip);
  } catch {
    ok = false;
  }
  check(ok, what, ip);
};
const checkPath = (p: string): void => check(p.startsWith('/') && !/[\s,]/.test(p), 'path', p);

/**
 * dnsmasq's configuration for one subnet, bound to the subnet's bridge, handing out addresses from
 * reservations alone (`static` range) with the gateway as router. With `spec.dns` it is also the
 * VPC's resolver on the gateway address: the VPC's names from the hosts file, authoritative for
 * the domain and the VPC's reverse zone (never forwarded), anything else forwarded to the
 * operator's DNS servers or refused when there are none. Without it, DHCP only (port=0).
 * Reservations and names live in separate files so a change needs only SIGHUP. Pure.
 */
export function renderDnsmasqConfig(spec: SubnetHostSpec, opts: { user: string }): string {
  assertInterfaceName(spec.bridge, 'subnet bridge');
  const cidr = parseCidr(spec.cidr);
  const gateway = spec.gatewayAddress.split('/')[0] ?? '';
  checkIp(gateway, 'gateway');
  check(DOMAIN.test(spec.domain), 'domain', spec.domain);
  spec.dnsServers.forEach((s) => checkIp(s, 'DNS server'));
  checkPath(spec.runDir);
  check(/^[a-z_][a-z0-9_-]*$/i.test(opts.user), 'user', opts.user);
  const mask = intToIp((0xffffffff << (32 - cidr.prefix)) >>> 0);
  const p = dnsmasqPaths(spec.runDir);
  const dns = spec.dns
    ? [
        '# DNS: the VPC resolver on the gateway address (docs/decisions/0023).',
        'port=53',
        'no-resolv',
        'no-hosts',
        'domain-needed',
        `addn-hosts=${p.dnsHostsFile}`,
        // Answered from the hosts file or NXDOMAIN, never forwarded.
        `local=/${spec.domain}/`,
        ...reverseZones(spec.dns.vpcCidr).map((z) => `local=/${z}/`),
        ...spec.dnsServers.map((s) => `server=${s}`),
        `dhcp-option=option:dns-server,${gateway}`,
      ]
    : [
        '# DHCP only: port=0 turns DNS off (the VPC has DNS support off).',
        'port=0',
        'no-resolv',
        'no-hosts',
        // Without this line dnsmasq would offer nothing; with DNS servers it offers exactly those.
        `dhcp-option=option:dns-server${spec.dnsServers.map((s) => `,${s}`).join('')}`,
      ];
  return [
    `# dnsmasq for ${spec.subnetId} (${spec.cidr}); written by kumo, rewritten on every reconcile.`,
    ...dns,
    `interface=${spec.bridge}`,
    'except-interface=lo',
    'bind-interfaces',
    `user=${opts.user}`,
    `dhcp-range=${intToIp(cidr.network)},static,${mask},1h`,
    `dhcp-option=option:router,${gateway}`,
    `dhcp-option=option:domain-name,${spec.domain}`,
    'dhcp-authoritative',
    `dhcp-hostsfile=${p.hostsFile}`,
    `dhcp-leasefile=${p.leaseFile}`,
    `pid-file=${p.pidFile}`,
    `log-facility=${p.logFile}`,
    'log-dhcp',
    '',
  ].join('\n');
}

/**
 * The in-addr.arpa zone that covers a block, at the octet boundary at or above it: 10.0.0.0/16 is
 * 0.10.in-addr.arpa, 172.31.0.0/20 is 31.172.in-addr.arpa (a little more than the block: names
 * there are answered locally, never sent upstream). Pure.
 */
export function reverseZones(block: string): string[] {
  const c = parseCidr(block);
  const octets = Math.max(1, Math.floor(c.prefix / 8));
  const parts = intToIp(c.network).split('.').slice(0, octets);
  return [`${parts.reverse().join('.')}.in-addr.arpa`];
}

/** dnsmasq's addn-hosts file: one "ip name" line per record, ordered by address. Pure. */
export function renderDnsHosts(records: readonly DnsRecord[]): string {
  return [...records]
    .map((r) => {
      checkIp(r.ip, 'DNS record address');
      check(DOMAIN.test(r.name), 'DNS name', r.name);
      return r;
    })
    .sort((a, b) => ipToInt(a.ip) - ipToInt(b.ip))
    .map((r) => `${r.ip} ${r.name}\n`)
    .join('');
}

/** dnsmasq's dhcp-hostsfile: one "mac,ip,hostname" line per reservation, ordered by address. Pure. */
export function renderDhcpHosts(reservations: readonly DhcpReservation[]): string {
  return [...reservations]
    .map((r) => {
      check(isMacAddress(r.mac), 'MAC', r.mac);
      checkIp(r.ip, 'reserved IP');
      if (r.hostname !== undefined) check(HOSTNAME.test(r.hostname), 'hostname', r.hostname);
      return r;
    })
    .sort((a, b) => ipToInt(a.ip) - ipToInt(b.ip))
    .map(
      (r) => `${r.mac.toLowerCase()},${r.ip}${r.hostname !== undefined ? `,${r.hostname}` : ''}\n`,
    )
    .join('');
}

/**
 * Drops the leases whose MAC -> IP pair is no longer reserved. dnsmasq refuses to hand a reserved
 * address to its new owner while an old lease for another MAC holds it ("not using configured
 * address ... because it is leased to ..."), and private IPs are reused as soon as an instance
 * terminates. Lines that are not IPv4 leases (e.g. "duid ...") are kept. Pure.
 */
export function pruneLeases(
  leases: string,
  reservations: readonly DhcpReservation[],
): { text: string; dropped: number } {
  const wanted = new Set(reservations.map((r) => `${r.mac.toLowerCase()} ${r.ip}`));
  let dropped = 0;
  const kept = leases.split('\n').filter((line) => {
    const [expiry, mac, ip] = line.split(' ');
    const isV4Lease = /^\d+$/.test(expiry ?? '') && isMacAddress(mac ?? '') && ip?.includes('.');
    if (!isV4Lease || wanted.has(`${mac?.toLowerCase()} ${ip}`)) return true;
    dropped++;
    return false;
  });
  return { text: kept.join('\n'), dropped };
}
