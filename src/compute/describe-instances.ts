import { listed, notFound } from '../core/errors.js';
import { assertId } from '../core/ids.js';
import { applyFilters, type Filter, type FilterSchema } from '../core/tags.js';
import type { ComputeDeps } from './deps.js';
import { INSTANCE_STATE_CODES, shownPrivateIp, shownPublicIp, type Instance } from './instance.js';
import type { InstanceRepository, VmStatus } from './ports.js';

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
    // EC2 names the first few ids only: the message must stay small (core/errors.ts).
    throw notFound(
      'InvalidInstanceID.NotFound',
      `The instance ID${missing.length > 1 ? 's' : ''} '${listed(missing)}' do${missing.length > 1 ? '' : 'es'} not exist`,
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

/** Launch order: the order DescribeInstances returns and pages instances in. */
export const byLaunchOrder = (a: Instance, b: Instance): number =>
  a.launchTime.getTime() - b.launchTime.getTime() ||
  a.launchIndex - b.launchIndex ||
  (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** DescribeInstances: by ids (all must exist) and filters, in launch order. */
export function describeInstances(
  repo: InstanceRepository,
  ids: readonly string[],
  filters: readonly Filter[],
): Instance[] {
  const base = ids.length > 0 ? getInstances(repo, ids) : repo.list();
  return applyFilters(base, filters, INSTANCE_FILTERS).sort(byLaunchOrder);
}

/** EC2's status summary and the result of its one check, reachability. */
export type SummaryStatus = 'ok' | 'impaired' | 'initializing' | 'not-applicable';
export type CheckStatus = 'passed' | 'failed' | 'initializing';

export interface StatusSummary {
  readonly status: SummaryStatus;
  /** Absent when the summary is not-applicable. */
  readonly reachability?: CheckStatus | undefined;
}

export interface InstanceHealth {
  readonly instance: Instance;
  /** The host side: is the instance's VM process running its vCPUs? */
  readonly system: StatusSummary;
  /** The guest side: has the guest had time to boot? */
  readonly guest: StatusSummary;
}

/**
 * How long after LaunchTime the guest check reports `initializing`. kumod has no signal from
 * inside the guest yet (EC2 probes the guest's network stack), so it gives the guest time to
 * boot: kumo-tiny answers SSH within ~10 s under TCG; cloud images take longer.
 */
export const GUEST_INITIALIZING_MS = 30_000;

const NOT_APPLICABLE: StatusSummary = { status: 'not-applicable' };
const summary = (check: CheckStatus): StatusSummary => ({
  status: check === 'passed' ? 'ok' : check === 'failed' ? 'impaired' : 'initializing',
  reachability: check,
});

/** The filters DescribeInstanceStatus understands (EC2's names, less the event.* ones). */
export function instanceStatusFilters(availabilityZone: string): FilterSchema<InstanceHealth> {
  return {
    fields: {
      'availability-zone': () => [availabilityZone],
      'instance-state-name': (h) => [h.instance.state],
      'instance-state-code': (h) => [String(INSTANCE_STATE_CODES[h.instance.state])],
      'instance-status.status': (h) => [h.guest.status],
      'instance-status.reachability': (h) => optional(h.guest.reachability),
      'system-status.status': (h) => [h.system.status],
      'system-status.reachability': (h) => optional(h.system.reachability),
    },
  };
}

/**
 * DescribeInstanceStatus: the running instances (all of them with `includeAll`), each with a
 * system check (its QEMU process, asked now) and an instance check (time since launch). Instances
 * that are not running are not-applicable on both, as in EC2.
 */
export async function describeInstanceStatus(
  deps: Pick<ComputeDeps, 'instances' | 'hypervisor' | 'clock'>,
  request: {
    readonly ids: readonly string[];
    readonly filters: readonly Filter[];
    readonly includeAll: boolean;
    readonly availabilityZone: string;
  },
): Promise<InstanceHealth[]> {
  const schema = instanceStatusFilters(request.availabilityZone);
  // Unknown filter names fail before any QEMU is asked anything.
  applyFilters([], request.filters, schema);
  const base =
    request.ids.length > 0 ? getInstances(deps.instances, request.ids) : deps.instances.list();
  const selected = base.filter((i) => request.includeAll || i.state === 'running');
  const health = await Promise.all(selected.map((i) => healthOf(deps, i)));
  return applyFilters(health, request.filters, schema).sort((a, b) =>
    byLaunchOrder(a.instance, b.instance),
  );
}

async function healthOf(
  deps: Pick<ComputeDeps, 'hypervisor' | 'clock'>,
  instance: Instance,
): Promise<InstanceHealth> {
  if (instance.state !== 'running' || !instance.runtime) {
    return { instance, system: NOT_APPLICABLE, guest: NOT_APPLICABLE };
  }
  const vm: VmStatus | 'unreachable' = await deps.hypervisor
    .inspect(instance.runtime)
    .catch(() => 'unreachable' as const);
  // The guest powered itself off: the host is fine, the guest is not.
  if (vm === 'guest-shutdown')
    return { instance, system: summary('passed'), guest: summary('failed') };
  if (vm !== 'running') return { instance, system: summary('failed'), guest: summary('failed') };
  const age = deps.clock.now().getTime() - instance.launchTime.getTime();
  return {
    instance,
    system: summary('passed'),
    guest: summary(age >= GUEST_INITIALIZING_MS ? 'passed' : 'initializing'),
  };
}
