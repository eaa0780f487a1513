import type { Logger } from '../core/logger.js';
import {
  describeInstanceStatus,
  describeInstances,
  getInstances,
  type InstanceHealth,
  type StatusSummary,
} from '../compute/describe-instances.js';
import {
  consoleOutput,
  modifyInstanceType,
  rebootInstances,
  startInstances,
  stopInstances,
  terminateInstances,
} from '../compute/instance-lifecycle.js';
import type { Instance as DomainInstance } from '../compute/instance.js';
import { runInstances } from '../compute/run-instances.js';
import { instanceDetails } from '../compute/instance-details.js';
import { incorrectState, invalidParameter } from '../core/errors.js';
import { setDeleteOnTermination } from '../storage/delete-on-termination.js';
import { OWNER_ID } from '../core/ids.js';
import { dnsHostnames } from '../network/vpc.js';
import type { InstancesServer, InstanceStatusSummary } from '../gen/kumo/v1/instances.js';
import { metadataOptionsHandlers, metadataOptionsRequest } from './metadata-options-handlers.js';
import type { ApiContext } from './context.js';
import { stateChangeToProto, toFilters, toReservations, toTagSpecs } from './convert.js';
import { instanceToProto, stateOf } from './instance-view.js';
import { checkPageRequest, indexKey, paginate, PAGE_LIMITS } from './pagination.js';
import { DEFAULT_SITE } from './site.js';
import { unary } from './unary.js';

/** The order instances are described and paged in (launch order), as a sortable string. */
const launchKey = (i: DomainInstance): string =>
  `${i.launchTime.toISOString()}|${indexKey(i.launchIndex)}|${i.id}`;

const summaryToProto = (s: StatusSummary): InstanceStatusSummary => ({
  status: s.status,
  details: s.reachability ? [{ name: 'reachability', status: s.reachability }] : [],
});

export function instancesHandlers(ctx: ApiContext, logger: Logger): InstancesServer {
  const d = ctx.compute;
  const site = ctx.site ?? DEFAULT_SITE;
  // Images and types are looked up once per request, not once per instance.
  const toProtos = (list: readonly DomainInstance[]) => {
    const current = ctx.routing?.currentPublicIps();
    const hostnames = vpcDnsHostnames();
    return instanceDetails(d, list).map((details) =>
      instanceToProto(
        {
          ...details,
          instance: withCurrentPublicIp(details.instance, (id) => current?.get(id)),
        },
        d.settings.accel,
        site,
        securityOf(details.instance),
        hostnames.get(details.instance.network?.vpcId ?? '') ?? false,
      ),
    );
  };
  // Whether each VPC gives public DNS names, from one read of the VPCs per request.
  const vpcDnsHostnames = (): ReadonlyMap<string, boolean> =>
    new Map(ctx.vpcs.find([]).map((v) => [v.id, dnsHostnames(v)]));
  // The network's record says which public address the instance has now (its elastic IP, or
  // the pool one it got at its last start); the instance's copy is from its launch.
  const withCurrentPublicIp = (
    i: DomainInstance,
    current: (id: string) => string | undefined = (id) => ctx.routing?.publicIpOf(id),
  ): DomainInstance =>
    ctx.routing && i.network && i.state !== 'terminated'
      ? { ...i, network: { ...i.network, publicIp: current(i.id) } }
      : i;
  const securityOf = (i: DomainInstance) =>
    ctx.securityGroups.interfaceSecurity(i.id) ?? {
      // The interface went with termination: the groups it had, as the instance recorded them.
      groups: ctx.securityGroups.named(i.network?.groupIds ?? []),
      sourceDestCheck: i.network?.sourceDestCheck !== false,
    };
  // Every call of this service stops when kumod shuts down, not only when its client goes away.
  const handle: typeof unary = (method, log, fn) => unary(method, log, fn, ctx.shutdownSignal);
  const requireIds = (ids: readonly string[]): readonly string[] => {
    if (ids.length === 0)
      throw invalidParameter('Pass at least one instance id (--instance-ids)', 'MissingParameter');
    return ids;
  };
  return {
    ...metadataOptionsHandlers(ctx, logger),
    runInstances: handle('RunInstances', logger, async (req, { signal }) => {
      const launched = await runInstances(
        d,
        {
          imageId: req.imageId,
          instanceType: req.instanceType,
          keyName: req.keyName,
          minCount: req.minCount,
          maxCount: req.maxCount,
          userData: req.userData,
          clientToken: req.clientToken,
          tagSpecifications: toTagSpecs(req.tagSpecifications),
          subnetId: req.subnetId,
          securityGroupIds: req.securityGroupIds,
          securityGroups: req.securityGroups,
          blockDeviceMappings: req.blockDeviceMappings.map((m) => ({
            deviceName: m.deviceName,
            ebs: m.ebs && {
              volumeSize: m.ebs.volumeSize,
              deleteOnTermination: m.ebs.deleteOnTermination,
              volumeType: m.ebs.volumeType,
              snapshotId: m.ebs.snapshotId,
              iops: m.ebs.iops,
              throughput: m.ebs.throughput,
            },
          })),
          privateIpAddress: req.privateIpAddress || undefined,
          networkInterfaces: req.networkInterfaces.map((n) => ({
            deviceIndex: n.deviceIndex,
            subnetId: n.subnetId || undefined,
            privateIpAddress: n.privateIpAddress || undefined,
            groups: n.groups,
            associatePublicIpAddress: n.associatePublicIpAddress,
            deleteOnTermination: n.deleteOnTermination,
            networkInterfaceId: n.networkInterfaceId || undefined,
          })),
          metadataOptions: req.metadataOptions && metadataOptionsRequest(req.metadataOptions),
          cloudInitSeed: req.cloudInitSeed,
          dryRun: req.dryRun,
        },
        { signal },
      );
      ctx.kick(launched.map((i) => i.id));
      const reservationId = launched[0]?.reservationId ?? '';
      return {
        reservation: {
          reservationId,
          ownerId: OWNER_ID,
          instances: toProtos(launched),
          groups: [],
        },
      };
    }),
    describeInstances: handle('DescribeInstances', logger, (req) => {
      const limits = PAGE_LIMITS.describeInstances;
      const pageRequest = {
        maxResults: req.maxResults,
        nextToken: req.nextToken,
        idCount: req.instanceIds.length,
        query: [req.instanceIds, req.filters],
      };
      // As EC2: paging mistakes are reported before any id is looked up.
      checkPageRequest(limits, pageRequest);
      // Filters (ip-address) see the address the instance has now, as the output does.
      const repo = d.instances;
      const shown: typeof repo = {
        get: (id) => {
          const i = repo.get(id);
          return i && withCurrentPublicIp(i);
        },
        list: () => {
          const current = ctx.routing?.currentPublicIps();
          return repo.list().map((i) => withCurrentPublicIp(i, (id) => current?.get(id)));
        },
        put: (i) => repo.put(i),
        delete: (id) => repo.delete(id),
        findByClientToken: (t) => repo.findByClientToken(t),
      };
      const found = describeInstances(shown, req.instanceIds, toFilters(req.filters));
      const { page, nextToken } = paginate(limits, pageRequest, found, launchKey);
      const reservationOf = new Map(page.map((i) => [i.id, i.reservationId]));
      return {
        reservations: toReservations(toProtos(page), (id) => reservationOf.get(id) ?? ''),
        nextToken,
      };
    }),
    describeInstanceStatus: handle('DescribeInstanceStatus', logger, async (req) => {
      const limits = PAGE_LIMITS.describeInstanceStatus;
      const pageRequest = {
        maxResults: req.maxResults,
        nextToken: req.nextToken,
        idCount: req.instanceIds.length,
        query: [req.instanceIds, req.filters, req.includeAllInstances],
      };
      // Paging mistakes fail before any QEMU is asked for its status.
      checkPageRequest(limits, pageRequest);
      const health = await describeInstanceStatus(d, {
        ids: req.instanceIds,
        filters: toFilters(req.filters),
        includeAll: req.includeAllInstances,
        availabilityZone: site.availabilityZone,
      });
      const { page, nextToken } = paginate(limits, pageRequest, health, (h: InstanceHealth) =>
        launchKey(h.instance),
      );
      return {
        instanceStatuses: page.map((h) => ({
          instanceId: h.instance.id,
          availabilityZone: site.availabilityZone,
          instanceState: stateOf(h.instance.state),
          instanceStatus: summaryToProto(h.guest),
          systemStatus: summaryToProto(h.system),
        })),
        nextToken,
      };
    }),
    startInstances: handle('StartInstances', logger, async (req, { signal }) => {
      const changes = await startInstances(d, requireIds(req.instanceIds), {
        dryRun: req.dryRun,
        signal,
      });
      ctx.kick(req.instanceIds);
      return { startingInstances: changes.map(stateChangeToProto) };
    }),
    stopInstances: handle('StopInstances', logger, async (req, { signal }) => {
      const hard = req.force || req.skipOsShutdown;
      const changes = await stopInstances(d, requireIds(req.instanceIds), hard, {
        dryRun: req.dryRun,
        signal,
      });
      ctx.kick(req.instanceIds);
      return { stoppingInstances: changes.map(stateChangeToProto) };
    }),
    rebootInstances: handle('RebootInstances', logger, async (req, { signal }) => {
      await rebootInstances(d, requireIds(req.instanceIds), { dryRun: req.dryRun, signal });
      return {};
    }),
    terminateInstances: handle('TerminateInstances', logger, async (req, { signal }) => {
      const changes = await terminateInstances(d, requireIds(req.instanceIds), {
        dryRun: req.dryRun,
        signal,
      });
      ctx.kick(req.instanceIds);
      return { terminatingInstances: changes.map(stateChangeToProto) };
    }),
    modifyInstanceAttribute: handle('ModifyInstanceAttribute', logger, async (req, { signal }) => {
      const asked = [
        req.instanceType !== '',
        req.groups.length > 0,
        req.sourceDestCheck !== undefined,
        req.blockDeviceMappings.length > 0,
      ];
      if (asked.filter(Boolean).length !== 1)
        throw invalidParameter(
          'Pass exactly one attribute to change (--instance-type, --groups, --[no-]source-dest-check or --block-device-mappings)',
          'MissingParameter',
        );
      if (req.blockDeviceMappings.length > 0) {
        await setDeleteOnTermination(
          ctx.storage,
          req.instanceId,
          req.blockDeviceMappings.map((m) => {
            if (m.ebs?.deleteOnTermination === undefined)
              throw invalidParameter(
                `Pass Ebs={DeleteOnTermination=true|false} for ${m.deviceName}`,
                'MissingParameter',
              );
            return {
              deviceName: m.deviceName,
              volumeId: m.ebs.volumeId || undefined,
              deleteOnTermination: m.ebs.deleteOnTermination,
            };
          }),
          { dryRun: req.dryRun },
        );
        return {};
      }
      if (req.instanceType) {
        await modifyInstanceType(d, req.instanceId, req.instanceType, {
          dryRun: req.dryRun,
          signal,
        });
        return {};
      }
      const [instance] = getInstances(d.instances, [req.instanceId]);
      if (instance?.state === 'terminated' || instance?.state === 'shutting-down') {
        throw incorrectState(
          `The instance '${req.instanceId}' is ${instance.state}; its attributes cannot change`,
        );
      }
      if (req.groups.length > 0) {
        await ctx.securityGroups.setInterfaceGroups(req.instanceId, req.groups, req.dryRun);
      } else {
        await ctx.securityGroups.setSourceDestCheck(
          req.instanceId,
          req.sourceDestCheck === true,
          req.dryRun,
        );
      }
      return {};
    }),
    getConsoleOutput: handle('GetConsoleOutput', logger, async (req) => {
      getInstances(d.instances, [req.instanceId]);
      return {
        instanceId: req.instanceId,
        output: await consoleOutput(d, req.instanceId),
        timestamp: d.clock.now(),
      };
    }),
  };
}
