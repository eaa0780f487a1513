import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeImageFiles } from '../fakes/fake-image-files.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { runCliScenario, type PrintedCase } from './support/cli-scenario.js';
import { model } from './support/ec2-model.js';
import { keyOrderProblems } from './support/key-order.js';

/**
 * The CLI's JSON has every structure's keys in the order aws-cli prints them: botocore builds a
 * parsed response by walking each shape's members in the model's order, so `aws ec2
 * describe-instances` starts an Instance with Architecture, BlockDeviceMappings, ... and a
 * Placement with GroupName, Tenancy, ... kumo's extensions (docs/api.md) come after EC2's members.
 * The real CLI runs in-process against the real gRPC server (domain on fakes), one command per
 * operation, with data that fills the nested structures (support/cli-scenario.ts).
 * key-order-aws.test.ts prints the same answers with aws-cli itself.
 */

let api: ApiServer;
let cases: PrintedCase[];

beforeAll(async () => {
  api = await startApiServer({ imageFiles: new FakeImageFiles() });
  cases = await runCliScenario(api);
});
afterAll(() => api.close());

describe('the checker', () => {
  it('finds EC2 members out of the model order and extensions before EC2 members', () => {
    const placement = { GroupName: 'g', Tenancy: 'default', AvailabilityZone: 'z' };
    expect(keyOrderProblems(placement, 'Placement')).toEqual([]);
    expect(keyOrderProblems({ AvailabilityZone: 'z', GroupName: 'g' }, 'Placement')).toEqual([
      '$: GroupName comes after AvailabilityZone, but Placement has it before',
    ]);
    const instance = { MemoryMib: 1, InstanceId: 'i' };
    expect(
      keyOrderProblems({ Reservations: [{ Instances: [instance] }] }, 'DescribeInstancesResult'),
    ).toEqual([
      "$.Reservations[0].Instances[0]: InstanceId (EC2's) comes after the extension MemoryMib",
    ]);
  });
});

describe('nested keys come in the order aws-cli prints them', () => {
  it('at every structure of every operation the CLI prints', () => {
    const problems = Object.fromEntries(
      cases
        .map((c) => [c.operation, keyOrderProblems(c.printed, model.outputs[c.operation]!)])
        .filter(([, p]) => p!.length > 0),
    );
    expect(problems).toEqual({});
  });

  it('covers every operation of the model extract', () => {
    expect(new Set(cases.map((c) => c.operation))).toEqual(new Set(Object.keys(model.outputs)));
  });

  it('reached the nested structures EC2 and kumo share, with their keys', () => {
    const seen = new Set<string>();
    for (const c of cases) keyOrderProblems(c.printed, model.outputs[c.operation]!, seen);
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'Address',
        'AvailabilityZone',
        'BlockDeviceMapping',
        'EbsBlockDevice',
        'EbsInstanceBlockDevice',
        'GroupIdentifier',
        'Image',
        'Instance',
        'InstanceBlockDeviceMapping',
        'InstanceMetadataOptionsResponse',
        'InstanceNetworkInterface',
        'InstanceNetworkInterfaceAssociation',
        'InstanceNetworkInterfaceAttachment',
        'InstancePrivateIpAddress',
        'InstanceState',
        'InstanceStateChange',
        'InstanceStatus',
        'InstanceStatusSummary',
        'InstanceStorageInfo',
        'InstanceTypeInfo',
        'InternetGateway',
        'InternetGatewayAttachment',
        'IpPermission',
        'IpRange',
        'KeyPairInfo',
        'Placement',
        'Region',
        'Reservation',
        'Route',
        'RouteTable',
        'RouteTableAssociation',
        'SecurityGroup',
        'SecurityGroupRule',
        'Snapshot',
        'Subnet',
        'Tag',
        'TagDescription',
        'UserIdGroupPair',
        'VCpuInfo',
        'Volume',
        'VolumeAttachment',
        'VolumeModification',
        'Vpc',
        'VpcCidrBlockAssociation',
      ]),
    );
  });
});
