import { OWNER_ID } from '../core/ids.js';
import { applyFilters, type Filter, type FilterSchema } from '../core/tags.js';
import type {
  AvailabilityZone,
  Region,
  Subnet as PSubnet,
  Vpc as PVpc,
} from '../gen/kumo/v1/vpcs.js';
import type { SubnetView } from '../network/subnets.js';
import { cidrAssociationId, mapPublicIpOnLaunch, type Vpc } from '../network/vpc.js';
import { tags } from './convert.js';
import type { Site } from './site.js';

/** kumo has no DHCP option sets: every VPC uses its own resolver and the host's domain. */
export const DHCP_OPTIONS_ID = 'default';

export function vpcToProto(v: Vpc): PVpc {
  return {
    ownerId: OWNER_ID,
    instanceTenancy: 'default',
    cidrBlockAssociationSet: [
      {
        associationId: cidrAssociationId(v.id),
        cidrBlock: v.cidr,
        cidrBlockState: { state: 'associated', statusMessage: '' },
      },
    ],
    isDefault: v.isDefault,
    tags: tags(v.tags ?? []),
    vpcId: v.id,
    state: 'available',
    cidrBlock: v.cidr,
    dhcpOptionsId: DHCP_OPTIONS_ID,
  };
}

export function subnetToProto(view: SubnetView, site: Site): PSubnet {
  const s = view.subnet;
  return {
    availabilityZoneId: zoneId(site),
    ownerId: OWNER_ID,
    assignIpv6AddressOnCreation: false,
    tags: tags(s.tags ?? []),
    subnetArn: `arn:aws:ec2:${site.region}:${OWNER_ID}:subnet/${s.id}`,
    subnetId: s.id,
    state: 'available',
    vpcId: s.vpcId,
    cidrBlock: s.cidr,
    availableIpAddressCount: view.availableIpAddressCount,
    availabilityZone: view.availabilityZone,
    defaultForAz: s.isDefault,
    mapPublicIpOnLaunch: mapPublicIpOnLaunch(s),
  };
}

/** The host's zone id: EC2's <region-abbreviation>-az1 form, from the zone's letter. */
export const zoneId = (site: Site): string => `${site.region}-az1`;

export function zoneToProto(site: Site): AvailabilityZone {
  return {
    optInStatus: 'opt-in-not-required',
    regionName: site.region,
    zoneName: site.availabilityZone,
    zoneId: zoneId(site),
    groupName: site.region,
    networkBorderGroup: site.region,
    zoneType: 'availability-zone',
    state: 'available',
  };
}

export const regionToProto = (site: Site, endpoint: string): Region => ({
  optInStatus: 'opt-in-not-required',
  regionName: site.region,
  endpoint,
});

const bool = (b: boolean): string[] => [String(b)];

/** EC2's DescribeVpcs filters. */
const VPC_FILTERS: FilterSchema<Vpc> = {
  fields: {
    'vpc-id': (v) => [v.id],
    cidr: (v) => [v.cidr],
    'cidr-block-association.cidr-block': (v) => [v.cidr],
    'cidr-block-association.association-id': (v) => [cidrAssociationId(v.id)],
    'cidr-block-association.state': () => ['associated'],
    'dhcp-options-id': () => [DHCP_OPTIONS_ID],
    'is-default': (v) => bool(v.isDefault),
    'owner-id': () => [OWNER_ID],
    state: () => ['available'],
  },
  tags: (v) => v.tags ?? [],
};

export const filterVpcs = (vpcs: readonly Vpc[], filters: readonly Filter[]) =>
  applyFilters(vpcs, filters, VPC_FILTERS);

/** EC2's DescribeSubnets filters. */
const subnetFilters = (site: Site): FilterSchema<SubnetView> => ({
  fields: {
    'subnet-id': (x) => [x.subnet.id],
    'vpc-id': (x) => [x.subnet.vpcId],
    'availability-zone': (x) => [x.availabilityZone],
    'availability-zone-id': () => [zoneId(site)],
    'available-ip-address-count': (x) => [String(x.availableIpAddressCount)],
    'cidr-block': (x) => [x.subnet.cidr],
    cidr: (x) => [x.subnet.cidr],
    cidrBlock: (x) => [x.subnet.cidr],
    'default-for-az': (x) => bool(x.subnet.isDefault),
    defaultForAz: (x) => bool(x.subnet.isDefault),
    'map-public-ip-on-launch': (x) => bool(mapPublicIpOnLaunch(x.subnet)),
    'owner-id': () => [OWNER_ID],
    state: () => ['available'],
    'subnet-arn': (x) => [`arn:aws:ec2:${site.region}:${OWNER_ID}:subnet/${x.subnet.id}`],
  },
  tags: (x) => x.subnet.tags ?? [],
});

export const filterSubnets = (
  subnets: readonly SubnetView[],
  filters: readonly Filter[],
  site: Site,
) => applyFilters(subnets, filters, subnetFilters(site));

/** EC2's DescribeAvailabilityZones and DescribeRegions filters. */
const ZONE_FILTERS: FilterSchema<AvailabilityZone> = {
  fields: {
    'zone-name': (z) => [z.zoneName],
    'zone-id': (z) => [z.zoneId],
    'region-name': (z) => [z.regionName],
    state: (z) => [z.state],
    'zone-type': (z) => [z.zoneType],
    'group-name': (z) => [z.groupName],
    'opt-in-status': (z) => [z.optInStatus],
  },
};
export const filterZones = (zones: readonly AvailabilityZone[], filters: readonly Filter[]) =>
  applyFilters(zones, filters, ZONE_FILTERS);

const REGION_FILTERS: FilterSchema<Region> = {
  fields: {
    'region-name': (r) => [r.regionName],
    endpoint: (r) => [r.endpoint],
    'opt-in-status': (r) => [r.optInStatus],
  },
};
export const filterRegions = (regions: readonly Region[], filters: readonly Filter[]) =>
  applyFilters(regions, filters, REGION_FILTERS);
