import { invalidParameter, quoted } from '../core/errors.js';
import type { IpProtocol, SecurityGroupRule } from './security-group.js';

/** EC2's IpPermission as a request carries it (authorize/revoke). */
export interface IpPermissionInput {
  readonly ipProtocol: string;
  readonly fromPort?: number | undefined;
  readonly toPort?: number | undefined;
  readonly ipRanges: readonly { readonly cidrIp: string; readonly description?: string }[];
  readonly groupPairs: readonly {
    readonly groupId?: string;
    readonly groupName?: string;
    readonly description?: string;
  }[];
}

/** A rule as asked for, before it has an id. */
export type RuleDraft = Omit<SecurityGroupRule, 'id'>;

/** Finds the group a permission names (by id or name), refusing unknown and foreign ones. */
export type GroupResolver = (ref: { groupId?: string; groupName?: string }) => string;

const PROTOCOL_NAMES: Readonly<Record<string, IpProtocol>> = {
  '-1': '-1',
  all: '-1',
  tcp: 'tcp',
  '6': 'tcp',
  udp: 'udp',
  '17': 'udp',
  icmp: 'icmp',
  '1': 'icmp',
};

/** EC2's protocol names and numbers: tcp/6, udp/17, icmp/1, -1 (all), or any number 0-255. */
export function normalizeProtocol(raw: string): IpProtocol {
  const p = raw.trim().toLowerCase();
  const known = PROTOCOL_NAMES[p];
  if (known) return known;
  if (/^\d{1,3}$/.test(p) && Number(p) <= 255) return String(Number(p));
  throw invalidParameter(
    `Invalid value ${quoted(raw)} for IP protocol. Unknown protocol; use tcp, udp, icmp, -1 (all) or a protocol number 0-255.`,
  );
}

function checkPort(value: number, what: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `Invalid value '${value}' for ${what}: it must be between ${min} and ${max}.`,
    );
  }
  return value;
}

/** The rule's port fields as EC2 stores them for its protocol. */
export function normalizePorts(
  protocol: IpProtocol,
  fromPort: number | undefined,
  toPort: number | undefined,
): { fromPort: number; toPort: number } {
  if (protocol === 'tcp' || protocol === 'udp') {
    if (fromPort === undefined || toPort === undefined) {
      throw invalidParameter(
        `Invalid value for portRange. Must specify both from and to ports with TCP/UDP (e.g. --port 22 or FromPort=22,ToPort=22).`,
      );
    }
    checkPort(fromPort, 'FromPort', 0, 65535);
    checkPort(toPort, 'ToPort', 0, 65535);
    if (fromPort > toPort) {
      throw invalidParameter(
        `Invalid ${protocol.toUpperCase()} port range ${fromPort}-${toPort}: FromPort must not be greater than ToPort.`,
      );
    }
    return { fromPort, toPort };
  }
  if (protocol === 'icmp') {
    const type = checkPort(fromPort ?? -1, 'ICMP type (FromPort)', -1, 255);
    const code = checkPort(toPort ?? -1, 'ICMP code (ToPort)', -1, 255);
    if (type === -1 && code !== -1) {
      throw invalidParameter(`Invalid ICMP code ${code}: a code needs an ICMP type (FromPort).`);
    }
    return { fromPort: type, toPort: code };
  }
  // All protocols, or one without ports: EC2 ignores the range.
  return { fromPort: -1, toPort: -1 };
}

/** An IPv4 CIDR for a rule, /0 to /32, with no host bits (EC2 refuses 10.0.0.5/8). */
export function normalizeRuleCidr(raw: string): string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(raw.trim());
  const parts = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || parts.some((p) => p > 255) || prefix > 32) {
    throw invalidParameter(
      `CIDR block ${quoted(raw)} is malformed; use a.b.c.d/n, e.g. 203.0.113.0/24.`,
    );
  }
  const addr = parts.reduce((n, p) => n * 256 + p, 0);
  const size = 2 ** (32 - prefix);
  const network = addr - (addr % size);
  if (network !== addr) {
    const net = [network >>> 24, (network >>> 16) & 255, (network >>> 8) & 255, network & 255];
    throw invalidParameter(
      `CIDR block ${quoted(raw)} is malformed: it has host bits set; the network is ${net.join('.')}/${prefix}.`,
    );
  }
  return `${parts.join('.')}/${prefix}`;
}

function checkDescription(d: string | undefined): string | undefined {
  if (d === undefined || d === '') return undefined;
  // EC2: up to 255 characters of a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$*
  if (d.length > 255 || !/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/.test(d)) {
    throw invalidParameter(
      `Invalid rule description ${quoted(d)}: up to 255 characters of letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*`,
    );
  }
  return d;
}

/**
 * Expands permissions into rule drafts, one per CIDR and per referenced group, as EC2 counts
 * rules. Validates everything before returning, so a bad permission changes nothing.
 */
export function expandPermissions(
  permissions: readonly IpPermissionInput[],
  egress: boolean,
  resolveGroup: GroupResolver,
): RuleDraft[] {
  if (permissions.length === 0) {
    throw invalidParameter(
      'No rule given: pass --ip-permissions, or --protocol with --port and --cidr or --source-group',
      'MissingParameter',
    );
  }
  const drafts: RuleDraft[] = [];
  for (const p of permissions) {
    const protocol = normalizeProtocol(p.ipProtocol);
    const ports = normalizePorts(protocol, p.fromPort, p.toPort);
    if (p.ipRanges.length === 0 && p.groupPairs.length === 0) {
      throw invalidParameter(
        'Each IpPermission needs at least one peer: IpRanges (a CIDR) or UserIdGroupPairs (a security group)',
        'MissingParameter',
      );
    }
    for (const r of p.ipRanges) {
      drafts.push({
        egress,
        protocol,
        ...ports,
        cidrIpv4: normalizeRuleCidr(r.cidrIp),
        description: checkDescription(r.description),
      });
    }
    for (const g of p.groupPairs) {
      drafts.push({
        egress,
        protocol,
        ...ports,
        groupId: resolveGroup(g),
        description: checkDescription(g.description),
      });
    }
  }
  return drafts;
}

/** EC2's IpPermissions view: rules that share protocol and ports listed together. */
export interface IpPermissionView {
  readonly ipProtocol: string;
  readonly fromPort?: number | undefined;
  readonly toPort?: number | undefined;
  readonly ipRanges: { cidrIp: string; description?: string | undefined }[];
  readonly groupPairs: { groupId: string; description?: string | undefined }[];
}

export function permissionsOf(rules: readonly SecurityGroupRule[]): IpPermissionView[] {
  const byKey = new Map<string, IpPermissionView>();
  for (const r of rules) {
    const key = `${r.protocol}|${r.fromPort}|${r.toPort}`;
    let view = byKey.get(key);
    if (!view) {
      // EC2 leaves the ports out for "all traffic".
      const ported = r.protocol !== '-1';
      view = {
        ipProtocol: r.protocol,
        fromPort: ported ? r.fromPort : undefined,
        toPort: ported ? r.toPort : undefined,
        ipRanges: [],
        groupPairs: [],
      };
      byKey.set(key, view);
    }
    if (r.cidrIpv4) view.ipRanges.push({ cidrIp: r.cidrIpv4, description: r.description });
    if (r.groupId) view.groupPairs.push({ groupId: r.groupId, description: r.description });
  }
  return [...byKey.values()];
}
