import type { InstanceNetworkInterfaceSpecification } from '../gen/kumo/v1/instances.js';
import {
  BOOLEAN,
  INTEGER,
  listOf,
  STRING,
  STRING_LIST,
  structure,
  type Shape,
} from './request-shapes.js';
import {
  booleanOf,
  checkKeys,
  paramError,
  stringListOf,
  stringOf,
  structsOf,
} from './structured-params.js';

const KEYS = [
  'AssociatePublicIpAddress',
  'DeleteOnTermination',
  'Description',
  'DeviceIndex',
  'Groups',
  'NetworkInterfaceId',
  'PrivateIpAddress',
  'SubnetId',
];

/** EC2's InstanceNetworkInterfaceSpecification list, the members kumo takes (botocore's order). */
export const NETWORK_INTERFACES_SHAPE: Shape = listOf(
  structure(
    { name: 'AssociatePublicIpAddress', shape: BOOLEAN },
    { name: 'DeleteOnTermination', shape: BOOLEAN },
    { name: 'Description', shape: STRING },
    { name: 'DeviceIndex', shape: INTEGER },
    { name: 'Groups', shape: STRING_LIST },
    { name: 'NetworkInterfaceId', shape: STRING },
    { name: 'PrivateIpAddress', shape: STRING },
    { name: 'SubnetId', shape: STRING },
  ),
);

/**
 * run-instances --network-interfaces, shorthand or JSON as aws-cli takes it:
 * `DeviceIndex=0,SubnetId=subnet-…,PrivateIpAddress=10.0.1.9,Groups=sg-1,sg-2,AssociatePublicIpAddress=true`.
 * kumod checks what it means (one interface at DeviceIndex 0); this only checks the syntax.
 */
export function parseNetworkInterfaces(
  args: readonly string[] | undefined,
  param = '--network-interfaces',
): InstanceNetworkInterfaceSpecification[] {
  return (args ?? []).flatMap((arg) =>
    structsOf(arg, param).map((s) => {
      checkKeys(s, KEYS, param);
      const index =
        s.DeviceIndex === undefined
          ? undefined
          : Number(stringOf(s.DeviceIndex, 'DeviceIndex', param));
      if (index !== undefined && !Number.isInteger(index)) {
        throw paramError(param, 'DeviceIndex must be a whole number');
      }
      const text = (k: string) => (s[k] === undefined ? '' : stringOf(s[k], k, param));
      return {
        associatePublicIpAddress: booleanOf(
          s.AssociatePublicIpAddress,
          'AssociatePublicIpAddress',
          param,
        ),
        deleteOnTermination: booleanOf(s.DeleteOnTermination, 'DeleteOnTermination', param),
        description: text('Description'),
        deviceIndex: index,
        groups: stringListOf(s.Groups, 'Groups', param),
        networkInterfaceId: text('NetworkInterfaceId'),
        privateIpAddress: text('PrivateIpAddress'),
        subnetId: text('SubnetId'),
      };
    }),
  );
}
