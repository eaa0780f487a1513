import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPascalCase } from '../../src/cli/pascal-case.js';
import {
  CreateSubnetRequest,
  CreateVpcRequest,
  DeleteSubnetRequest,
  DeleteVpcRequest,
  DescribeAvailabilityZonesRequest,
  DescribeRegionsRequest,
  DescribeSubnetsRequest,
  DescribeVpcAttributeRequest,
  DescribeVpcsRequest,
  ModifySubnetAttributeRequest,
  ModifyVpcAttributeRequest,
  VpcsClient,
} from '../../src/gen/kumo/v1/vpcs.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call, failure } from './support/calls.js';
import { model, unknownKeys } from './support/ec2-model.js';

/** The Vpcs service over gRPC: EC2's shapes (keys checked against botocore) and codes. */
let api: ApiServer;
let vpcs: VpcsClient;

beforeAll(async () => {
  api = await startApiServer();
  vpcs = new VpcsClient(api.address, credentials.createInsecure());
});
afterAll(() => api.close());

const shapeOf = (op: string, res: unknown) => unknownKeys(toPascalCase(res), model.outputs[op]!);

describe('kumo.v1.Vpcs', () => {
  it('creates, describes, filters and deletes VPCs and subnets with EC2 shapes', async () => {
    const created = await call(
      vpcs.createVpc.bind(vpcs),
      CreateVpcRequest.fromPartial({
        cidrBlock: '10.0.0.0/16',
        tagSpecifications: [{ resourceType: 'vpc', tags: [{ key: 'Name', value: 'lab' }] }],
      }),
    );
    expect(shapeOf('CreateVpc', created)).toEqual([]);
    const vpc = created.vpc!;
    expect(vpc).toMatchObject({
      cidrBlock: '10.0.0.0/16',
      state: 'available',
      isDefault: false,
      tags: [{ key: 'Name', value: 'lab' }],
    });
    expect(vpc.cidrBlockAssociationSet[0]).toMatchObject({
      cidrBlock: '10.0.0.0/16',
      cidrBlockState: { state: 'associated' },
    });

    const described = await call(
      vpcs.describeVpcs.bind(vpcs),
      DescribeVpcsRequest.fromPartial({
        filters: [
          { name: 'cidr-block-association.cidr-block', values: ['10.0.*'] },
          { name: 'tag:Name', values: ['lab'] },
          { name: 'is-default', values: ['false'] },
          { name: 'state', values: ['available'] },
        ],
      }),
    );
    expect(shapeOf('DescribeVpcs', described)).toEqual([]);
    expect(described.vpcs.map((v) => v.vpcId)).toEqual([vpc.vpcId]);
    const defaults = await call(
      vpcs.describeVpcs.bind(vpcs),
      DescribeVpcsRequest.fromPartial({ filters: [{ name: 'is-default', values: ['true'] }] }),
    );
    expect(defaults.vpcs.map((v) => v.cidrBlock)).toEqual(['172.31.0.0/16']);

    const subnet = (
      await call(
        vpcs.createSubnet.bind(vpcs),
        CreateSubnetRequest.fromPartial({ vpcId: vpc.vpcId, cidrBlock: '10.0.1.0/24' }),
      )
    ).subnet!;
    expect(shapeOf('CreateSubnet', { subnet })).toEqual([]);
    expect(subnet).toMatchObject({
      vpcId: vpc.vpcId,
      availableIpAddressCount: 251,
      availabilityZone: 'kumo-local-1a',
      mapPublicIpOnLaunch: false,
      defaultForAz: false,
      state: 'available',
    });
    const listed = await call(
      vpcs.describeSubnets.bind(vpcs),
      DescribeSubnetsRequest.fromPartial({
        filters: [
          { name: 'vpc-id', values: [vpc.vpcId] },
          { name: 'availability-zone', values: ['kumo-local-1a'] },
          { name: 'map-public-ip-on-launch', values: ['false'] },
        ],
      }),
    );
    expect(shapeOf('DescribeSubnets', listed)).toEqual([]);
    expect(listed.subnets.map((s) => s.subnetId)).toEqual([subnet.subnetId]);

    await call(
      vpcs.modifySubnetAttribute.bind(vpcs),
      ModifySubnetAttributeRequest.fromPartial({
        subnetId: subnet.subnetId,
        mapPublicIpOnLaunch: true,
      }),
    );
    const mapped = await call(
      vpcs.describeSubnets.bind(vpcs),
      DescribeSubnetsRequest.fromPartial({
        filters: [{ name: 'map-public-ip-on-launch', values: ['true'] }],
      }),
    );
    expect(mapped.subnets.map((s) => s.subnetId)).toContain(subnet.subnetId);

    const inUse = await failure(
      call(vpcs.deleteVpc.bind(vpcs), DeleteVpcRequest.fromPartial({ vpcId: vpc.vpcId })),
    );
    expect(inUse).toMatchObject({ code: status.FAILED_PRECONDITION, ec2: 'DependencyViolation' });
    expect(inUse.details).toContain(subnet.subnetId);
    await call(
      vpcs.deleteSubnet.bind(vpcs),
      DeleteSubnetRequest.fromPartial({ subnetId: subnet.subnetId }),
    );
    await call(vpcs.deleteVpc.bind(vpcs), DeleteVpcRequest.fromPartial({ vpcId: vpc.vpcId }));
    const gone = await failure(
      call(vpcs.describeVpcs.bind(vpcs), DescribeVpcsRequest.fromPartial({ vpcIds: [vpc.vpcId] })),
    );
    expect(gone).toMatchObject({ code: status.NOT_FOUND, ec2: 'InvalidVpcID.NotFound' });
  });

  it('answers bad CIDRs, overlaps and dry runs with EC2 codes', async () => {
    const bad = async (req: Partial<CreateVpcRequest>) =>
      (await failure(call(vpcs.createVpc.bind(vpcs), CreateVpcRequest.fromPartial(req)))).ec2;
    expect(await bad({ cidrBlock: '10.0.0.0/8' })).toBe('InvalidVpc.Range');
    expect(await bad({ cidrBlock: '10.0.0.0/30' })).toBe('InvalidVpc.Range');
    expect(await bad({ cidrBlock: 'nope' })).toBe('InvalidParameterValue');
    expect(await bad({ cidrBlock: '10.0.0.0/16', dryRun: true })).toBe('DryRunOperation');
    expect(await bad({ cidrBlock: '10.0.0.0/16', instanceTenancy: 'dedicated' })).toBe(
      'InvalidParameterValue',
    );
    expect(
      await bad({
        cidrBlock: '10.0.0.0/16',
        tagSpecifications: [{ resourceType: 'instance', tags: [] }],
      }),
    ).toBe('InvalidParameterValue');

    const vpc = (
      await call(
        vpcs.createVpc.bind(vpcs),
        CreateVpcRequest.fromPartial({ cidrBlock: '10.9.0.0/16' }),
      )
    ).vpc!;
    const subnet = async (cidrBlock: string) =>
      (
        await failure(
          call(
            vpcs.createSubnet.bind(vpcs),
            CreateSubnetRequest.fromPartial({ vpcId: vpc.vpcId, cidrBlock }),
          ),
        )
      ).ec2;
    await call(
      vpcs.createSubnet.bind(vpcs),
      CreateSubnetRequest.fromPartial({ vpcId: vpc.vpcId, cidrBlock: '10.9.0.0/24' }),
    );
    expect(await subnet('10.9.0.128/25')).toBe('InvalidSubnet.Conflict');
    expect(await subnet('10.8.0.0/24')).toBe('InvalidSubnet.Range');
    const unknown = await failure(
      call(
        vpcs.createSubnet.bind(vpcs),
        CreateSubnetRequest.fromPartial({
          vpcId: 'vpc-0123456789abcdef0',
          cidrBlock: '10.0.0.0/24',
        }),
      ),
    );
    expect(unknown).toMatchObject({ code: status.NOT_FOUND, ec2: 'InvalidVpcID.NotFound' });
  });

  it('modifies and describes VPC attributes in EC2 shape', async () => {
    const vpc = (
      await call(
        vpcs.createVpc.bind(vpcs),
        CreateVpcRequest.fromPartial({ cidrBlock: '10.7.0.0/16' }),
      )
    ).vpc!;
    await call(
      vpcs.modifyVpcAttribute.bind(vpcs),
      ModifyVpcAttributeRequest.fromPartial({
        vpcId: vpc.vpcId,
        enableDnsHostnames: { value: true },
      }),
    );
    const res = await call(
      vpcs.describeVpcAttribute.bind(vpcs),
      DescribeVpcAttributeRequest.fromPartial({
        vpcId: vpc.vpcId,
        attribute: 'enableDnsHostnames',
      }),
    );
    expect(shapeOf('DescribeVpcAttribute', res)).toEqual([]);
    expect(res).toEqual({
      vpcId: vpc.vpcId,
      enableDnsHostnames: { value: true },
      enableDnsSupport: undefined,
    });
  });

  it("describes the host's one zone and region", async () => {
    const zones = await call(
      vpcs.describeAvailabilityZones.bind(vpcs),
      DescribeAvailabilityZonesRequest.fromPartial({}),
    );
    expect(shapeOf('DescribeAvailabilityZones', zones)).toEqual([]);
    expect(zones.availabilityZones).toMatchObject([
      { zoneName: 'kumo-local-1a', regionName: 'kumo-local-1', state: 'available' },
    ]);
    const regions = await call(
      vpcs.describeRegions.bind(vpcs),
      DescribeRegionsRequest.fromPartial({
        filters: [{ name: 'region-name', values: ['kumo-*'] }],
      }),
    );
    expect(shapeOf('DescribeRegions', regions)).toEqual([]);
    expect(regions.regions.map((r) => r.regionName)).toEqual(['kumo-local-1']);
    const unknown = await failure(
      call(
        vpcs.describeAvailabilityZones.bind(vpcs),
        DescribeAvailabilityZonesRequest.fromPartial({ zoneNames: ['us-east-1a'] }),
      ),
    );
    expect(unknown.ec2).toBe('InvalidParameterValue');
  });
});
