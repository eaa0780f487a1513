import type { Tag } from '../core/tags.js';

/**
 * A security group: a VPC's named set of allow rules, applied to the interfaces that carry it.
 * Rules are EC2's "security group rules" (one per CIDR or referenced group, each with an sgr- id);
 * the IpPermissions view of describe-security-groups is built from them.
 */
export interface SecurityGroup {
  /** sg-… */
  readonly id: string;
  readonly vpcId: string;
  readonly name: string;
  readonly description: string;
  /** The VPC's default group: made with the VPC, named "default", cannot be deleted. */
  readonly isDefault: boolean;
  readonly rules: readonly SecurityGroupRule[];
  readonly tags: readonly Tag[];
}

/** '-1' (all), 'tcp', 'udp', 'icmp', or another IP protocol number as a decimal string. */
export type IpProtocol = string;

/** One allow rule, ingress or egress, with exactly one peer: a CIDR or a group's members. */
export interface SecurityGroupRule {
  /** sgr-… */
  readonly id: string;
  readonly egress: boolean;
  readonly protocol: IpProtocol;
  /** tcp/udp: first port; icmp: type (-1 = any); other protocols: -1. */
  readonly fromPort: number;
  /** tcp/udp: last port; icmp: code (-1 = any); other protocols: -1. */
  readonly toPort: number;
  readonly cidrIpv4?: string | undefined;
  /** The peer group whose members' private addresses the rule admits (same VPC). */
  readonly groupId?: string | undefined;
  readonly description?: string | undefined;
}

/** EC2's quotas (per group and direction; per interface). */
export const RULES_PER_DIRECTION = 60;
export const GROUPS_PER_INTERFACE = 5;
export const DEFAULT_GROUP_NAME = 'default';
export const DEFAULT_GROUP_DESCRIPTION = 'default VPC security group';

/** What makes two rules the same rule (EC2's InvalidPermission.Duplicate); descriptions do not. */
export const ruleKey = (r: Omit<SecurityGroupRule, 'id'>): string =>
  [r.egress ? 'e' : 'i', r.protocol, r.fromPort, r.toPort, r.cidrIpv4 ?? '', r.groupId ?? ''].join(
    '|',
  );

/** The rules a group starts with: all outbound; the default group also admits its own members. */
export function initialRules(
  groupId: string,
  isDefault: boolean,
  newRuleId: () => string,
): SecurityGroupRule[] {
  const rules: SecurityGroupRule[] = [];
  if (isDefault) {
    rules.push({
      id: newRuleId(),
      egress: false,
      protocol: '-1',
      fromPort: -1,
      toPort: -1,
      groupId,
    });
  }
  rules.push({
    id: newRuleId(),
    egress: true,
    protocol: '-1',
    fromPort: -1,
    toPort: -1,
    cidrIpv4: '0.0.0.0/0',
  });
  return rules;
}
