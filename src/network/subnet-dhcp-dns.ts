import { privateHostname, publicHostname } from './naming.js';
import type { NetworkInterface } from './network-interface.js';
import type { DhcpReservation, SubnetDns } from './ports.js';
import { dnsHostnames, dnsSupport, type Subnet, type Vpc } from './vpc.js';

/**
 * What one subnet's dnsmasq serves, from the VPC's interfaces: a DHCP reservation per interface
 * of the subnet (with its host name when the VPC has DNS hostnames, as EC2), and, when the VPC
 * has DNS support, every private name of the whole VPC (docs/decisions/0023). With DNS hostnames
 * too, each public DNS name answers with its private address inside the VPC, as EC2's resolver
 * does; the private name comes first, so the reverse lookup gives it. Pure.
 */
export function subnetDhcpDns(
  vpc: Vpc,
  subnet: Subnet,
  vpcInterfaces: readonly NetworkInterface[],
  domain: string,
  publicNames?: {
    readonly domain: string;
    /** The public (pool or elastic) address an interface has now, if any. */
    readonly ipOf: (e: NetworkInterface) => string | undefined;
  },
): { reservations: DhcpReservation[]; dns: SubnetDns | undefined } {
  const reservations = vpcInterfaces
    .filter((e) => e.subnetId === subnet.id)
    .map((e) => ({
      mac: e.mac,
      ip: e.privateIp,
      hostname: dnsHostnames(vpc)
        ? (privateHostname(e.privateIp, domain).split('.')[0] as string)
        : undefined,
    }));
  const dns = dnsSupport(vpc)
    ? {
        records: vpcInterfaces.flatMap((e) => {
          const own = { ip: e.privateIp, name: privateHostname(e.privateIp, domain) };
          const publicIp = publicNames && dnsHostnames(vpc) ? publicNames.ipOf(e) : undefined;
          if (!publicNames || !publicIp) return [own];
          return [own, { ip: e.privateIp, name: publicHostname(publicIp, publicNames.domain) }];
        }),
      }
    : undefined;
  return { reservations, dns };
}
