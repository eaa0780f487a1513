import { cidrSize, parseCidr, type Ipv4Cidr } from '../core/cidr.js';
import { invalidParameter, KumoError, notFound, quoted } from '../core/errors.js';
import { assertId } from '../core/ids.js';
import type { SubnetRepository, VpcRepository } from './ports.js';
import type { Subnet, Vpc } from './vpc.js';

/** A VPC by id (InvalidVpcID.Malformed, InvalidVpcID.NotFound). */
export function vpcById(repo: VpcRepository, id: string): Vpc {
  if (!id) throw invalidParameter('The request must name a VPC (--vpc-id)', 'MissingParameter');
  assertId('vpc', id, 'InvalidVpcID.Malformed');
  const vpc = repo.get(id);
  if (!vpc) throw notFound('InvalidVpcID.NotFound', `The vpc ID ${quoted(id)} does not exist`);
  return vpc;
}

/** A subnet by id (InvalidSubnetID.Malformed, InvalidSubnetID.NotFound). */
export function subnetById(repo: SubnetRepository, id: string): Subnet {
  if (!id) {
    throw invalidParameter('The request must name a subnet (--subnet-id)', 'MissingParameter');
  }
  assertId('subnet', id, 'InvalidSubnetID.Malformed');
  const subnet = repo.get(id);
  if (!subnet) {
    throw notFound('InvalidSubnetID.NotFound', `The subnet ID ${quoted(id)} does not exist`);
  }
  return subnet;
}

/** The smallest and largest IPv4 blocks EC2 allows for a VPC or a subnet. */
export const MIN_PREFIX = 16;
export const MAX_PREFIX = 28;

/**
 * Parses a VPC's or subnet's CIDR block: malformed text is InvalidParameterValue, a size outside
 * /16../28 is `rangeCode` (InvalidVpc.Range, InvalidSubnet.Range), as in EC2.
 */
export function parseBlock(text: string, rangeCode: string, what: string): Ipv4Cidr {
  if (!text) {
    throw invalidParameter(`The request must contain the parameter cidrBlock`, 'MissingParameter');
  }
  const len = text.split('/')[1];
  if (len !== undefined && /^\d+$/.test(len)) {
    const prefix = Number(len);
    if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
      throw new KumoError(
        'InvalidArgument',
        rangeCode,
        `The CIDR ${quoted(text)} is invalid: a ${what} block must be between /${MIN_PREFIX} and /${MAX_PREFIX}`,
      );
    }
  }
  return parseCidr(text);
}

export function overlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + cidrSize(b) && b.network < a.network + cidrSize(a);
}

export function within(inner: Ipv4Cidr, outer: Ipv4Cidr): boolean {
  return (
    inner.network >= outer.network &&
    inner.network + cidrSize(inner) <= outer.network + cidrSize(outer)
  );
}
