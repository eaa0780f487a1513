import { validateTagSpecifications } from '../compute/tag-specifications.js';
import { invalidParameter, notFound, quoted } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { SecurityGroupsServer } from '../gen/kumo/v1/security_groups.js';
import type { ApiContext } from './context.js';
import { tags, toFilters, toTagSpecs } from './convert.js';
import { paginate, PAGE_LIMITS } from './pagination.js';
import {
  filterGroups,
  filterRules,
  groupToProto,
  permissionToDomain,
  revokedToProto,
  ruleToProto,
} from './security-group-view.js';
import { unary } from './unary.js';
import { dryRunOperation } from '../core/errors.js';

/** The SecurityGroups service: EC2's security-group calls over the network domain. */
export function securityGroupsHandlers(ctx: ApiContext, logger: Logger): SecurityGroupsServer {
  const sg = ctx.securityGroups;
  const handle: typeof unary = (method, log, fn) => unary(method, log, fn, ctx.shutdownSignal);
  const rulesOf = (groupId: string, ids: readonly string[]) => {
    const g = sg.find([groupId], [])[0];
    return g ? g.rules.filter((r) => ids.includes(r.id)).map((r) => ruleToProto(g, r)) : [];
  };
  const groupOf = (ref: { groupId: string; groupName: string }) =>
    sg.find(ref.groupId ? [ref.groupId] : [], ref.groupId ? [] : [ref.groupName])[0];
  return {
    createSecurityGroup: handle('CreateSecurityGroup', logger, (req) => {
      const groupTags = validateTagSpecifications(toTagSpecs(req.tagSpecifications), [
        'security-group',
      ]);
      const g = sg.create({
        groupName: req.groupName,
        description: req.description,
        vpcId: req.vpcId || undefined,
        tags: groupTags,
        dryRun: req.dryRun,
      });
      return {
        groupId: g.id,
        tags: tags(g.tags),
        securityGroupArn: groupToProto(g).securityGroupArn,
      };
    }),
    describeSecurityGroups: handle('DescribeSecurityGroups', logger, (req) => {
      const found = filterGroups(sg.find(req.groupIds, req.groupNames), toFilters(req.filters));
      if (req.dryRun) throw dryRunOperation();
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeSecurityGroups,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.groupIds.length + req.groupNames.length,
          query: [req.groupIds, req.groupNames, req.filters],
        },
        [...found].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
        (g) => g.id,
      );
      return { securityGroups: page.map(groupToProto), nextToken };
    }),
    deleteSecurityGroup: handle('DeleteSecurityGroup', logger, async (req) => {
      if (!req.groupId && !req.groupName) {
        throw invalidParameter(
          'Pass --group-id (or --group-name in the default VPC)',
          'MissingParameter',
        );
      }
      const id = await sg.delete({
        groupId: req.groupId || undefined,
        groupName: req.groupName || undefined,
        dryRun: req.dryRun,
      });
      return { return: true, groupId: id };
    }),
    authorizeSecurityGroupIngress: handle('AuthorizeSecurityGroupIngress', logger, async (req) => {
      const added = await sg.authorize({
        groupId: req.groupId || undefined,
        groupName: req.groupName || undefined,
        egress: false,
        permissions: req.ipPermissions.map(permissionToDomain),
        dryRun: req.dryRun,
      });
      const g = groupOf(req);
      return {
        return: true,
        securityGroupRules: g
          ? rulesOf(
              g.id,
              added.map((r) => r.id),
            )
          : [],
      };
    }),
    authorizeSecurityGroupEgress: handle('AuthorizeSecurityGroupEgress', logger, async (req) => {
      const added = await sg.authorize({
        groupId: req.groupId,
        egress: true,
        permissions: req.ipPermissions.map(permissionToDomain),
        dryRun: req.dryRun,
      });
      return {
        return: true,
        securityGroupRules: rulesOf(
          req.groupId,
          added.map((r) => r.id),
        ),
      };
    }),
    revokeSecurityGroupIngress: handle('RevokeSecurityGroupIngress', logger, async (req) => {
      const g = groupOf(req);
      const removed = await sg.revoke({
        groupId: req.groupId || undefined,
        groupName: req.groupName || undefined,
        egress: false,
        permissions: req.ipPermissions.map(permissionToDomain),
        ruleIds: req.securityGroupRuleIds,
        dryRun: req.dryRun,
      });
      return {
        return: true,
        revokedSecurityGroupRules: g ? removed.map((r) => revokedToProto(g, r)) : [],
      };
    }),
    revokeSecurityGroupEgress: handle('RevokeSecurityGroupEgress', logger, async (req) => {
      const g = groupOf({ groupId: req.groupId, groupName: '' });
      const removed = await sg.revoke({
        groupId: req.groupId,
        egress: true,
        permissions: req.ipPermissions.map(permissionToDomain),
        ruleIds: req.securityGroupRuleIds,
        dryRun: req.dryRun,
      });
      return {
        return: true,
        revokedSecurityGroupRules: g ? removed.map((r) => revokedToProto(g, r)) : [],
      };
    }),
    describeSecurityGroupRules: handle('DescribeSecurityGroupRules', logger, (req) => {
      const all = sg.rules();
      for (const id of req.securityGroupRuleIds) {
        if (!all.some((x) => x.rule.id === id)) {
          throw notFound(
            'InvalidSecurityGroupRuleId.NotFound',
            `The security group rule ID ${quoted(id)} does not exist`,
          );
        }
      }
      const wanted = new Set(req.securityGroupRuleIds);
      const rows = filterRules(
        wanted.size > 0 ? all.filter((x) => wanted.has(x.rule.id)) : all,
        toFilters(req.filters),
      );
      if (req.dryRun) throw dryRunOperation();
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeSecurityGroupRules,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.securityGroupRuleIds.length,
          query: [req.securityGroupRuleIds, req.filters],
        },
        [...rows].sort((a, b) => (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0)),
        (x) => x.rule.id,
      );
      return { securityGroupRules: page.map((x) => ruleToProto(x.group, x.rule)), nextToken };
    }),
  };
}
