import {
  dryRunOperation,
  incorrectState,
  invalidParameter,
  notFound,
  quoted,
} from '../core/errors.js';
import { assertId } from '../core/ids.js';
import type { Instance } from '../compute/instance.js';
import { volumeThrottle } from './volume-performance.js';
import type { StorageDeps } from './deps.js';
import {
  assertVolumeId,
  operationNotPermitted,
  volumeIncorrectState,
  volumeInUse,
  volumeNotFound,
} from './errors.js';
import { DEVICE_NAME_PATTERN, type Attachment, type Volume } from './volume.js';

/** What AttachVolume and DetachVolume answer (EC2's VolumeAttachment). */
export interface AttachmentView extends Omit<Attachment, 'state'> {
  readonly volumeId: string;
  readonly state: Attachment['state'] | 'detached';
}

export interface AttachVolumeInput {
  readonly volumeId: string;
  readonly instanceId: string;
  readonly device: string;
  readonly dryRun?: boolean | undefined;
}

function instanceOf(deps: StorageDeps, id: string): Instance {
  assertId('i', id, 'InvalidInstanceID.Malformed');
  const i = deps.instances.get(id);
  if (!i || i.state === 'terminated') {
    throw notFound('InvalidInstanceID.NotFound', `The instance ID ${quoted(id)} does not exist`);
  }
  return i;
}

function volumeOf(deps: StorageDeps, id: string): Volume {
  assertVolumeId(id);
  const v = deps.volumes.get(id);
  if (!v) throw volumeNotFound(id);
  return v;
}

/** Checks an attach against the current rows; throws the EC2 error a refusal has. */
function checkAttach(deps: StorageDeps, input: AttachVolumeInput): { i: Instance; v: Volume } {
  if (!DEVICE_NAME_PATTERN.test(input.device)) {
    throw invalidParameter(
      `Value (${input.device.slice(0, 64)}) for parameter device is invalid. Use a name such as ` +
        '/dev/sdf (/dev/sd[b-z] or /dev/xvd[b-z])',
    );
  }
  const v = volumeOf(deps, input.volumeId);
  const i = instanceOf(deps, input.instanceId);
  if (v.attachment) {
    throw volumeInUse(
      `${v.id} is already attached to ${v.attachment.instanceId} (${v.attachment.device}); ` +
        'detach it first: a volume is attached to one instance at a time',
    );
  }
  if (v.state !== 'available') {
    throw volumeIncorrectState(
      `The volume '${v.id}' is '${v.state}'; only available volumes attach`,
    );
  }
  if (i.state !== 'running' && i.state !== 'stopped') {
    throw incorrectState(
      `The instance '${i.id}' is ${i.state}; volumes attach to running or stopped instances`,
    );
  }
  const taken = deps.volumes.byInstance(i.id).find((o) => o.attachment?.device === input.device);
  if (taken) {
    throw invalidParameter(
      `Invalid value '${input.device}' for unixDevice. Attachment point ${input.device} is ` +
        `already in use (by ${taken.id}); pick another device name`,
    );
  }
  return { i, v };
}

const view = (v: Volume, a: Attachment, state?: AttachmentView['state']): AttachmentView => ({
  ...a,
  volumeId: v.id,
  state: state ?? a.state,
});

/**
 * AttachVolume: to a stopped instance, recorded (its next start includes the disk); to a running
 * one, hot-plugged over QMP (attaching -> attached). Holds the instance's lock, then the
 * volume's, so a stop, start or terminate of the instance cannot interleave. A failed hot-plug
 * leaves the volume available and nothing in QEMU.
 */
export async function attachVolume(
  deps: StorageDeps,
  input: AttachVolumeInput,
): Promise<AttachmentView> {
  checkAttach(deps, input);
  if (input.dryRun) throw dryRunOperation();
  return deps.locks.run(input.instanceId, () =>
    deps.locks.run(input.volumeId, async () => {
      const { i, v } = checkAttach(deps, input);
      const attachment: Attachment = {
        instanceId: i.id,
        device: input.device,
        state: i.state === 'running' ? 'attaching' : 'attached',
        attachTime: deps.clock.now(),
        deleteOnTermination: false,
      };
      const attaching: Volume = { ...v, state: 'in-use', attachment };
      deps.volumes.put(attaching);
      if (i.state !== 'running') return view(v, attachment);
      try {
        if (!i.runtime || !v.path) throw new Error(`${i.id} has no QEMU or ${v.id} no file`);
        await deps.guestDisks.plug(i.runtime, {
          volumeId: v.id,
          path: v.path,
          throttle: volumeThrottle(v),
        });
      } catch (e) {
        deps.volumes.put(v);
        throw e;
      }
      const attached: Attachment = { ...attachment, state: 'attached' };
      deps.volumes.put({ ...attaching, attachment: attached });
      deps.logger.info('volume attached', { volumeId: v.id, instanceId: i.id });
      return view(v, attached);
    }),
  );
}

export interface DetachVolumeInput {
  readonly volumeId: string;
  readonly instanceId?: string | undefined;
  readonly device?: string | undefined;
  readonly force?: boolean | undefined;
  readonly dryRun?: boolean | undefined;
}

function checkDetach(deps: StorageDeps, input: DetachVolumeInput): { v: Volume; a: Attachment } {
  const v = volumeOf(deps, input.volumeId);
  const a = v.attachment;
  if (!a) {
    throw volumeIncorrectState(`Volume '${v.id}' is in the '${v.state}' state: it is not attached`);
  }
  if (
    (input.instanceId && input.instanceId !== a.instanceId) ||
    (input.device && input.device !== a.device)
  ) {
    throw notFound(
      'InvalidAttachment.NotFound',
      `Volume ${v.id} is attached to ${a.instanceId} as ${a.device}, not as asked`,
    );
  }
  if (v.root) {
    throw operationNotPermitted(
      `Unable to detach root volume '${v.id}' from instance '${a.instanceId}': kumo keeps an ` +
        "instance's root volume attached for its whole life",
    );
  }
  return { v, a };
}

/**
 * DetachVolume: from a running guest, hot-unplugged: the guest is asked to release the disk and
 * kumod waits for QEMU's DEVICE_DELETED before dropping the block node (detaching -> detached);
 * from a stopped one, the record is dropped. The volume is available afterwards.
 */
export async function detachVolume(
  deps: StorageDeps,
  input: DetachVolumeInput,
): Promise<AttachmentView> {
  const first = checkDetach(deps, input);
  if (input.dryRun) throw dryRunOperation();
  return deps.locks.run(first.a.instanceId, () =>
    deps.locks.run(input.volumeId, async () => {
      const { v, a } = checkDetach(deps, input);
      const i = deps.instances.get(a.instanceId);
      if (i?.state === 'running' || i?.state === 'pending' || i?.state === 'stopping') {
        if (!i.runtime) throw incorrectState(`The instance '${i.id}' is ${i.state} without a VM`);
        deps.volumes.put({ ...v, attachment: { ...a, state: 'detaching' } });
        const released = await deps.guestDisks
          .unplug(i.runtime, v.id, deps.settings.detachTimeoutMs)
          .catch((e: unknown) => {
            deps.volumes.put(v);
            throw e;
          });
        if (!released) {
          deps.volumes.put(v);
          throw volumeIncorrectState(
            `The guest of ${i.id} did not release ${v.id} within ` +
              `${deps.settings.detachTimeoutMs / 1000} s; unmount it in the guest and detach again` +
              (input.force
                ? ' (QEMU cannot take a disk from a guest that holds it, even with --force)'
                : ''),
          );
        }
      }
      deps.volumes.put({ ...v, state: 'available', attachment: undefined });
      deps.logger.info('volume detached', { volumeId: v.id, instanceId: a.instanceId });
      return view(v, a, 'detached');
    }),
  );
}
