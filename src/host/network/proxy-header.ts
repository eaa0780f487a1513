/** The endpoints of one TCP connection, as the metadata proxy saw them on its accepted socket. */
export interface ConnectionEndpoints {
  readonly sourceIp: string;
  readonly sourcePort: number;
  readonly destIp: string;
  readonly destPort: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * The plain IPv4 form of a socket address ("::ffff:1.2.3.4" and "1.2.3.4" both give "1.2.3.4"),
 * or undefined for anything that is not IPv4.
 */
export function toIpv4(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return IPV4.test(plain) ? plain : undefined;
}

const isPort = (p: number): boolean => Number.isInteger(p) && p >= 0 && p <= 65535;

/**
 * The PROXY protocol v1 line (haproxy's spec, section 2.1) that tells kumod who connected:
 * "PROXY TCP4 <src> <dst> <sport> <dport>\r\n". Built only from the kernel's view of the socket,
 * never from anything the guest sent; throws on anything that is not IPv4 so a malformed line
 * can never reach kumod.
 */
export function renderProxyHeaderV1(c: ConnectionEndpoints): string {
  const src = toIpv4(c.sourceIp);
  const dst = toIpv4(c.destIp);
  if (src === undefined || dst === undefined) {
    throw new Error(`PROXY v1 TCP4 needs IPv4 endpoints, got ${c.sourceIp} -> ${c.destIp}`);
  }
  if (!isPort(c.sourcePort) || !isPort(c.destPort)) {
    throw new Error(`invalid port in ${c.sourcePort} -> ${c.destPort}`);
  }
  return `PROXY TCP4 ${src} ${dst} ${c.sourcePort} ${c.destPort}\r\n`;
}
