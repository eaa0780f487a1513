import { invalidParameter, quoted } from './errors.js';

/** An IPv4 network, e.g. 172.31.0.0/20, as integers for arithmetic. */
export interface Ipv4Cidr {
  readonly network: number;
  readonly prefix: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw invalidParameter(`Invalid IPv4 address: ${quoted(ip)}`);
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) {
      throw invalidParameter(`Invalid IPv4 address: ${quoted(ip)}`);
    }
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string): Ipv4Cidr {
  const [ip, len, extra] = text.split('/');
  const prefix = Number(len);
  if (ip === undefined || len === undefined || extra !== undefined || !/^\d+$/.test(len)) {
    throw invalidParameter(`Invalid CIDR block: ${quoted(text)} (expected a.b.c.d/n)`);
  }
  if (prefix < 1 || prefix > 30) {
    throw invalidParameter(`CIDR prefix /${prefix} in ${quoted(text)} must be between /1 and /30`);
  }
  const addr = ipToInt(ip);
  const network = addr - (addr % 2 ** (32 - prefix));
  if (network !== addr) {
    throw invalidParameter(
      `${quoted(text)} has host bits set; the network is ${intToIp(network)}/${prefix}`,
    );
  }
  return { network, prefix };
}

export function formatCidr(c: Ipv4Cidr): string {
  return `${intToIp(c.network)}/${c.prefix}`;
}

export function cidrSize(c: Ipv4Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** The n-th address of the network (0 = network address). */
export function nthAddress(c: Ipv4Cidr, n: number): string {
  if (n < 0 || n >= cidrSize(c)) throw new RangeError(`address ${n} outside ${formatCidr(c)}`);
  return intToIp(c.network + n);
}

export function cidrContains(c: Ipv4Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= c.network && n < c.network + cidrSize(c);
}

/**
 * The first free host address, skipping the first `reserved` addresses (EC2 reserves network, router,
 * DNS and one more: 4) and the broadcast address. Returns undefined when the network is full.
 */
export function firstFreeAddress(
  c: Ipv4Cidr,
  used: ReadonlySet<string>,
  reserved = 4,
): string | undefined {
  const last = cidrSize(c) - 1;
  for (let i = reserved; i < last; i++) {
    const ip = intToIp(c.network + i);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}
