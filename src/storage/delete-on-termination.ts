import { dryRunOperation, invalidParameter, notFound, quoted } from '../core/errors.js';
import { assertId } from '../core/ids.js';
import type { StorageDeps } from './deps.js';

export interface DeleteOnTerminationChange {
  readonly deviceName: string;
  /** When given, must be the volume attached at deviceName. */
  readonly volumeId?: string | undefined;
  readonly deleteOnTermination: boolean;
}

/**
 * ModifyInstanceAttribute --block-device-mappings: changes DeleteOnTermination of volumes
 * attached to the instance, by device name, in any instance state. All changes are checked
 * before any is made, and they land in one unit of work.
 */
export async function setDeleteOnTermination(
  deps: StorageDeps,
  instanceId: string,
  changes: readonly DeleteOnTerminationChange[],
  options: { dryRun?: boolean | undefined } = {},
): Promise<void> {
  assertId('i', instanceId, 'InvalidInstanceID.Malformed');
  await deps.locks.run(instanceId, () => {
    const i = deps.instances.get(instanceId);
    if (!i || i.state === 'terminated') {
      throw notFound(
        'InvalidInstanceID.NotFound',
        `The instance ID ${quoted(instanceId)} does not exist`,
      );
    }
    const attached = deps.volumes.byInstance(instanceId);
    const updates = changes.map((c) => {
      const v = attached.find((x) => x.attachment?.device === c.deviceName);
      if (!v?.attachment) {
        throw invalidParameter(
          `No volume is attached to ${instanceId} as ${quoted(c.deviceName)}; its devices: ` +
            attached.map((x) => x.attachment?.device).join(', '),
        );
      }
      if (c.volumeId && c.volumeId !== v.id) {
        throw invalidParameter(
          `${quoted(c.deviceName)} of ${instanceId} is ${v.id}, not ${quoted(c.volumeId)}`,
        );
      }
      return { ...v, attachment: { ...v.attachment, deleteOnTermination: c.deleteOnTermination } };
    });
    if (options.dryRun) throw dryRunOperation();
    deps.uow.run(() => updates.forEach((v) => deps.volumes.put(v)));
    return Promise.resolve();
  });
}
