/**
 * Where kumod's instances live, in EC2's terms. One host is one region with one availability
 * zone; the guest's DHCP domain makes its private DNS names. The metadata service reports the
 * same region and zone (the daemon passes both the same values).
 */
export interface Site {
  readonly region: string;
  readonly availabilityZone: string;
  /** The domain of private DNS names: ip-172-31-0-4.<dnsDomain>. */
  readonly dnsDomain: string;
  /**
   * The domain of public DNS names: ec2-198-51-100-7.<publicDnsDomain>. Inside a VPC they resolve
   * to the private address (as EC2's); outside, whoever runs the LAN's DNS may serve them.
   */
  readonly publicDnsDomain: string;
}

/** What kumod uses when the daemon does not say otherwise. */
export const DEFAULT_SITE: Site = {
  region: 'kumo-local-1',
  availabilityZone: 'kumo-local-1a',
  dnsDomain: 'kumo.internal',
  publicDnsDomain: 'compute.kumo.internal',
};
