import { DescribeImagesRequest } from '../gen/kumo/v1/images.js';
import { DescribeKeyPairsRequest } from '../gen/kumo/v1/key_pairs.js';
import { DescribeSecurityGroupsRequest } from '../gen/kumo/v1/security_groups.js';
import { DescribeSnapshotsRequest } from '../gen/kumo/v1/snapshots.js';
import { DescribeVolumesRequest } from '../gen/kumo/v1/volumes.js';
import { DescribeSubnetsRequest, DescribeVpcsRequest } from '../gen/kumo/v1/vpcs.js';
import type { CliContext } from './context.js';
import { toPascalCase } from './pascal-case.js';
import { FILTERS, STRING_LIST } from './request-shapes.js';
import { parseFilters } from './structured-params.js';
import type { Poller, WaitOptions } from './wait-pollers.js';

/**
 * Pollers of the Describe calls that the image, volume, snapshot, key pair and security group
 * waiters make: one resource list each, named by one id option. Pure description; the calls go
 * through the CLI's client like the describe-* commands.
 */
interface ResourcePollerSpec {
  readonly operation: string;
  /** The EC2 request member of the ids (ImageIds) and its option (--image-ids). */
  readonly idsMember: string;
  readonly idsFlag: string;
  readonly noun: string;
  /** The response's list (Images) and what names and describes an item in it. */
  readonly list: string;
  readonly idField: string;
  readonly stateField?: string;
  /** botocore's member order (the skeleton follows it): DescribeVpcs names Filters first. */
  readonly filtersFirst?: boolean;
  readonly call: (
    ctx: CliContext,
    ids: string[],
    filters: ReturnType<typeof parseFilters>,
  ) => Promise<unknown>;
}

/** --image-ids -> imageIds, as commander names the option's value. */
const optionKey = (flag: string): string =>
  flag.replace(/^--/, '').replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

function resourcePoller(spec: ResourcePollerSpec): Poller {
  const key = optionKey(spec.idsFlag);
  const items = (response: unknown): Record<string, unknown>[] =>
    ((response as Record<string, unknown>)[spec.list] as Record<string, unknown>[] | undefined) ??
    [];
  const describe = (item: Record<string, unknown>): string => {
    const id = String(item[spec.idField]);
    return spec.stateField ? `${id} (${String(item[spec.stateField])})` : id;
  };
  const ids = { name: spec.idsMember, shape: STRING_LIST, option: key };
  const filters = { name: 'Filters', shape: FILTERS, option: 'filters' };
  return {
    input: {
      operation: spec.operation,
      members: spec.filtersFirst ? [filters, ids] : [ids, filters],
    },
    ids: {
      flag: `${spec.idsFlag} <ids...>`,
      key,
      help: `${spec.noun} ids (default: every ${spec.noun} the filters match)`,
    },
    addOptions: (command) => command,
    call: async (ctx: CliContext, o: WaitOptions) =>
      toPascalCase(
        await spec.call(ctx, (o[key] as string[] | undefined) ?? [], parseFilters(o.filters)),
      ),
    report: {
      failed: (response, expected) => {
        const hit = items(response).filter(
          (i) => spec.stateField && i[spec.stateField] === expected,
        );
        return hit.length > 0
          ? hit.map(describe).join(', ')
          : `a ${spec.noun} is ${String(expected)}`;
      },
      pending: (response) => {
        const all = items(response).map(describe);
        return all.length > 0 ? all.join(', ') : `a ${spec.noun} to match`;
      },
    },
  };
}

export const RESOURCE_POLLERS: Readonly<Record<string, Poller>> = {
  DescribeImages: resourcePoller({
    operation: 'DescribeImages',
    idsMember: 'ImageIds',
    idsFlag: '--image-ids',
    noun: 'image',
    list: 'Images',
    idField: 'ImageId',
    stateField: 'State',
    call: (ctx, imageIds, filters) => {
      const c = ctx.clients.images;
      const request = DescribeImagesRequest.fromPartial({ imageIds, filters });
      return ctx.call('DescribeImages', c.describeImages.bind(c), request);
    },
  }),
  DescribeVolumes: resourcePoller({
    operation: 'DescribeVolumes',
    idsMember: 'VolumeIds',
    idsFlag: '--volume-ids',
    noun: 'volume',
    list: 'Volumes',
    idField: 'VolumeId',
    stateField: 'State',
    call: (ctx, volumeIds, filters) => {
      const c = ctx.clients.volumes;
      const request = DescribeVolumesRequest.fromPartial({ volumeIds, filters });
      return ctx.call('DescribeVolumes', c.describeVolumes.bind(c), request);
    },
  }),
  DescribeSnapshots: resourcePoller({
    operation: 'DescribeSnapshots',
    idsMember: 'SnapshotIds',
    idsFlag: '--snapshot-ids',
    noun: 'snapshot',
    list: 'Snapshots',
    idField: 'SnapshotId',
    stateField: 'State',
    call: (ctx, snapshotIds, filters) => {
      const c = ctx.clients.snapshots;
      const request = DescribeSnapshotsRequest.fromPartial({ snapshotIds, filters });
      return ctx.call('DescribeSnapshots', c.describeSnapshots.bind(c), request);
    },
  }),
  DescribeKeyPairs: resourcePoller({
    operation: 'DescribeKeyPairs',
    idsMember: 'KeyNames',
    idsFlag: '--key-names',
    noun: 'key pair',
    list: 'KeyPairs',
    idField: 'KeyName',
    call: (ctx, keyNames, filters) => {
      const c = ctx.clients.keyPairs;
      const request = DescribeKeyPairsRequest.fromPartial({ keyNames, filters });
      return ctx.call('DescribeKeyPairs', c.describeKeyPairs.bind(c), request);
    },
  }),
  DescribeVpcs: resourcePoller({
    operation: 'DescribeVpcs',
    idsMember: 'VpcIds',
    idsFlag: '--vpc-ids',
    noun: 'VPC',
    list: 'Vpcs',
    idField: 'VpcId',
    stateField: 'State',
    filtersFirst: true,
    call: (ctx, vpcIds, filters) => {
      const c = ctx.clients.vpcs;
      const request = DescribeVpcsRequest.fromPartial({ vpcIds, filters });
      return ctx.call('DescribeVpcs', c.describeVpcs.bind(c), request);
    },
  }),
  DescribeSubnets: resourcePoller({
    operation: 'DescribeSubnets',
    idsMember: 'SubnetIds',
    idsFlag: '--subnet-ids',
    noun: 'subnet',
    list: 'Subnets',
    idField: 'SubnetId',
    stateField: 'State',
    filtersFirst: true,
    call: (ctx, subnetIds, filters) => {
      const c = ctx.clients.vpcs;
      const request = DescribeSubnetsRequest.fromPartial({ subnetIds, filters });
      return ctx.call('DescribeSubnets', c.describeSubnets.bind(c), request);
    },
  }),
  DescribeSecurityGroups: resourcePoller({
    operation: 'DescribeSecurityGroups',
    idsMember: 'GroupIds',
    idsFlag: '--group-ids',
    noun: 'security group',
    list: 'SecurityGroups',
    idField: 'GroupId',
    call: (ctx, groupIds, filters) => {
      const c = ctx.clients.securityGroups;
      const request = DescribeSecurityGroupsRequest.fromPartial({ groupIds, filters });
      return ctx.call('DescribeSecurityGroups', c.describeSecurityGroups.bind(c), request);
    },
  }),
};
