import type { Tag } from '../core/tags.js';

/** EC2's snapshot states (SnapshotState) kumo uses. */
export type SnapshotState = 'pending' | 'completed' | 'error';

/**
 * A point-in-time copy of a volume: a self-contained qcow2 (no backing file), so it is independent
 * of later writes to the volume and of the image the volume was made from.
 */
export interface Snapshot {
  readonly id: string;
  readonly volumeId: string;
  readonly volumeSizeGiB: number;
  readonly state: SnapshotState;
  /** EC2's Progress: "0%" .. "100%". */
  readonly progress: string;
  readonly startTime: Date;
  readonly description: string;
  readonly path?: string | undefined;
  /** Where a copy came from (CopySnapshot). */
  readonly sourceSnapshotId?: string | undefined;
  readonly tags: readonly Tag[];
}
