import { metadataOptionsOf } from '../compute/metadata-options.js';
import { metadataOptionsToProto } from './metadata-options-handlers.js';
import {
  INSTANCE_STATE_CODES,
  shownPrivateIp,
  shownPublicIp,
  type Instance as DomainInstance,
  type InstanceStateName,
} from '../compute/instance.js';
import type { InstanceDetails } from '../compute/instance-details.js';
import { idSuffix, OWNER_ID } from '../core/ids.js';
import { privateHostname, publicHostname } from '../network/naming.js';
import type { GroupIdentifier } from '../gen/kumo/v1/common.js';
import type {
  Instance,
  InstanceNetworkInterface,
  InstanceState,
} from '../gen/kumo/v1/instances.js';
import type { Site } from './site.js';

/**
 * A domain instance as EC2's Instance shape, with every field aws-cli users read. Values are in
 * EC2's enums (checked against botocore's model by test/unit/api/ec2-shapes.test.ts); what kumo
 * cannot mean yet is empty rather than invented.
 */

/** The device name the guest sees its root disk as: the first virtio-blk disk. */
export const ROOT_DEVICE_NAME = '/dev/vda';

export const stateOf = (name: InstanceStateName): InstanceState => ({
  code: INSTANCE_STATE_CODES[name],
  name,
});

/** An instance's interface as security groups see it (from the network's records). */
export interface InstanceSecurity {
  readonly groups: readonly { readonly id: string; readonly name: string }[];
  readonly sourceDestCheck: boolean;
}

/**
 * EC2's Hypervisor enum has only `ovm` and `xen`; EC2 itself reports `xen` for its KVM-based
 * Nitro instances, so kumo does the same. What really runs the guest is in `accelerator`.
 */
export const EC2_HYPERVISOR = 'xen';

export function instanceToProto(
  { instance: i, image, type, disks }: InstanceDetails,
  accelerator: string,
  site: Site,
  security: InstanceSecurity = { groups: [], sourceDestCheck: true },
  /** Whether the instance's VPC has DNS hostnames (EC2 gives public DNS names only then). */
  vpcDnsHostnames = false,
): Instance {
  const privateIp = shownPrivateIp(i);
  const privateDnsName = privateIp ? privateHostname(privateIp, site.dnsDomain) : '';
  const publicIp = shownPublicIp(i);
  const publicDnsName =
    publicIp && vpcDnsHostnames ? publicHostname(publicIp, site.publicDnsDomain) : '';
  const groups: GroupIdentifier[] = security.groups.map((g) => ({
    groupId: g.id,
    groupName: g.name,
  }));
  // EC2 detaches a terminated instance's interface and volumes and lists none.
  const attached = i.state !== 'terminated';
  return {
    instanceId: i.id,
    imageId: i.imageId,
    instanceType: i.instanceType,
    keyName: i.keyName ?? '',
    state: stateOf(i.state),
    stateReason: i.stateReason
      ? { code: i.stateReason.code, message: i.stateReason.message }
      : undefined,
    stateTransitionReason: i.stateTransitionReason,
    privateIpAddress: privateIp ?? '',
    publicIpAddress: publicIp ?? '',
    macAddress: i.network?.mac ?? '',
    vpcId: i.network?.vpcId ?? '',
    subnetId: i.network?.subnetId ?? '',
    launchTime: i.launchTime,
    tags: i.tags.map((t) => ({ key: t.key, value: t.value })),
    clientToken: i.clientToken ?? '',
    amiLaunchIndex: i.launchIndex,
    architecture: image?.architecture ?? 'x86_64',
    hypervisor: EC2_HYPERVISOR,
    rootDeviceName: ROOT_DEVICE_NAME,
    cpuOptions: { coreCount: type?.vcpus ?? 0, threadsPerCore: 1 },
    memoryMib: type?.memoryMib ?? 0,
    defaultUser: image?.defaultUser ?? 'root',
    accelerator,
    placement: { availabilityZone: site.availabilityZone, groupName: '', tenancy: 'default' },
    privateDnsName,
    publicDnsName,
    networkInterfaces:
      attached && i.network
        ? [networkInterface(i, { privateDnsName, publicDnsName }, groups, security.sourceDestCheck)]
        : [],
    blockDeviceMappings: attached
      ? disks.map((d) => ({
          deviceName: d.deviceName,
          ebs: {
            attachTime: d.attachTime,
            deleteOnTermination: d.deleteOnTermination,
            status: d.status,
            volumeId: d.volumeId,
          },
        }))
      : [],
    rootDeviceType: 'ebs',
    virtualizationType: 'hvm',
    metadataOptions: metadataOptionsToProto(metadataOptionsOf(i)),
    monitoring: { state: 'disabled' },
    securityGroups: groups,
    sourceDestCheck: security.sourceDestCheck,
    platformDetails: 'Linux/UNIX',
    cloudInitSeed: i.cloudInitSeed ?? '',
  };
}

function networkInterface(
  i: DomainInstance,
  { privateDnsName, publicDnsName }: { privateDnsName: string; publicDnsName: string },
  groups: GroupIdentifier[],
  sourceDestCheck: boolean,
): InstanceNetworkInterface {
  const net = i.network;
  const publicIp = shownPublicIp(i);
  const association = publicIp ? { ipOwnerId: OWNER_ID, publicDnsName, publicIp } : undefined;
  return {
    association,
    attachment: {
      attachTime: i.launchTime,
      attachmentId: `eni-attach-${idSuffix(net?.id ?? i.id)}`,
      deleteOnTermination: true,
      deviceIndex: 0,
      status: 'attached',
      networkCardIndex: 0,
    },
    description: '',
    groups,
    macAddress: net?.mac ?? '',
    networkInterfaceId: net?.id ?? '',
    ownerId: OWNER_ID,
    privateDnsName,
    privateIpAddress: net?.privateIp ?? '',
    privateIpAddresses: [
      {
        association,
        primary: true,
        privateDnsName,
        privateIpAddress: net?.privateIp ?? '',
      },
    ],
    sourceDestCheck,
    status: 'in-use',
    subnetId: net?.subnetId ?? '',
    vpcId: net?.vpcId ?? '',
    interfaceType: 'interface',
  };
}
