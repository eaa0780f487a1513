import type { IpPermission } from '../gen/kumo/v1/security_groups.js';
import { UsageError } from './errors.js';
import { listOf, structure, STRING, INTEGER, type Shape } from './request-shapes.js';
import {
  checkKeys,
  isStruct,
  paramError,
  stringOf,
  structsOf,
  type Value,
} from './structured-params.js';

const PARAM = '--ip-permissions';

/** botocore's IpPermission, cut to what kumo supports, in the model's member order. */
export const IP_PERMISSIONS_SHAPE: Shape = listOf(
  structure(
    { name: 'IpProtocol', shape: STRING },
    { name: 'FromPort', shape: INTEGER },
    { name: 'ToPort', shape: INTEGER },
    {
      name: 'UserIdGroupPairs',
      shape: listOf(
        structure(
          { name: 'Description', shape: STRING },
          { name: 'GroupName', shape: STRING },
          { name: 'GroupId', shape: STRING },
        ),
      ),
    },
    {
      name: 'IpRanges',
      shape: listOf(
        structure({ name: 'Description', shape: STRING }, { name: 'CidrIp', shape: STRING }),
      ),
    },
  ),
);

function intOf(v: Value | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const text = typeof v === 'number' ? String(v) : stringOf(v, what, PARAM);
  if (!/^-?\d+$/.test(text.trim()))
    throw paramError(PARAM, `${what} must be an integer, got '${text}'`);
  return Number(text);
}

function structList(v: Value | undefined, what: string): Record<string, Value>[] {
  if (v === undefined) return [];
  const items = Array.isArray(v) ? v : [v];
  return items.map((item) => {
    if (!isStruct(item)) throw paramError(PARAM, `each of ${what} must be a structure`);
    return item;
  });
}

/**
 * `--ip-permissions IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}]`
 * (repeatable) or the JSON form. IPv6 ranges and prefix lists are refused by name: kumo VPCs are
 * IPv4-only.
 */
export function parseIpPermissions(args: readonly string[] | undefined): IpPermission[] {
  return (args ?? []).flatMap((arg) =>
    structsOf(arg, PARAM).map((s): IpPermission => {
      if (s.Ipv6Ranges !== undefined || s.PrefixListIds !== undefined) {
        throw new UsageError(
          'kumo VPCs are IPv4-only: Ipv6Ranges and PrefixListIds are not supported; use IpRanges or UserIdGroupPairs',
        );
      }
      checkKeys(s, ['IpProtocol', 'FromPort', 'ToPort', 'UserIdGroupPairs', 'IpRanges'], PARAM);
      if (s.IpProtocol === undefined)
        throw paramError(PARAM, 'each permission needs an IpProtocol');
      return {
        ipProtocol: stringOf(s.IpProtocol, 'IpProtocol', PARAM),
        fromPort: intOf(s.FromPort, 'FromPort'),
        toPort: intOf(s.ToPort, 'ToPort'),
        ipRanges: structList(s.IpRanges, 'IpRanges').map((r) => {
          checkKeys(r, ['CidrIp', 'Description'], PARAM);
          return {
            cidrIp: r.CidrIp === undefined ? '' : stringOf(r.CidrIp, 'CidrIp', PARAM),
            description:
              r.Description === undefined ? '' : stringOf(r.Description, 'Description', PARAM),
          };
        }),
        userIdGroupPairs: structList(s.UserIdGroupPairs, 'UserIdGroupPairs').map((g) => {
          checkKeys(g, ['GroupId', 'GroupName', 'Description', 'UserId', 'VpcId'], PARAM);
          const str = (k: string) => (g[k] === undefined ? '' : stringOf(g[k], k, PARAM));
          return {
            groupId: str('GroupId'),
            groupName: str('GroupName'),
            description: str('Description'),
            userId: str('UserId'),
            vpcId: str('VpcId'),
          };
        }),
      };
    }),
  );
}

/** aws-cli's short forms: --protocol, --port, --cidr, --source-group. */
export interface ShortForm {
  protocol?: string;
  port?: string;
  cidr?: string;
  sourceGroup?: string;
}

/**
 * One IpPermission from the short forms, as aws-cli builds it: `--port N` or `N-M` (for icmp
 * `type-code`), `--protocol all` for every protocol, `--source-group` an id (sg-…) or a name.
 */
export function shortFormPermission(o: ShortForm): IpPermission | undefined {
  if (
    o.protocol === undefined &&
    o.port === undefined &&
    o.cidr === undefined &&
    o.sourceGroup === undefined
  ) {
    return undefined;
  }
  if (o.protocol === undefined)
    throw new UsageError('--protocol is required with --port, --cidr or --source-group');
  if (o.cidr === undefined && o.sourceGroup === undefined) {
    throw new UsageError('Pass --cidr or --source-group with --protocol');
  }
  const protocol = o.protocol === 'all' ? '-1' : o.protocol;
  let fromPort: number | undefined;
  let toPort: number | undefined;
  if (o.port !== undefined) {
    const m = /^(-?\d+)(?:-(-?\d+))?$/.exec(o.port.trim());
    if (!m?.[1])
      throw new UsageError(`--port takes N or N-M (for icmp: type-code), not '${o.port}'`);
    fromPort = Number(m[1]);
    toPort =
      m[2] === undefined ? (fromPort === -1 || protocol !== 'icmp' ? fromPort : -1) : Number(m[2]);
  }
  const group = o.sourceGroup;
  return {
    ipProtocol: protocol,
    fromPort,
    toPort,
    ipRanges: o.cidr === undefined ? [] : [{ cidrIp: o.cidr, description: '' }],
    userIdGroupPairs:
      group === undefined
        ? []
        : [
            {
              groupId: group.startsWith('sg-') ? group : '',
              groupName: group.startsWith('sg-') ? '' : group,
              description: '',
              userId: '',
              vpcId: '',
            },
          ],
  };
}

/** The permissions of a command: --ip-permissions or the short forms, not both. */
export function permissionsOf(o: ShortForm & { ipPermissions?: string[] }): IpPermission[] {
  const short = shortFormPermission(o);
  if (short && o.ipPermissions !== undefined) {
    throw new UsageError(
      'Pass either --ip-permissions or --protocol/--port/--cidr/--source-group, not both',
    );
  }
  return short ? [short] : parseIpPermissions(o.ipPermissions);
}
