import { credentials, status } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPascalCase } from '../../src/cli/pascal-case.js';
import {
  AddressesClient,
  AllocateAddressRequest,
  AssociateAddressRequest,
  AssociateRouteTableRequest,
  CreateInternetGatewayRequest,
  CreateRouteRequest,
  CreateRouteTableRequest,
  DeleteRouteTableRequest,
  DescribeAddressesRequest,
  DescribeInternetGatewaysRequest,
  DescribeRouteTablesRequest,
  InternetGatewaysClient,
  ReleaseAddressRequest,
  RouteTablesClient,
} from '../../src/gen/kumo/v1/routing.js';
import {
  RunInstancesRequest,
  InstancesClient,
  DescribeInstancesRequest,
} from '../../src/gen/kumo/v1/instances.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call, failure } from './support/calls.js';

/** Internet gateways, route tables and elastic IPs over gRPC: EC2's shapes (against botocore) and codes. */
const model = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures/ec2-shapes.json'), 'utf8'),
) as {
  outputs: Record<string, string>;
  shapes: Record<
    string,
    {
      type: string;
      members?: Record<string, { shape: string }>;
      member?: { shape: string };
      enum?: string[];
    }
  >;
};

/**
 * Values EC2 really returns outside its model's enum: an attached internet gateway's attachment
 * state is "available" (EC2's documentation of DescribeInternetGateways and its attachment.state
 * filter), although AttachmentStatus lists attaching/attached/detaching/detached.
 */
const ENUM_EXTRAS: Record<string, string[]> = { AttachmentStatus: ['available'] };

/** Keys (and enum values) of `value` that EC2's shape does not have, anywhere inside. */
function unknownKeys(value: unknown, shapeName: string, path = '$'): string[] {
  const shape = model.shapes[shapeName];
  if (!shape) return [`${path}: unknown shape ${shapeName}`];
  if (shape.type === 'structure' && value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => {
      const m = shape.members?.[k];
      return m ? unknownKeys(v, m.shape, `${path}.${k}`) : [`${path}.${k}`];
    });
  }
  if (shape.type === 'list' && Array.isArray(value)) {
    return value.flatMap((v, i) => unknownKeys(v, shape.member!.shape, `${path}[${i}]`));
  }
  if (
    shape.enum &&
    typeof value === 'string' &&
    value !== '' &&
    !shape.enum.includes(value) &&
    !(ENUM_EXTRAS[shapeName] ?? []).includes(value)
  ) {
    return [`${path}: ${value} is not one of ${shape.enum.join(', ')}`];
  }
  return [];
}
const check = (res: unknown, op: string) =>
  expect(unknownKeys(toPascalCase(res), model.outputs[op]!)).toEqual([]);

let api: ApiServer;
let igw: InternetGatewaysClient;
let rtb: RouteTablesClient;
let eip: AddressesClient;
let instances: InstancesClient;

beforeAll(async () => {
  api = await startApiServer();
  const c = credentials.createInsecure();
  igw = new InternetGatewaysClient(api.address, c);
  rtb = new RouteTablesClient(api.address, c);
  eip = new AddressesClient(api.address, c);
  instances = new InstancesClient(api.address, c);
});
afterAll(() => api.close());

describe('kumo.v1 routing services', () => {
  it('creates and describes gateways and route tables with EC2 shapes and filters', async () => {
    const g = await call(
      igw.createInternetGateway.bind(igw),
      CreateInternetGatewayRequest.fromPartial({
        tagSpecifications: [
          { resourceType: 'internet-gateway', tags: [{ key: 'Name', value: 'g' }] },
        ],
      }),
    );
    check(g, 'CreateInternetGateway');
    expect(g.internetGateway?.attachments).toEqual([]);
    const attached = await call(
      igw.describeInternetGateways.bind(igw),
      DescribeInternetGatewaysRequest.fromPartial({
        filters: [{ name: 'attachment.vpc-id', values: ['vpc-00000000000000001'] }],
      }),
    );
    check(attached, 'DescribeInternetGateways');
    expect(attached.internetGateways).toHaveLength(1);
    expect(attached.internetGateways[0]?.attachments).toEqual([
      { state: 'available', vpcId: 'vpc-00000000000000001' },
    ]);
    const tagged = await call(
      igw.describeInternetGateways.bind(igw),
      DescribeInternetGatewaysRequest.fromPartial({
        filters: [{ name: 'tag:Name', values: ['g'] }],
      }),
    );
    expect(tagged.internetGateways.map((x) => x.internetGatewayId)).toEqual([
      g.internetGateway?.internetGatewayId,
    ]);

    const t = await call(
      rtb.createRouteTable.bind(rtb),
      CreateRouteTableRequest.fromPartial({ vpcId: 'vpc-00000000000000001' }),
    );
    check(t, 'CreateRouteTable');
    const tableId = t.routeTable!.routeTableId;
    const gw = attached.internetGateways[0]!.internetGatewayId;
    check(
      await call(
        rtb.createRoute.bind(rtb),
        CreateRouteRequest.fromPartial({
          routeTableId: tableId,
          destinationCidrBlock: '0.0.0.0/0',
          gatewayId: gw,
        }),
      ),
      'CreateRoute',
    );
    const assoc = await call(
      rtb.associateRouteTable.bind(rtb),
      AssociateRouteTableRequest.fromPartial({
        routeTableId: tableId,
        subnetId: 'subnet-00000000000000001',
      }),
    );
    check(assoc, 'AssociateRouteTable');
    expect(assoc.associationId).toMatch(/^rtbassoc-[0-9a-f]{17}$/);
    const bySubnet = await call(
      rtb.describeRouteTables.bind(rtb),
      DescribeRouteTablesRequest.fromPartial({
        filters: [{ name: 'association.subnet-id', values: ['subnet-00000000000000001'] }],
      }),
    );
    check(bySubnet, 'DescribeRouteTables');
    expect(bySubnet.routeTables.map((x) => x.routeTableId)).toEqual([tableId]);
    expect(
      bySubnet.routeTables[0]?.routes.map((r) => [
        r.destinationCidrBlock,
        r.gatewayId,
        r.state,
        r.origin,
      ]),
    ).toEqual([
      ['172.31.0.0/16', 'local', 'active', 'CreateRouteTable'],
      ['0.0.0.0/0', gw, 'active', 'CreateRoute'],
    ]);
    const byGateway = await call(
      rtb.describeRouteTables.bind(rtb),
      DescribeRouteTablesRequest.fromPartial({
        filters: [
          { name: 'route.gateway-id', values: [gw] },
          { name: 'association.main', values: ['true'] },
        ],
      }),
    );
    expect(byGateway.routeTables).toHaveLength(1);
    expect(byGateway.routeTables[0]?.associations[0]?.main).toBe(true);

    const inUse = await failure(
      call(
        rtb.deleteRouteTable.bind(rtb),
        DeleteRouteTableRequest.fromPartial({ routeTableId: tableId }),
      ),
    );
    expect(inUse).toMatchObject({ code: status.FAILED_PRECONDITION, ec2: 'DependencyViolation' });
    const unknown = await failure(
      call(
        rtb.describeRouteTables.bind(rtb),
        DescribeRouteTablesRequest.fromPartial({ routeTableIds: ['rtb-00000000000000000'] }),
      ),
    );
    expect(unknown).toMatchObject({ code: status.NOT_FOUND, ec2: 'InvalidRouteTableID.NotFound' });
    const dry = await failure(
      call(
        rtb.createRouteTable.bind(rtb),
        CreateRouteTableRequest.fromPartial({ vpcId: 'vpc-00000000000000001', dryRun: true }),
      ),
    );
    expect(dry.ec2).toBe('DryRunOperation');
  });

  it('allocates, associates, describes and releases elastic IPs; describe-instances shows the elastic IP', async () => {
    const run = await call(
      instances.runInstances.bind(instances),
      RunInstancesRequest.fromPartial({
        imageId: api.deps.images.list()[0]!.id,
        instanceType: 't3.micro',
        minCount: 1,
        maxCount: 1,
      }),
    );
    const id = run.reservation!.instances[0]!.instanceId;
    const a = await call(
      eip.allocateAddress.bind(eip),
      AllocateAddressRequest.fromPartial({ domain: 'vpc' }),
    );
    check(a, 'AllocateAddress');
    expect(a.allocationId).toMatch(/^eipalloc-[0-9a-f]{17}$/);
    const assoc = await call(
      eip.associateAddress.bind(eip),
      AssociateAddressRequest.fromPartial({ allocationId: a.allocationId, instanceId: id }),
    );
    check(assoc, 'AssociateAddress');
    const shown = await call(
      eip.describeAddresses.bind(eip),
      DescribeAddressesRequest.fromPartial({ filters: [{ name: 'instance-id', values: [id] }] }),
    );
    check(shown, 'DescribeAddresses');
    expect(shown.addresses).toEqual([
      expect.objectContaining({
        publicIp: a.publicIp,
        allocationId: a.allocationId,
        associationId: assoc.associationId,
        domain: 'vpc',
        instanceId: id,
      }),
    ]);
    const d = await call(
      instances.describeInstances.bind(instances),
      DescribeInstancesRequest.fromPartial({ instanceIds: [id] }),
    );
    expect(d.reservations[0]?.instances[0]?.publicIpAddress).toBe(a.publicIp);
    // The public DNS name spells the elastic IP now (the default VPC has DNS hostnames).
    expect(d.reservations[0]?.instances[0]?.publicDnsName).toBe(
      `ec2-${a.publicIp.replaceAll('.', '-')}.compute.kumo.internal`,
    );
    const inUse = await failure(
      call(
        eip.releaseAddress.bind(eip),
        ReleaseAddressRequest.fromPartial({ allocationId: a.allocationId }),
      ),
    );
    expect(inUse).toMatchObject({
      code: status.FAILED_PRECONDITION,
      ec2: 'InvalidIPAddress.InUse',
    });
    const again = await failure(
      call(
        eip.associateAddress.bind(eip),
        AssociateAddressRequest.fromPartial({
          allocationId: a.allocationId,
          instanceId: id,
          privateIpAddress: '10.9.9.9',
        }),
      ),
    );
    expect(again.ec2).toBe('InvalidParameterValue');
    const missing = await failure(
      call(
        eip.associateAddress.bind(eip),
        AssociateAddressRequest.fromPartial({ allocationId: a.allocationId }),
      ),
    );
    expect(missing.ec2).toBe('MissingParameter');
  });
});
