import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CreateTagsRequest,
  DeleteTagsRequest,
  DescribeTagsRequest,
} from '../../../src/gen/kumo/v1/tags.js';
import { ec2Error, kumo as run, startFakeKumod, type FakeKumod } from './fake-kumod.js';

/**
 * create-tags, delete-tags and describe-tags through main() against a fake kumod: aws-cli's flags
 * and shorthand become the requests, and DescribeTags' answer prints in EC2's shape, paged.
 */
let fake: FakeKumod;
const kumo = (...args: string[]) => run(fake.endpoint, args);
const last = <T>(rpc: string) => fake.seen[rpc]?.at(-1) as T;

const TAG = (i: number) => ({
  key: `k${i}`,
  resourceId: 'vpc-0123456789abcdef0',
  resourceType: 'vpc',
  value: `v${i}`,
});

beforeAll(async () => {
  fake = await startFakeKumod({
    createTags: (req) => {
      if ((req as CreateTagsRequest).resources.includes('vol-0aaaaaaaaaaaaaaaa')) {
        throw ec2Error(
          'InvalidVolume.NotFound',
          status.NOT_FOUND,
          "The volume ID 'vol-0aaaaaaaaaaaaaaaa' does not exist",
        );
      }
      return {};
    },
    deleteTags: () => ({}),
    // Two pages of one tag each when paged, else both at once.
    describeTags: (req) => {
      const r = req as DescribeTagsRequest;
      if (r.maxResults === 0) return { tags: [TAG(1), TAG(2)] };
      return r.nextToken ? { tags: [TAG(2)] } : { tags: [TAG(1)], nextToken: 'page2' };
    },
  });
});
afterAll(() => fake.close());

describe('create-tags', () => {
  it('sends the resources and the tags, a missing Value as ""', async () => {
    const r = await kumo(
      'create-tags',
      '--resources',
      'i-0123456789abcdef0',
      'vpc-0123456789abcdef0',
      '--tags',
      'Key=Name,Value=web',
      'Key=empty',
    );
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: '' });
    expect(last<CreateTagsRequest>('createTags')).toEqual({
      dryRun: false,
      resources: ['i-0123456789abcdef0', 'vpc-0123456789abcdef0'],
      tags: [
        { key: 'Name', value: 'web' },
        { key: 'empty', value: '' },
      ],
    });
  });

  it('takes the JSON form and --dry-run', async () => {
    await kumo(
      'create-tags',
      '--dry-run',
      '--resources',
      'sg-0123456789abcdef0',
      '--tags',
      '[{"Key":"a","Value":"1"}]',
    );
    expect(last<CreateTagsRequest>('createTags')).toMatchObject({
      dryRun: true,
      tags: [{ key: 'a', value: '1' }],
    });
  });

  it("prints kumod's EC2 error and fails", async () => {
    const r = await kumo(
      'create-tags',
      '--resources',
      'vol-0aaaaaaaaaaaaaaaa',
      '--tags',
      'Key=a,Value=b',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('InvalidVolume.NotFound');
  });

  it('refuses a tag without a Key before calling kumod', async () => {
    const before = fake.seen.createTags?.length ?? 0;
    const r = await kumo('create-tags', '--resources', 'i-0123456789abcdef0', '--tags', 'Value=x');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Key');
    expect(fake.seen.createTags?.length ?? 0).toBe(before);
  });
});

describe('delete-tags', () => {
  it('sends a key alone without a value, and a key with its value', async () => {
    const r = await kumo(
      'delete-tags',
      '--resources',
      'i-0123456789abcdef0',
      '--tags',
      'Key=a',
      'Key=b,Value=',
      'Key=c,Value=3',
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const req = last<DeleteTagsRequest>('deleteTags');
    expect(req.tags).toEqual([
      { key: 'a', value: undefined },
      { key: 'b', value: '' },
      { key: 'c', value: '3' },
    ]);
  });

  it('sends no tags when --tags is left out (every tag goes)', async () => {
    await kumo('delete-tags', '--resources', 'i-0123456789abcdef0');
    expect(last<DeleteTagsRequest>('deleteTags').tags).toEqual([]);
  });
});

describe('describe-tags', () => {
  it('sends the filters and prints EC2 TagDescriptions, following every page', async () => {
    const r = await kumo('describe-tags', '--filters', 'Name=resource-type,Values=vpc');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(last<DescribeTagsRequest>('describeTags').filters).toEqual([
      { name: 'resource-type', values: ['vpc'] },
    ]);
    expect(JSON.parse(r.stdout)).toEqual({
      Tags: [
        { Key: 'k1', ResourceId: 'vpc-0123456789abcdef0', ResourceType: 'vpc', Value: 'v1' },
        { Key: 'k2', ResourceId: 'vpc-0123456789abcdef0', ResourceType: 'vpc', Value: 'v2' },
      ],
    });
  });

  it('pages with --page-size and --max-items as aws-cli does', async () => {
    const r = await kumo('describe-tags', '--page-size', '5', '--query', 'Tags[].Key');
    expect(JSON.parse(r.stdout)).toEqual(['k1', 'k2']);
    const one = await kumo('describe-tags', '--max-items', '1');
    const printed = JSON.parse(one.stdout) as { Tags: unknown[]; NextToken?: string };
    expect(printed.Tags).toHaveLength(1);
    expect(printed.NextToken).toBeTruthy();
  });
});
