import {
  dependencyViolation,
  dryRunOperation,
  invalidCombination,
  invalidParameter,
  KumoError,
  limitExceeded,
  notFound,
  quoted,
} from '../core/errors.js';
import { assertId, newId } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Tag } from '../core/tags.js';
import { expandPermissions, type IpPermissionInput, type RuleDraft } from './ip-permissions.js';
import type {
  NetworkInterfaceRepository,
  SecurityGroupRepository,
  VpcRepository,
} from './ports.js';
import {
  DEFAULT_GROUP_NAME,
  initialRules,
  ruleKey,
  RULES_PER_DIRECTION,
  type SecurityGroup,
  type SecurityGroupRule,
} from './security-group.js';
import {
  defaultGroupId,
  ensureDefaultGroup,
  groupById,
  groupByName,
  resolveInterfaceGroups,
} from './security-group-lookup.js';
import type { Vpc } from './vpc.js';

export interface SecurityGroupDeps {
  readonly groups: SecurityGroupRepository;
  readonly vpcs: VpcRepository;
  readonly interfaces: NetworkInterfaceRepository;
  /** Re-renders and applies the VPC's rules (NetworkService.refreshRules). */
  readonly applyVpc: (vpcId: string) => Promise<void>;
  readonly logger: Logger;
}

export interface CreateGroupInput {
  readonly groupName: string;
  readonly description: string;
  readonly vpcId?: string | undefined;
  readonly tags?: readonly Tag[] | undefined;
  readonly dryRun?: boolean | undefined;
}

/** Names a group by id, or by name in the default VPC (EC2's GroupId / GroupName). */
export interface GroupRef {
  readonly groupId?: string | undefined;
  readonly groupName?: string | undefined;
}

export interface RuleChangeInput extends GroupRef {
  readonly egress: boolean;
  readonly permissions: readonly IpPermissionInput[];
  /** Revoke only: rules by sgr- id instead of (not with) permissions. */
  readonly ruleIds?: readonly string[] | undefined;
  readonly dryRun?: boolean | undefined;
}

/** What an instance's interface shows of its groups. */
export interface InterfaceSecurity {
  readonly groups: readonly { readonly id: string; readonly name: string }[];
  readonly sourceDestCheck: boolean;
}

// EC2's rules for VPC group names and descriptions.
const NAME_CHARS = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/;

function checkText(value: string, what: string): void {
  if (value.length === 0) {
    throw invalidParameter(`${what} is required`, 'MissingParameter');
  }
  if (value.length > 255 || !NAME_CHARS.test(value)) {
    throw invalidParameter(
      `Invalid ${what} ${quoted(value)}: up to 255 characters of letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*`,
    );
  }
}

/**
 * EC2's security-group API on the network's records: groups belong to a VPC, rules are allow-only
 * and validated whole before anything is written (a bad permission changes nothing), and every
 * change is applied to the VPC's host rules at once. Which interfaces carry which groups lives
 * on the interfaces (NetworkInterface.groupIds), as EC2 keeps it on ENIs.
 */
export class SecurityGroupService {
  constructor(private readonly d: SecurityGroupDeps) {}

  private vpc(vpcId: string | undefined): Vpc {
    if (!vpcId) {
      const def = this.d.vpcs.list().find((v) => v.isDefault);
      if (!def) throw notFound('VPCIdNotSpecified', 'There is no default VPC; pass --vpc-id');
      return def;
    }
    assertId('vpc', vpcId, 'InvalidVpcID.Malformed');
    const vpc = this.d.vpcs.get(vpcId);
    if (!vpc) throw notFound('InvalidVpcID.NotFound', `The vpc ID ${quoted(vpcId)} does not exist`);
    return vpc;
  }

  /** Every VPC's default group exists (start-up, and after a VPC is made). */
  ensureDefaultGroups(): void {
    for (const vpc of this.d.vpcs.list()) ensureDefaultGroup(this.d.groups, vpc);
  }

  create(input: CreateGroupInput): SecurityGroup {
    checkText(input.groupName, 'group name');
    checkText(input.description, 'group description');
    if (input.groupName.toLowerCase().startsWith('sg-')) {
      throw invalidParameter(
        `Group names may not be in the format sg-*: ${quoted(input.groupName)}`,
      );
    }
    if (input.groupName === DEFAULT_GROUP_NAME) {
      throw invalidParameter(
        "The security group name 'default' is reserved for the VPC's default group; choose another name",
        'InvalidGroup.Reserved',
      );
    }
    const vpc = this.vpc(input.vpcId);
    if (this.d.groups.list().some((g) => g.vpcId === vpc.id && g.name === input.groupName)) {
      throw new KumoError(
        'AlreadyExists',
        'InvalidGroup.Duplicate',
        `The security group ${quoted(input.groupName)} already exists for VPC '${vpc.id}'`,
      );
    }
    if (input.dryRun) throw dryRunOperation();
    const id = newId('sg');
    const group: SecurityGroup = {
      id,
      vpcId: vpc.id,
      name: input.groupName,
      description: input.description,
      isDefault: false,
      rules: initialRules(id, false, () => newId('sgr')),
      tags: input.tags ?? [],
    };
    this.d.groups.put(group);
    this.d.logger.info('security group created', { groupId: id, vpcId: vpc.id });
    return group;
  }

  /** By ids, or by names (default VPC), or all; unknown ones are an error as in EC2. */
  find(ids: readonly string[], names: readonly string[]): SecurityGroup[] {
    this.ensureDefaultGroups();
    if (ids.length === 0 && names.length === 0) return this.d.groups.list();
    const def = this.d.vpcs.list().find((v) => v.isDefault);
    const byName = names.map((n) => {
      if (!def)
        throw notFound('InvalidGroup.NotFound', `The security group ${quoted(n)} does not exist`);
      return groupByName(this.d.groups, def.id, n);
    });
    const all = [...ids.map((id) => groupById(this.d.groups, id)), ...byName];
    return [...new Map(all.map((g) => [g.id, g])).values()];
  }

  private ref(ref: GroupRef): SecurityGroup {
    if (ref.groupId) return groupById(this.d.groups, ref.groupId);
    if (ref.groupName) return this.find([], [ref.groupName])[0] as SecurityGroup;
    throw invalidParameter(
      'Pass --group-id (or --group-name in the default VPC)',
      'MissingParameter',
    );
  }

  async delete(ref: GroupRef & { dryRun?: boolean | undefined }): Promise<string> {
    const g = this.ref(ref);
    if (g.isDefault) {
      throw new KumoError(
        'FailedPrecondition',
        'CannotDelete',
        `the specified group: "${g.id}" name: "${DEFAULT_GROUP_NAME}" cannot be deleted by a user`,
      );
    }
    const users = this.d.interfaces.list().filter((e) => this.groupsOfEni(e).includes(g.id));
    if (users.length > 0) {
      throw dependencyViolation(
        `resource ${g.id} has a dependent object: it is on ${users.map((e) => e.instanceId).join(', ')}; move them to other groups first (modify-instance-attribute --groups)`,
      );
    }
    const referrers = this.d.groups
      .list()
      .filter((o) => o.id !== g.id && o.rules.some((r) => r.groupId === g.id));
    if (referrers.length > 0) {
      throw dependencyViolation(
        `resource ${g.id} has a dependent object: rules of ${referrers.map((o) => o.id).join(', ')} name it; revoke them first`,
      );
    }
    if (ref.dryRun) throw dryRunOperation();
    this.d.groups.delete(g.id);
    this.d.logger.info('security group deleted', { groupId: g.id });
    await this.d.applyVpc(g.vpcId);
    return g.id;
  }

  /** Adds the rules (all or none) and applies them; returns the new rules. */
  async authorize(input: RuleChangeInput): Promise<SecurityGroupRule[]> {
    const g = this.ref(input);
    const drafts = expandPermissions(input.permissions, input.egress, (p) => this.peerGroup(g, p));
    const existing = new Set(g.rules.map(ruleKey));
    for (const draft of drafts) {
      const key = ruleKey(draft);
      if (existing.has(key)) {
        throw invalidParameter(
          `the specified rule "${describeDraft(draft)}" already exists in ${g.id}`,
          'InvalidPermission.Duplicate',
        );
      }
      existing.add(key);
    }
    const count = g.rules.filter((r) => r.egress === input.egress).length + drafts.length;
    if (count > RULES_PER_DIRECTION) {
      throw limitExceeded(
        'RulesPerSecurityGroupLimitExceeded',
        `The maximum number of rules per security group has been reached: ${g.id} would have ${count} ${input.egress ? 'outbound' : 'inbound'} rules; the limit is ${RULES_PER_DIRECTION}`,
      );
    }
    if (input.dryRun) throw dryRunOperation();
    const added = drafts.map((d): SecurityGroupRule => ({ id: newId('sgr'), ...d }));
    this.d.groups.put({ ...g, rules: [...g.rules, ...added] });
    await this.d.applyVpc(g.vpcId);
    return added;
  }

  /** Removes the rules (all or none) and applies; tracked connections they allowed go on. */
  async revoke(input: RuleChangeInput): Promise<SecurityGroupRule[]> {
    const g = this.ref(input);
    const ruleIds = input.ruleIds ?? [];
    if (ruleIds.length > 0 && input.permissions.length > 0) {
      throw invalidCombination(
        'Pass either --ip-permissions or --security-group-rule-ids, not both',
      );
    }
    let removed: SecurityGroupRule[];
    if (ruleIds.length > 0) {
      removed = ruleIds.map((id) => {
        const rule = g.rules.find((r) => r.id === id && r.egress === input.egress);
        if (!rule) {
          throw notFound(
            'InvalidSecurityGroupRuleId.NotFound',
            `The ${input.egress ? 'egress' : 'ingress'} rule ${quoted(id)} does not exist in ${g.id}`,
          );
        }
        return rule;
      });
    } else {
      const drafts = expandPermissions(input.permissions, input.egress, (p) =>
        this.peerGroup(g, p),
      );
      removed = drafts.map((draft) => {
        const rule = g.rules.find((r) => ruleKey(r) === ruleKey(draft));
        if (!rule) {
          throw notFound(
            'InvalidPermission.NotFound',
            `The specified rule "${describeDraft(draft)}" does not exist in ${g.id}; list its rules with describe-security-group-rules`,
          );
        }
        return rule;
      });
    }
    if (input.dryRun) throw dryRunOperation();
    const gone = new Set(removed.map((r) => r.id));
    this.d.groups.put({ ...g, rules: g.rules.filter((r) => !gone.has(r.id)) });
    await this.d.applyVpc(g.vpcId);
    return removed;
  }

  /** Every rule of every group, with its group (describe-security-group-rules). */
  rules(): { group: SecurityGroup; rule: SecurityGroupRule }[] {
    this.ensureDefaultGroups();
    return this.d.groups.list().flatMap((group) => group.rules.map((rule) => ({ group, rule })));
  }

  /** modify-instance-attribute --groups: replaces the interface's groups and applies. */
  async setInterfaceGroups(
    instanceId: string,
    ids: readonly string[],
    dryRun = false,
  ): Promise<void> {
    const eni = this.d.interfaces.byInstance(instanceId);
    if (!eni)
      throw notFound('InvalidInstanceID.NotFound', `${instanceId} has no network interface`);
    if (ids.length === 0) {
      throw invalidParameter('Pass at least one group with --groups', 'MissingParameter');
    }
    const vpc = this.vpc(eni.vpcId);
    const groupIds = resolveInterfaceGroups(this.d.groups, vpc, ids, []);
    if (dryRun) throw dryRunOperation();
    this.d.interfaces.put({ ...eni, groupIds });
    await this.d.applyVpc(eni.vpcId);
  }

  /** modify-instance-attribute --[no-]source-dest-check. */
  async setSourceDestCheck(instanceId: string, value: boolean, dryRun = false): Promise<void> {
    const eni = this.d.interfaces.byInstance(instanceId);
    if (!eni)
      throw notFound('InvalidInstanceID.NotFound', `${instanceId} has no network interface`);
    if (dryRun) throw dryRunOperation();
    this.d.interfaces.put({ ...eni, sourceDestCheck: value });
    await this.d.applyVpc(eni.vpcId);
  }

  /** The groups and source/dest check of an instance's interface (undefined: it has none now). */
  interfaceSecurity(instanceId: string): InterfaceSecurity | undefined {
    const eni = this.d.interfaces.byInstance(instanceId);
    if (!eni) return undefined;
    return {
      groups: this.groupsOfEni(eni).map((id) => ({ id, name: this.d.groups.get(id)?.name ?? '' })),
      sourceDestCheck: eni.sourceDestCheck !== false,
    };
  }

  /** Group ids to id+name, for records kept after the interface went (terminated instances). */
  named(ids: readonly string[]): { id: string; name: string }[] {
    return ids.map((id) => ({ id, name: this.d.groups.get(id)?.name ?? '' }));
  }

  private groupsOfEni(e: {
    vpcId: string;
    groupIds?: readonly string[] | undefined;
  }): readonly string[] {
    return e.groupIds ?? [defaultGroupId(e.vpcId)];
  }

  /** A rule's peer group: same VPC only (EC2 needs peering for more, which kumo lacks). */
  private peerGroup(g: SecurityGroup, p: { groupId?: string; groupName?: string }): string {
    const peer = p.groupId
      ? groupById(this.d.groups, p.groupId)
      : p.groupName
        ? groupByName(this.d.groups, g.vpcId, p.groupName)
        : undefined;
    if (!peer) {
      throw invalidParameter(
        'A UserIdGroupPair needs a GroupId (or GroupName)',
        'MissingParameter',
      );
    }
    if (peer.vpcId !== g.vpcId) {
      throw notFound(
        'InvalidGroup.NotFound',
        `The security group ${peer.id} is in ${peer.vpcId}, not in ${g.vpcId} with ${g.id}; rules can name groups of the same VPC only`,
      );
    }
    return peer.id;
  }
}

/** A rule in EC2's wording: "peer: 0.0.0.0/0, TCP, from port: 22, to port: 22, ALLOW". */
function describeDraft(d: RuleDraft): string {
  const proto = d.protocol === '-1' ? 'ALL' : d.protocol.toUpperCase();
  return `peer: ${d.cidrIpv4 ?? d.groupId ?? ''}, ${proto}, from port: ${d.fromPort}, to port: ${d.toPort}, ALLOW`;
}
