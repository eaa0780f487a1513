import type { Command } from 'commander';
import {
  AuthorizeSecurityGroupEgressRequest,
  AuthorizeSecurityGroupIngressRequest,
  CreateSecurityGroupRequest,
  DeleteSecurityGroupRequest,
  DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupsRequest,
  RevokeSecurityGroupEgressRequest,
  RevokeSecurityGroupIngressRequest,
} from '../../gen/kumo/v1/security_groups.js';
import { withCliInput } from '../cli-input.js';
import type { CliContext } from '../context.js';
import { DRY_RUN, isDryRun, withDryRun } from '../dry-run.js';
import { UsageError } from '../errors.js';
import { IP_PERMISSIONS_SHAPE, permissionsOf, type ShortForm } from '../ip-permissions-param.js';
import { callPaged } from '../paged-call.js';
import { PAGINATORS } from '../paginators.js';
import { MAX_RESULTS, NEXT_TOKEN, withPagingOptions } from '../paging-options.js';
import {
  FILTERS,
  STRING,
  STRING_LIST,
  tagSpecifications,
  type CommandInput,
  type InputMember,
} from '../request-shapes.js';
import { parseFilters, parseTagSpecifications } from '../structured-params.js';

const GROUP_ID: InputMember = { name: 'GroupId', shape: STRING, option: 'groupId' };
const GROUP_NAME: InputMember = { name: 'GroupName', shape: STRING, option: 'groupName' };
const IP_PERMISSIONS: InputMember = {
  name: 'IpPermissions',
  shape: IP_PERMISSIONS_SHAPE,
  option: 'ipPermissions',
  toOption: (v) => [JSON.stringify(v)],
};
const RULE_IDS: InputMember = {
  name: 'SecurityGroupRuleIds',
  shape: STRING_LIST,
  option: 'securityGroupRuleIds',
};

interface RuleOptions extends ShortForm {
  groupId?: string;
  groupName?: string;
  ipPermissions?: string[];
  securityGroupRuleIds?: string[];
  dryRun?: boolean;
}

/** The options every authorize/revoke command has (aws-cli's, short forms included). */
function ruleOptions(command: Command, withName: boolean): Command {
  command.option('--group-id <id>', 'security group id');
  if (withName) command.option('--group-name <name>', 'security group name (default VPC)');
  return command
    .option(
      '--ip-permissions <perm...>',
      'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}] or JSON',
    )
    .option('--protocol <p>', 'short form: tcp, udp, icmp, all or a number')
    .option('--port <range>', 'short form: N or N-M (icmp: type-code; -1 for all)')
    .option('--cidr <cidr>', 'short form: IPv4 CIDR of the peer')
    .option('--source-group <group>', 'short form: peer security group (id or name)');
}

function checkGroupRef(o: RuleOptions): void {
  if (o.groupId === undefined && o.groupName === undefined)
    throw new UsageError('Pass --group-id ID (or --group-name NAME in the default VPC)');
}

/** Omits empty lists, as EC2 leaves members out when there is nothing to list. */
const tagsIfAny = <T extends { tags: unknown[] }>(res: T) => ({
  ...res,
  tags: res.tags.length > 0 ? res.tags : undefined,
});

/** create/describe/delete-security-group(s), authorize/revoke-*, describe-security-group-rules. */
export function registerSecurityGroupCommands(program: Command, ctx: CliContext): void {
  const client = () => ctx.clients.securityGroups;

  const createInput: CommandInput = {
    operation: 'CreateSecurityGroup',
    members: [
      { name: 'Description', shape: STRING, option: 'description' },
      GROUP_NAME,
      { name: 'VpcId', shape: STRING, option: 'vpcId' },
      {
        name: 'TagSpecifications',
        shape: tagSpecifications('security-group'),
        option: 'tagSpecifications',
      },
      DRY_RUN,
    ],
  };
  const create = withCliInput(program.command('create-security-group'), createInput)
    .description('Create a security group: no inbound, all outbound (EC2 CreateSecurityGroup)')
    .requiredOption('--group-name <name>', 'group name, unique in its VPC')
    .requiredOption('--description <text>', 'description')
    .option('--vpc-id <id>', 'VPC (default: the default VPC)')
    .option(
      '--tag-specifications <spec...>',
      'ResourceType=security-group,Tags=[{Key=k,Value=v}] or JSON',
    );
  withDryRun(create).action(
    async (o: {
      groupName: string;
      description: string;
      vpcId?: string;
      tagSpecifications?: string[];
      dryRun?: boolean;
    }) => {
      const c = client();
      const request = CreateSecurityGroupRequest.fromPartial({
        groupName: o.groupName,
        description: o.description,
        vpcId: o.vpcId ?? '',
        tagSpecifications: parseTagSpecifications(o.tagSpecifications),
        dryRun: isDryRun(o),
      });
      const res = await ctx.call('CreateSecurityGroup', c.createSecurityGroup.bind(c), request);
      ctx.print('CreateSecurityGroup', tagsIfAny(res));
    },
  );

  const describeInput: CommandInput = {
    operation: 'DescribeSecurityGroups',
    members: [
      { name: 'GroupIds', shape: STRING_LIST, option: 'groupIds' },
      { name: 'GroupNames', shape: STRING_LIST, option: 'groupNames' },
      NEXT_TOKEN,
      MAX_RESULTS,
      DRY_RUN,
      { name: 'Filters', shape: FILTERS, option: 'filters' },
    ],
  };
  const describe = withCliInput(program.command('describe-security-groups'), describeInput)
    .description('Describe security groups (EC2 DescribeSecurityGroups)')
    .option('--group-ids <ids...>', 'group ids')
    .option('--group-names <names...>', 'group names (default VPC)')
    .option('--filters <filter...>', 'Name=group-name,Values=web or JSON');
  withPagingOptions(withDryRun(describe), 'security groups').action(
    async (
      o: { groupIds?: string[]; groupNames?: string[]; filters?: string[]; dryRun?: boolean },
      command: Command,
    ) => {
      const c = client();
      const request = {
        groupIds: o.groupIds ?? [],
        groupNames: o.groupNames ?? [],
        filters: parseFilters(o.filters),
        dryRun: isDryRun(o),
      };
      await callPaged(ctx, command, PAGINATORS.DescribeSecurityGroups, (page) =>
        ctx.call(
          'DescribeSecurityGroups',
          c.describeSecurityGroups.bind(c),
          DescribeSecurityGroupsRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );

  const remove = withCliInput(program.command('delete-security-group'), {
    operation: 'DeleteSecurityGroup',
    members: [GROUP_ID, GROUP_NAME, DRY_RUN],
  })
    .description('Delete a security group no instance uses (EC2 DeleteSecurityGroup)')
    .option('--group-id <id>', 'group id')
    .option('--group-name <name>', 'group name (default VPC)');
  withDryRun(remove).action(async (o: RuleOptions) => {
    checkGroupRef(o);
    const c = client();
    const request = DeleteSecurityGroupRequest.fromPartial({
      groupId: o.groupId ?? '',
      groupName: o.groupName ?? '',
      dryRun: isDryRun(o),
    });
    ctx.print(
      'DeleteSecurityGroup',
      await ctx.call('DeleteSecurityGroup', c.deleteSecurityGroup.bind(c), request),
    );
  });

  const authIn = withCliInput(program.command('authorize-security-group-ingress'), {
    operation: 'AuthorizeSecurityGroupIngress',
    members: [GROUP_ID, GROUP_NAME, IP_PERMISSIONS, DRY_RUN],
  }).description('Allow inbound traffic (EC2 AuthorizeSecurityGroupIngress)');
  withDryRun(ruleOptions(authIn, true)).action(async (o: RuleOptions) => {
    checkGroupRef(o);
    const c = client();
    const request = AuthorizeSecurityGroupIngressRequest.fromPartial({
      groupId: o.groupId ?? '',
      groupName: o.groupName ?? '',
      ipPermissions: permissionsOf(o),
      dryRun: isDryRun(o),
    });
    const res = await ctx.call(
      'AuthorizeSecurityGroupIngress',
      c.authorizeSecurityGroupIngress.bind(c),
      request,
    );
    ctx.print('AuthorizeSecurityGroupIngress', res);
  });

  const authOut = withCliInput(program.command('authorize-security-group-egress'), {
    operation: 'AuthorizeSecurityGroupEgress',
    members: [DRY_RUN, GROUP_ID, IP_PERMISSIONS],
  }).description('Allow outbound traffic (EC2 AuthorizeSecurityGroupEgress)');
  withDryRun(ruleOptions(authOut, false)).action(async (o: RuleOptions) => {
    checkGroupRef(o);
    const c = client();
    const request = AuthorizeSecurityGroupEgressRequest.fromPartial({
      groupId: o.groupId ?? '',
      ipPermissions: permissionsOf(o),
      dryRun: isDryRun(o),
    });
    const res = await ctx.call(
      'AuthorizeSecurityGroupEgress',
      c.authorizeSecurityGroupEgress.bind(c),
      request,
    );
    ctx.print('AuthorizeSecurityGroupEgress', res);
  });

  const revIn = withCliInput(program.command('revoke-security-group-ingress'), {
    operation: 'RevokeSecurityGroupIngress',
    members: [GROUP_ID, GROUP_NAME, IP_PERMISSIONS, RULE_IDS, DRY_RUN],
  }).description(
    'Remove inbound rules; tracked connections go on (EC2 RevokeSecurityGroupIngress)',
  );
  withDryRun(
    ruleOptions(revIn, true).option('--security-group-rule-ids <ids...>', 'rules by sgr- id'),
  ).action(async (o: RuleOptions) => {
    checkGroupRef(o);
    const c = client();
    const request = RevokeSecurityGroupIngressRequest.fromPartial({
      groupId: o.groupId ?? '',
      groupName: o.groupName ?? '',
      ipPermissions: o.securityGroupRuleIds ? [] : permissionsOf(o),
      securityGroupRuleIds: o.securityGroupRuleIds ?? [],
      dryRun: isDryRun(o),
    });
    const res = await ctx.call(
      'RevokeSecurityGroupIngress',
      c.revokeSecurityGroupIngress.bind(c),
      request,
    );
    ctx.print('RevokeSecurityGroupIngress', res);
  });

  const revOut = withCliInput(program.command('revoke-security-group-egress'), {
    operation: 'RevokeSecurityGroupEgress',
    members: [RULE_IDS, DRY_RUN, GROUP_ID, IP_PERMISSIONS],
  }).description('Remove outbound rules (EC2 RevokeSecurityGroupEgress)');
  withDryRun(
    ruleOptions(revOut, false).option('--security-group-rule-ids <ids...>', 'rules by sgr- id'),
  ).action(async (o: RuleOptions) => {
    checkGroupRef(o);
    const c = client();
    const request = RevokeSecurityGroupEgressRequest.fromPartial({
      groupId: o.groupId ?? '',
      ipPermissions: o.securityGroupRuleIds ? [] : permissionsOf(o),
      securityGroupRuleIds: o.securityGroupRuleIds ?? [],
      dryRun: isDryRun(o),
    });
    const res = await ctx.call(
      'RevokeSecurityGroupEgress',
      c.revokeSecurityGroupEgress.bind(c),
      request,
    );
    ctx.print('RevokeSecurityGroupEgress', res);
  });

  const rulesInput: CommandInput = {
    operation: 'DescribeSecurityGroupRules',
    members: [
      { name: 'Filters', shape: FILTERS, option: 'filters' },
      RULE_IDS,
      DRY_RUN,
      NEXT_TOKEN,
      MAX_RESULTS,
    ],
  };
  const rules = withCliInput(program.command('describe-security-group-rules'), rulesInput)
    .description(
      'Describe security group rules with their sgr- ids (EC2 DescribeSecurityGroupRules)',
    )
    .option('--security-group-rule-ids <ids...>', 'rule ids')
    .option('--filters <filter...>', 'Name=group-id,Values=sg-... or JSON');
  withPagingOptions(withDryRun(rules), 'security group rules').action(
    async (
      o: { securityGroupRuleIds?: string[]; filters?: string[]; dryRun?: boolean },
      command: Command,
    ) => {
      const c = client();
      const request = {
        securityGroupRuleIds: o.securityGroupRuleIds ?? [],
        filters: parseFilters(o.filters),
        dryRun: isDryRun(o),
      };
      await callPaged(ctx, command, PAGINATORS.DescribeSecurityGroupRules, (page) =>
        ctx.call(
          'DescribeSecurityGroupRules',
          c.describeSecurityGroupRules.bind(c),
          DescribeSecurityGroupRulesRequest.fromPartial({ ...request, ...page }),
        ),
      );
    },
  );
}
