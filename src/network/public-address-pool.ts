import { cidrContains, firstFreeAddress, parseCidr, type Ipv4Cidr } from '../core/cidr.js';
import { insufficientCapacity, KumoError } from '../core/errors.js';
import type { NetworkInterface } from './network-interface.js';
import type { NetworkInterfaceRepository, RoutingRepositories, VpcRepository } from './ports.js';

export interface PublicAddressPoolDeps {
  readonly vpcs: VpcRepository;
  readonly interfaces: NetworkInterfaceRepository;
  readonly routing: Pick<RoutingRepositories, 'addresses'>;
  /** The host's public-IP pool, e.g. "100.80.0.0/24"; .0 and .1 (the host) are never handed out. */
  readonly publicCidr: string;
}

/**
 * The host's pool of public addresses and who holds which: instances' pool addresses (on their
 * interfaces), elastic IPs (routing records) and VPC routers. One address is never held twice.
 */
export class PublicAddressPool {
  private readonly pool: Ipv4Cidr;

  constructor(private readonly deps: PublicAddressPoolDeps) {
    this.pool = parseCidr(deps.publicCidr);
  }

  /**
   * The interface with a public IP from the pool if it should have one and has none (a start
   * after a stop, or an elastic IP disassociated): recorded before its rules are rendered.
   */
  withPublicIp(eni: NetworkInterface): NetworkInterface {
    if (eni.assignPublicIp === false || eni.publicIp || this.elasticOf(eni.id)) return eni;
    // Not the address it had last (EC2 hands out a new one), unless no other is free.
    const used = this.used();
    let publicIp: string;
    try {
      publicIp = this.free(new Set([...used, ...(eni.lastPublicIp ? [eni.lastPublicIp] : [])]));
    } catch {
      publicIp = this.free(used);
    }
    const next = { ...eni, publicIp };
    this.deps.interfaces.put(next);
    return next;
  }

  /** The public address an instance shows: its elastic IP, else its pool one. */
  publicIpOf(instanceId: string): string | undefined {
    const eni = this.deps.interfaces.byInstance(instanceId);
    if (!eni) return undefined;
    return this.elasticOf(eni.id)?.publicIp ?? eni.publicIp;
  }

  /**
   * publicIpOf for every instance with an interface, from one read of the interfaces and one of
   * the elastic IPs (a DescribeInstances over N instances costs two reads, not 2N).
   */
  currentPublicIps(): ReadonlyMap<string, string | undefined> {
    const elastic = this.elasticByInterface();
    return new Map(
      this.deps.interfaces.list().map((e) => [e.instanceId, elastic.get(e.id) ?? e.publicIp]),
    );
  }

  /** Each associated elastic IP by the interface it is on (it replaces the pool address there). */
  elasticByInterface(): ReadonlyMap<string, string> {
    return new Map(
      this.deps.routing.addresses
        .list()
        .flatMap((a) => (a.networkInterfaceId ? [[a.networkInterfaceId, a.publicIp]] : [])),
    );
  }

  /** A free address of the pool (for an elastic IP), or AddressLimitExceeded. */
  freePoolAddress(): string {
    try {
      return this.freeAddress();
    } catch (e) {
      if (e instanceof KumoError && e.kind === 'ResourceExhausted') {
        throw new KumoError(
          'ResourceExhausted',
          'AddressLimitExceeded',
          `The public address pool ${this.deps.publicCidr} has no free address left; release an elastic IP or start kumod with a larger --public-cidr`,
        );
      }
      throw e;
    }
  }

  /** The first address nobody holds (a new VPC's router takes it). */
  freeAddress(): string {
    return this.free(this.used());
  }

  /** Every address held by an interface or an elastic IP (routers are added by free()). */
  used(): Set<string> {
    return new Set([
      ...this.deps.interfaces.list().flatMap((e) => (e.publicIp ? [e.publicIp] : [])),
      ...this.deps.routing.addresses.list().map((a) => a.publicIp),
    ]);
  }

  /** The first address of the pool that neither `used` nor a VPC router holds. */
  free(used: ReadonlySet<string>): string {
    const taken = new Set([...used, ...this.deps.vpcs.list().map((v) => v.routerPublicIp)]);
    // .0 is the network and .1 the host's own address on the public bridge.
    const ip = firstFreeAddress(this.pool, taken, 2);
    if (!ip || !cidrContains(this.pool, ip)) {
      throw insufficientCapacity(
        `The public address pool ${this.deps.publicCidr} is exhausted; start kumod with a larger --public-cidr`,
      );
    }
    return ip;
  }

  private elasticOf(eniId: string) {
    return this.deps.routing.addresses.list().find((a) => a.networkInterfaceId === eniId);
  }
}
