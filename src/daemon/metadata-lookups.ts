import type { MetadataLookups } from '../network/metadata-service.js';
import type { SubnetRepository, VpcRepository } from '../network/ports.js';
import { dnsHostnames } from '../network/vpc.js';
import type { SecurityGroupService } from '../network/security-groups.js';
import type { VolumeRepository } from '../storage/ports.js';

/** What the metadata tree shows beyond the instance record, read from the repositories per request. */
export function metadataLookups(d: {
  readonly vpcs: VpcRepository;
  readonly subnets: SubnetRepository;
  readonly volumes: VolumeRepository;
  readonly securityGroups: SecurityGroupService;
}): MetadataLookups {
  return {
    groups: (id) =>
      d.securityGroups.interfaceSecurity(id)?.groups.map((g) => ({ name: g.name, id: g.id })) ?? [],
    vpcCidrs: (vpcId) => {
      const vpc = d.vpcs.get(vpcId);
      return vpc ? [vpc.cidr] : [];
    },
    subnetCidr: (subnetId) => d.subnets.get(subnetId)?.cidr,
    dnsHostnames: (vpcId) => {
      const vpc = d.vpcs.get(vpcId);
      return vpc ? dnsHostnames(vpc) : false;
    },
    devices: (instanceId) =>
      d.volumes
        .byInstance(instanceId)
        .filter((v) => v.attachment?.state === 'attached')
        .sort((a, b) => Number(b.root === true) - Number(a.root === true))
        .map((v) => v.attachment?.device ?? ''),
  };
}
