import type { Logger } from '../core/logger.js';
import { describeInstances, getInstances } from '../compute/describe-instances.js';
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
import { invalidParameter } from '../core/errors.js';
import { OWNER_ID } from '../core/ids.js';
import type { InstancesServer } from '../gen/kumo/v1/instances.js';
import type { ApiContext } from './context.js';
import {
  instanceToProto,
  stateChangeToProto,
  toFilters,
  toReservations,
  toTagSpecs,
} from './convert.js';
import { unary } from './unary.js';

export function instancesHandlers(ctx: ApiContext, logger: Logger): InstancesServer {
  const d = ctx.compute;
  const toProto = (i: DomainInstance) =>
    instanceToProto(i, d.images.get(i.imageId), d.settings.accel);
  const requireIds = (ids: readonly string[]): readonly string[] => {
    if (ids.length === 0)
      throw invalidParameter('Pass at least one instance id (--instance-ids)', 'MissingParameter');
    return ids;
  };
  return {
    runInstances: unary('RunInstances', logger, async (req) => {
      const launched = await runInstances(d, {
        imageId: req.imageId,
        instanceType: req.instanceType,
        keyName: req.keyName,
        minCount: req.minCount,
        maxCount: req.maxCount,
        userData: req.userData,
        clientToken: req.clientToken,
        tagSpecifications: toTagSpecs(req.tagSpecifications),
        subnetId: req.subnetId,
      });
      ctx.kick(launched.map((i) => i.id));
      const reservationId = launched[0]?.reservationId ?? '';
      return {
        reservation: { reservationId, ownerId: OWNER_ID, instances: launched.map(toProto) },
      };
    }),
    describeInstances: unary('DescribeInstances', logger, (req) => {
      const found = describeInstances(d.instances, req.instanceIds, toFilters(req.filters));
      const reservationOf = new Map(found.map((i) => [i.id, i.reservationId]));
      return {
        reservations: toReservations(found.map(toProto), (id) => reservationOf.get(id) ?? ''),
      };
    }),
    startInstances: unary('StartInstances', logger, async (req) => {
      const changes = await startInstances(d, requireIds(req.instanceIds));
      ctx.kick(req.instanceIds);
      return { startingInstances: changes.map(stateChangeToProto) };
    }),
    stopInstances: unary('StopInstances', logger, async (req) => {
      const changes = await stopInstances(d, requireIds(req.instanceIds), req.force);
      ctx.kick(req.instanceIds);
      return { stoppingInstances: changes.map(stateChangeToProto) };
    }),
    rebootInstances: unary('RebootInstances', logger, async (req) => {
      await rebootInstances(d, requireIds(req.instanceIds));
      return {};
    }),
    terminateInstances: unary('TerminateInstances', logger, async (req) => {
      const changes = await terminateInstances(d, requireIds(req.instanceIds));
      ctx.kick(req.instanceIds);
      return { terminatingInstances: changes.map(stateChangeToProto) };
    }),
    modifyInstanceAttribute: unary('ModifyInstanceAttribute', logger, async (req) => {
      if (!req.instanceType)
        throw invalidParameter(
          'Pass the attribute to change (--instance-type)',
          'MissingParameter',
        );
      await modifyInstanceType(d, req.instanceId, req.instanceType);
      return {};
    }),
    getConsoleOutput: unary('GetConsoleOutput', logger, async (req) => {
      getInstances(d.instances, [req.instanceId]);
      return {
        instanceId: req.instanceId,
        output: await consoleOutput(d, req.instanceId),
        timestamp: d.clock.now(),
      };
    }),
  };
}
