import { invalidParameter, notFound } from '../core/errors.js';
import { assertId } from '../core/ids.js';
import { matchesFilters, tagFieldValues, type Filter } from '../core/tags.js';
import type { Instance } from './instance.js';
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

function field(i: Instance, name: string): readonly string[] | undefined {
  switch (name) {
    case 'instance-state-name':
      return [i.state];
    case 'instance-state-code':
      return [String(codeOf(i))];
    case 'instance-type':
      return [i.instanceType];
    case 'image-id':
      return [i.imageId];
    case 'instance-id':
      return [i.id];
    case 'key-name':
      return i.keyName ? [i.keyName] : [];
    case 'reservation-id':
      return [i.reservationId];
    case 'private-ip-address':
      return i.network ? [i.network.privateIp] : [];
    case 'ip-address':
      return i.network?.publicIp ? [i.network.publicIp] : [];
    case 'vpc-id':
      return i.network ? [i.network.vpcId] : [];
    case 'subnet-id':
      return i.network ? [i.network.subnetId] : [];
    case 'client-token':
      return i.clientToken ? [i.clientToken] : [];
    default:
      return tagFieldValues(i.tags, name);
  }
}

const codeOf = (i: Instance): number =>
  ({ pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 })[
    i.state
  ];

export const INSTANCE_FILTER_NAMES = [
  'instance-state-name',
  'instance-state-code',
  'instance-type',
  'image-id',
  'instance-id',
  'key-name',
  'reservation-id',
  'private-ip-address',
  'ip-address',
  'vpc-id',
  'subnet-id',
  'client-token',
  'tag:<key>',
  'tag-key',
];

/** DescribeInstances: by ids (all must exist) and filters, in launch order. */
export function describeInstances(
  repo: InstanceRepository,
  ids: readonly string[],
  filters: readonly Filter[],
): Instance[] {
  const base = ids.length > 0 ? getInstances(repo, ids) : repo.list();
  const onUnknown = (name: string): never => {
    throw invalidParameter(
      `The filter '${name}' is invalid; supported filters: ${INSTANCE_FILTER_NAMES.join(', ')}`,
      'InvalidParameterValue',
    );
  };
  return base
    .filter((i) => matchesFilters(filters, (n) => field(i, n), onUnknown))
    .sort(
      (a, b) => a.launchTime.getTime() - b.launchTime.getTime() || a.launchIndex - b.launchIndex,
    );
}
