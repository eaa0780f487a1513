import {
  invalidCombination,
  invalidParameter,
  limitExceeded,
  notFound,
  quoted,
} from '../core/errors.js';
import { assertId, idSuffix, newId } from '../core/ids.js';
import type { SecurityGroupRepository } from './ports.js';
import {
  DEFAULT_GROUP_DESCRIPTION,
  DEFAULT_GROUP_NAME,
  GROUPS_PER_INTERFACE,
  initialRules,
  type SecurityGroup,
} from './security-group.js';
import type { Vpc } from './vpc.js';

/**
 * The id of a VPC's default group: derived from the VPC id, so it is stable, known before the row
 * exists, and the same id describe-instances showed before security groups were real.
 */
export const defaultGroupId = (vpcId: string): string => `sg-${idSuffix(vpcId)}`;

/** The VPC's default group, made (allow from itself, all outbound) if it is missing. */
export function ensureDefaultGroup(repo: SecurityGroupRepository, vpc: Vpc): SecurityGroup {
  const id = defaultGroupId(vpc.id);
  const existing = repo.get(id);
  if (existing) return existing;
  const group: SecurityGroup = {
    id,
    vpcId: vpc.id,
    name: DEFAULT_GROUP_NAME,
    description: DEFAULT_GROUP_DESCRIPTION,
    isDefault: true,
    rules: initialRules(id, true, () => newId('sgr')),
    tags: [],
  };
  repo.put(group);
  return group;
}

/** A group by id (InvalidGroupId.Malformed, InvalidGroup.NotFound). */
export function groupById(repo: SecurityGroupRepository, id: string): SecurityGroup {
  assertId('sg', id, 'InvalidGroupId.Malformed');
  const g = repo.get(id);
  if (!g)
    throw notFound('InvalidGroup.NotFound', `The security group ${quoted(id)} does not exist`);
  return g;
}

/** A group by name within one VPC (EC2 allows names only where a VPC is implied). */
export function groupByName(
  repo: SecurityGroupRepository,
  vpcId: string,
  name: string,
): SecurityGroup {
  const g = repo.list().find((x) => x.vpcId === vpcId && x.name === name);
  if (!g) {
    throw notFound(
      'InvalidGroup.NotFound',
      `The security group ${quoted(name)} does not exist in VPC '${vpcId}'`,
    );
  }
  return g;
}

/**
 * The groups an interface in `vpc` gets: the named ones (ids, and names where the VPC is the
 * default one, as EC2 allows), or the VPC's default group when none is named. Refuses unknown
 * groups, groups of another VPC and more than five.
 */
export function resolveInterfaceGroups(
  repo: SecurityGroupRepository,
  vpc: Vpc,
  ids: readonly string[],
  names: readonly string[],
): string[] {
  if (names.length > 0 && !vpc.isDefault) {
    throw invalidCombination(
      `Security group names (--security-groups) work only in the default VPC; ${vpc.id} is not: pass --security-group-ids`,
    );
  }
  const found = [
    ...ids.map((id) => groupById(repo, id)),
    ...names.map((n) => groupByName(repo, vpc.id, n)),
  ];
  for (const g of found) {
    if (g.vpcId !== vpc.id) {
      throw invalidParameter(
        `Security group ${g.id} and the subnet belong to different networks (${g.vpcId} and ${vpc.id}); use a group of ${vpc.id}`,
        'InvalidParameter',
      );
    }
  }
  const unique = [...new Set(found.map((g) => g.id))];
  if (unique.length > GROUPS_PER_INTERFACE) {
    throw limitExceeded(
      'SecurityGroupsPerInterfaceLimitExceeded',
      `An interface can have at most ${GROUPS_PER_INTERFACE} security groups; ${unique.length} were given`,
    );
  }
  return unique.length > 0 ? unique : [ensureDefaultGroup(repo, vpc).id];
}
