import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toPascalCase } from '../../src/cli/pascal-case.js';
import {
  CreateInternetGatewayRequest,
  InternetGatewaysClient,
} from '../../src/gen/kumo/v1/routing.js';
import {
  CreateTagsRequest,
  DeleteTagsRequest,
  DescribeTagsRequest,
  TagsClient,
} from '../../src/gen/kumo/v1/tags.js';
import {
  DescribeSubnetsRequest,
  DescribeVpcsRequest,
  VpcsClient,
} from '../../src/gen/kumo/v1/vpcs.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call, failure } from './support/calls.js';
import { model, unknownKeys } from './support/ec2-model.js';

/** The Tags service over gRPC: EC2's TagDescription shape (against botocore) and error codes. */
const VPC = 'vpc-00000000000000001';
const SUBNET = 'subnet-00000000000000001';

let api: ApiServer;
let tags: TagsClient;
let vpcs: VpcsClient;
let igws: InternetGatewaysClient;

beforeAll(async () => {
  api = await startApiServer();
  const c = credentials.createInsecure();
  tags = new TagsClient(api.address, c);
  vpcs = new VpcsClient(api.address, c);
  igws = new InternetGatewaysClient(api.address, c);
});
afterAll(() => api.close());

const describeTags = (req: Partial<DescribeTagsRequest>) =>
  call(tags.describeTags.bind(tags), DescribeTagsRequest.fromPartial(req));
const createTags = (req: Partial<CreateTagsRequest>) =>
  call(tags.createTags.bind(tags), CreateTagsRequest.fromPartial(req));
const deleteTags = (req: Partial<DeleteTagsRequest>) =>
  call(tags.deleteTags.bind(tags), DeleteTagsRequest.fromPartial(req));

describe('kumo.v1.Tags', () => {
  it('tags a VPC, a subnet and a gateway; describe calls and tag filters see them', async () => {
    const g = await call(
      igws.createInternetGateway.bind(igws),
      CreateInternetGatewayRequest.fromPartial({}),
    );
    const igw = g.internetGateway!.internetGatewayId;
    await createTags({
      resources: [VPC, SUBNET, igw],
      tags: [
        { key: 'team', value: 'blue' },
        { key: 'empty', value: '' },
      ],
    });
    const all = await describeTags({ filters: [{ name: 'key', values: ['team', 'empty'] }] });
    expect(unknownKeys(toPascalCase(all), model.outputs['DescribeTags']!)).toEqual([]);
    const resourceTypes = (model.shapes['ResourceType'] as { enum?: string[] }).enum ?? [];
    for (const d of all.tags) expect(resourceTypes).toContain(d.resourceType);
    expect(all.tags.map((d) => [d.resourceId, d.resourceType, d.key, d.value])).toEqual(
      [
        [igw, 'internet-gateway', 'empty', ''],
        [igw, 'internet-gateway', 'team', 'blue'],
        [SUBNET, 'subnet', 'empty', ''],
        [SUBNET, 'subnet', 'team', 'blue'],
        [VPC, 'vpc', 'empty', ''],
        [VPC, 'vpc', 'team', 'blue'],
      ].sort((a, b) => (`${a[0]}${a[2]}` < `${b[0]}${b[2]}` ? -1 : 1)),
    );
    // The resources' own describe calls show the tags, and their tag:<key> filters work.
    const v = await call(
      vpcs.describeVpcs.bind(vpcs),
      DescribeVpcsRequest.fromPartial({ filters: [{ name: 'tag:team', values: ['blue'] }] }),
    );
    expect(v.vpcs.map((x) => x.vpcId)).toEqual([VPC]);
    expect(v.vpcs[0]?.tags).toContainEqual({ key: 'team', value: 'blue' });
    // CreateTags overwrites a key's value.
    await createTags({ resources: [SUBNET], tags: [{ key: 'team', value: 'red' }] });
    const s = await call(
      vpcs.describeSubnets.bind(vpcs),
      DescribeSubnetsRequest.fromPartial({ subnetIds: [SUBNET] }),
    );
    expect(s.subnets[0]?.tags.filter((t) => t.key === 'team')).toEqual([
      { key: 'team', value: 'red' },
    ]);

    // DeleteTags: a value deletes only when it matches; a key alone deletes the key.
    await deleteTags({
      resources: [VPC, SUBNET],
      tags: [
        { key: 'team', value: 'blue' },
        { key: 'empty', value: undefined },
      ],
    });
    const left = await describeTags({
      filters: [{ name: 'resource-id', values: [VPC, SUBNET] }],
    });
    expect(left.tags.map((d) => [d.resourceId, d.key, d.value])).toEqual([[SUBNET, 'team', 'red']]);
    // No tags: every tag of the resource goes.
    await deleteTags({ resources: [igw] });
    expect(
      (await describeTags({ filters: [{ name: 'resource-type', values: ['internet-gateway'] }] }))
        .tags,
    ).toEqual([]);
  });

  it('answers EC2 codes and changes nothing when any resource is wrong', async () => {
    const bad = await failure(
      createTags({
        resources: [VPC, 'vpc-0aaaaaaaaaaaaaaaa'],
        tags: [{ key: 'x', value: '1' }],
      }),
    );
    expect([bad.code, bad.ec2]).toEqual([status.NOT_FOUND, 'InvalidVpcID.NotFound']);
    expect(bad.details).toContain('vpc-0aaaaaaaaaaaaaaaa');
    expect((await describeTags({ filters: [{ name: 'key', values: ['x'] }] })).tags).toEqual([]);

    const cases: [Partial<CreateTagsRequest>, string][] = [
      [
        { resources: ['i-0aaaaaaaaaaaaaaaa'], tags: [{ key: 'x', value: '' }] },
        'InvalidInstanceID.NotFound',
      ],
      [{ resources: ['nope-1234'], tags: [{ key: 'x', value: '' }] }, 'InvalidID'],
      [{ resources: [VPC], tags: [{ key: 'aws:x', value: '' }] }, 'InvalidParameterValue'],
      [{ resources: [VPC], tags: [{ key: 'x', value: 'v'.repeat(257) }] }, 'InvalidParameterValue'],
      [{ resources: [VPC], tags: [] }, 'MissingParameter'],
      [
        {
          resources: [VPC],
          tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: '' })),
        },
        'TagLimitExceeded',
      ],
      [{ resources: [VPC], tags: [{ key: 'x', value: '' }], dryRun: true }, 'DryRunOperation'],
    ];
    for (const [req, code] of cases) {
      expect((await failure(createTags(req))).ec2, code).toBe(code);
    }
    expect(
      (await describeTags({ filters: [{ name: 'resource-id', values: [VPC] }] })).tags,
    ).toEqual([]);
    expect((await failure(deleteTags({ resources: [VPC], dryRun: true }))).ec2).toBe(
      'DryRunOperation',
    );
    expect(
      (await failure(describeTags({ filters: [{ name: 'owner-id', values: ['x'] }] }))).ec2,
    ).toBe('InvalidParameterValue');
  });

  it('pages DescribeTags with MaxResults and NextToken', async () => {
    await createTags({
      resources: [VPC, SUBNET],
      tags: Array.from({ length: 6 }, (_, i) => ({ key: `p${i}`, value: String(i) })),
    });
    const filters = [{ name: 'key', values: ['p*'] }];
    const seen: string[] = [];
    let nextToken = '';
    let pages = 0;
    do {
      const page = await describeTags({ filters, maxResults: 5, nextToken });
      seen.push(...page.tags.map((d) => `${d.resourceId}/${d.key}`));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    expect(new Set(seen).size).toBe(12);
    expect((await failure(describeTags({ maxResults: 4 }))).ec2).toBe('InvalidParameterValue');
    expect((await failure(describeTags({ maxResults: 5, nextToken: 'bogus' }))).ec2).toBe(
      'InvalidPaginationToken',
    );
    await deleteTags({ resources: [VPC, SUBNET] });
  });
});
