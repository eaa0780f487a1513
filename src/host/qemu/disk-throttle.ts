import type { DiskThrottle, VmSpec } from '../../compute/ports.js';
import { blockDeviceId } from './block-names.js';

/** QEMU's name for the root disk's drive (`-drive id=root`): a BlockBackend, not a device id. */
export const ROOT_DRIVE = 'root';

/** Which disk a throttle applies to: the root drive or a data volume's virtio device. */
export type ThrottleTarget = { readonly root: true } | { readonly volumeId: string };

/**
 * The arguments of QMP `block_set_io_throttle` for one disk. Pure. Limits are totals (reads and
 * writes share them, as EBS counts them); QEMU wants every rate named, so the per-direction ones
 * are 0 (no separate limit). The root drive is named by its BlockBackend, a data volume by the
 * QOM path of its virtio device's backend: its BlockBackend is anonymous (-blockdev or
 * blockdev-add), and the device id names the PCI proxy, which holds no disk ("Device does not
 * have a block device backend").
 */
const virtioBackend = (volumeId: string): string =>
  `/machine/peripheral/${blockDeviceId(volumeId)}/virtio-backend`;

export function throttleArguments(
  target: ThrottleTarget,
  t: DiskThrottle,
): Record<string, string | number> {
  const whole = (n: number, what: string): number => {
    if (!Number.isFinite(n) || n < 0) throw new Error(`invalid ${what} for a disk throttle: ${n}`);
    return Math.round(n);
  };
  const args: Record<string, string | number> = {
    ...('root' in target ? { device: ROOT_DRIVE } : { id: virtioBackend(target.volumeId) }),
    iops: whole(t.iops, 'iops'),
    iops_rd: 0,
    iops_wr: 0,
    bps: whole(t.bps, 'bps'),
    bps_rd: 0,
    bps_wr: 0,
    iops_size: whole(t.iopsSize, 'iops_size'),
  };
  // A burst needs its base rate; its length needs the burst (QEMU refuses either alone).
  if (t.iopsMax !== undefined && t.iopsMax > t.iops) {
    args.iops_max = whole(t.iopsMax, 'iops_max');
    if (t.iopsMaxLength !== undefined) args.iops_max_length = whole(t.iopsMaxLength, 'burst');
  }
  if (t.bpsMax !== undefined && t.bpsMax > t.bps) {
    args.bps_max = whole(t.bpsMax, 'bps_max');
    if (t.bpsMaxLength !== undefined) args.bps_max_length = whole(t.bpsMaxLength, 'burst');
  }
  return args;
}

/** Every throttled disk of a VM being started: the root first, then data volumes. Pure. */
export function diskThrottles(spec: VmSpec): [ThrottleTarget, DiskThrottle][] {
  const out: [ThrottleTarget, DiskThrottle][] = [];
  if (spec.rootThrottle) out.push([{ root: true }, spec.rootThrottle]);
  for (const d of spec.dataDisks ?? []) {
    if (d.throttle) out.push([{ volumeId: d.volumeId }, d.throttle]);
  }
  return out;
}
