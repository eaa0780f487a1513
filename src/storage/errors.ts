import { KumoError, malformedId, notFound, quoted } from '../core/errors.js';
import { isId } from '../core/ids.js';

/** EC2's codes for volumes, with messages that say what to change. */
export const volumeNotFound = (id: string): KumoError =>
  notFound(
    'InvalidVolume.NotFound',
    `The volume ${quoted(id)} does not exist; list volumes with kumo describe-volumes`,
  );

export function assertVolumeId(id: string): void {
  if (!isId('vol', id))
    throw malformedId('InvalidVolumeID.Malformed', id, 'vol- followed by 17 hex digits');
}

export const volumeInUse = (message: string): KumoError =>
  new KumoError('FailedPrecondition', 'VolumeInUse', message);

/** A volume in the wrong state for the call (EC2's IncorrectState). */
export const volumeIncorrectState = (message: string): KumoError =>
  new KumoError('FailedPrecondition', 'IncorrectState', message);

export const operationNotPermitted = (message: string): KumoError =>
  new KumoError('FailedPrecondition', 'OperationNotPermitted', message);

/** Not enough disk space on the host (EC2's InsufficientVolumeCapacity), with the numbers. */
export const insufficientVolumeCapacity = (message: string): KumoError =>
  new KumoError('ResourceExhausted', 'InsufficientVolumeCapacity', message);

export const snapshotNotFound = (id: string): KumoError =>
  notFound(
    'InvalidSnapshot.NotFound',
    `The snapshot ${quoted(id)} does not exist; list snapshots with kumo describe-snapshots`,
  );

export function assertSnapshotId(id: string): void {
  if (!isId('snap', id))
    throw malformedId('InvalidSnapshotID.Malformed', id, 'snap- followed by 17 hex digits');
}

export const snapshotInUse = (message: string): KumoError =>
  new KumoError('FailedPrecondition', 'InvalidSnapshot.InUse', message);
