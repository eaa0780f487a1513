import { notFound } from '../core/errors.js';
import { assertId } from '../core/ids.js';
import { applyFilters, type Filter, type FilterSchema } from '../core/tags.js';
import { INSTANCE_STATE_CODES, shownPrivateIp, shownPublicIp, type Instance } from './instance.js';
import type { InstanceRepository } from './ports.js';

/** Looks up instances by id, failing like EC2 when any id is malformed or unknown. */
export function getInstances(repo: InstanceRepository, ids: readonly string[]): Instance[] {
  for (const id of ids) assertId('i', id, 'InvalidInstanceID.Malformed');
  const found: Instance[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const i = repo.get(id);
    if (i) found.push(i);
    else missing.push(id);
  }
  if (missing.length > 0) {
    throw notFound(
      'InvalidInstanceID.NotFound',
      `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`,
    );
  }
  return found;
}

const optional = (v: string | undefined): string[] => (v === undefined ? [] : [v]);

/** The filters DescribeInstances understands (and tag:<key>, tag-key). */
export const INSTANCE_FILTERS: FilterSchema<Instance> = {
  fields: {
    'instance-state-name': (i) => [i.state],
    'instance-state-code': (i) => [String(INSTANCE_STATE_CODES[i.state])],
    'instance-type': (i) => [i.instanceType],
    'image-id': (i) => [i.imageId],
    'instance-id': (i) => [i.id],
    'key-name': (i) => (i.keyName ? [i.keyName] : []),
    'reservation-id': (i) => [i.reservationId],
    // The addresses as shown: a stopped instance has no public address to match.
    'private-ip-address': (i) => optional(shownPrivateIp(i)),
    'ip-address': (i) => optional(shownPublicIp(i)),
    'vpc-id': (i) => (i.network ? [i.network.vpcId] : []),
    'subnet-id': (i) => (i.network ? [i.network.subnetId] : []),
    'client-token': (i) => (i.clientToken ? [i.clientToken] : []),
  },
  tags: (i) => i.tags,
};

/** DescribeInstances: by ids (all must exist) and filters, in launch order. */
export function describeInstances(
  repo: InstanceRepository,
  ids: readonly string[],
  filters: readonly Filter[],
): Instance[] {
  const base = ids.length > 0 ? getInstances(repo, ids) : repo.list();
  return applyFilters(base, filters, INSTANCE_FILTERS).sort(
    (a, b) => a.launchTime.getTime() - b.launchTime.getTime() || a.launchIndex - b.launchIndex,
  );
}
