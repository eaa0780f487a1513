import { applyFilters, type Filter, type FilterSchema } from '../core/tags.js';
import { OWNER_ID } from '../core/ids.js';
import type {
  IpPermission,
  RevokedSecurityGroupRule,
  SecurityGroup as PSecurityGroup,
  SecurityGroupRule as PSecurityGroupRule,
} from '../gen/kumo/v1/security_groups.js';
import { permissionsOf, type IpPermissionInput } from '../network/ip-permissions.js';
import type { SecurityGroup, SecurityGroupRule } from '../network/security-group.js';
import { tags } from './convert.js';

/** EC2-shaped ARNs with kumo's owner id and region-less partition. */
const arn = (kind: string, id: string): string => `arn:aws:ec2::${OWNER_ID}:${kind}/${id}`;

export function permissionToDomain(p: IpPermission): IpPermissionInput {
  return {
    ipProtocol: p.ipProtocol,
    fromPort: p.fromPort,
    toPort: p.toPort,
    ipRanges: p.ipRanges.map((r) => ({ cidrIp: r.cidrIp, description: r.description })),
    groupPairs: p.userIdGroupPairs.map((g) => ({
      ...(g.groupId ? { groupId: g.groupId } : {}),
      ...(g.groupName ? { groupName: g.groupName } : {}),
      description: g.description,
    })),
  };
}

function permissionsToProto(rules: readonly SecurityGroupRule[], vpcId: string): IpPermission[] {
  return permissionsOf(rules).map((p) => ({
    ipProtocol: p.ipProtocol,
    fromPort: p.fromPort,
    toPort: p.toPort,
    ipRanges: p.ipRanges.map((r) => ({ cidrIp: r.cidrIp, description: r.description ?? '' })),
    userIdGroupPairs: p.groupPairs.map((g) => ({
      groupId: g.groupId,
      groupName: '',
      description: g.description ?? '',
      userId: OWNER_ID,
      vpcId,
    })),
  }));
}

export function groupToProto(g: SecurityGroup): PSecurityGroup {
  return {
    groupId: g.id,
    groupName: g.name,
    description: g.description,
    ownerId: OWNER_ID,
    vpcId: g.vpcId,
    ipPermissions: permissionsToProto(
      g.rules.filter((r) => !r.egress),
      g.vpcId,
    ),
    ipPermissionsEgress: permissionsToProto(
      g.rules.filter((r) => r.egress),
      g.vpcId,
    ),
    tags: tags(g.tags),
    securityGroupArn: arn('security-group', g.id),
  };
}

export function ruleToProto(g: SecurityGroup, r: SecurityGroupRule): PSecurityGroupRule {
  return {
    securityGroupRuleId: r.id,
    groupId: g.id,
    groupOwnerId: OWNER_ID,
    isEgress: r.egress,
    ipProtocol: r.protocol,
    fromPort: r.fromPort,
    toPort: r.toPort,
    cidrIpv4: r.cidrIpv4 ?? '',
    referencedGroupInfo: r.groupId
      ? { groupId: r.groupId, userId: OWNER_ID, vpcId: g.vpcId }
      : undefined,
    description: r.description ?? '',
    tags: [],
    securityGroupRuleArn: arn('security-group-rule', r.id),
  };
}

const perm = (egress: boolean, read: (r: SecurityGroupRule) => string[]) => (g: SecurityGroup) =>
  g.rules.filter((r) => r.egress === egress).flatMap(read);
const port = (n: number): string[] => [String(n)];

/** EC2's DescribeSecurityGroups filters. */
const GROUP_FILTERS: FilterSchema<SecurityGroup> = {
  fields: {
    'group-id': (g) => [g.id],
    'group-name': (g) => [g.name],
    description: (g) => [g.description],
    'vpc-id': (g) => [g.vpcId],
    'owner-id': () => [OWNER_ID],
    'ip-permission.protocol': perm(false, (r) => [r.protocol]),
    'ip-permission.from-port': perm(false, (r) => port(r.fromPort)),
    'ip-permission.to-port': perm(false, (r) => port(r.toPort)),
    'ip-permission.cidr': perm(false, (r) => (r.cidrIpv4 ? [r.cidrIpv4] : [])),
    'ip-permission.group-id': perm(false, (r) => (r.groupId ? [r.groupId] : [])),
    'egress.ip-permission.protocol': perm(true, (r) => [r.protocol]),
    'egress.ip-permission.from-port': perm(true, (r) => port(r.fromPort)),
    'egress.ip-permission.to-port': perm(true, (r) => port(r.toPort)),
    'egress.ip-permission.cidr': perm(true, (r) => (r.cidrIpv4 ? [r.cidrIpv4] : [])),
    'egress.ip-permission.group-id': perm(true, (r) => (r.groupId ? [r.groupId] : [])),
  },
  tags: (g) => g.tags,
};

export const filterGroups = (groups: readonly SecurityGroup[], filters: readonly Filter[]) =>
  applyFilters(groups, filters, GROUP_FILTERS);

type RuleRow = { group: SecurityGroup; rule: SecurityGroupRule };

/** EC2's DescribeSecurityGroupRules filters. */
const RULE_FILTERS: FilterSchema<RuleRow> = {
  fields: {
    'group-id': (x) => [x.group.id],
    'security-group-rule-id': (x) => [x.rule.id],
  },
  tags: () => [],
};

export const filterRules = (rows: readonly RuleRow[], filters: readonly Filter[]) =>
  applyFilters(rows, filters, RULE_FILTERS);

export const revokedToProto = (
  g: SecurityGroup,
  r: SecurityGroupRule,
): RevokedSecurityGroupRule => ({
  securityGroupRuleId: r.id,
  groupId: g.id,
  isEgress: r.egress,
  ipProtocol: r.protocol,
  fromPort: r.fromPort,
  toPort: r.toPort,
  cidrIpv4: r.cidrIpv4 ?? '',
  referencedGroupId: r.groupId ?? '',
  description: r.description ?? '',
});
