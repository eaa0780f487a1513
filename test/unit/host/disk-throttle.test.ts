import { describe, expect, it } from 'vitest';
import type { VmSpec } from '../../../src/compute/ports.js';
import { diskThrottles, throttleArguments } from '../../../src/host/qemu/disk-throttle.js';

describe('throttleArguments (QMP block_set_io_throttle)', () => {
  it('names the root drive by its backend and data volumes by device id; totals only', () => {
    expect(
      throttleArguments({ root: true }, { iops: 3000, bps: 131072000, iopsSize: 262144 }),
    ).toEqual({
      device: 'root',
      iops: 3000,
      iops_rd: 0,
      iops_wr: 0,
      bps: 131072000,
      bps_rd: 0,
      bps_wr: 0,
      iops_size: 262144,
    });
    expect(
      throttleArguments(
        { volumeId: 'vol-0123456789abcdef0' },
        { iops: 100, iopsMax: 3000, iopsMaxLength: 1862, bps: 1, iopsSize: 262144 },
      ),
    ).toMatchObject({
      id: '/machine/peripheral/dev-vol-0123456789abcdef0/virtio-backend',
      iops_max: 3000,
      iops_max_length: 1862,
    });
  });

  it('leaves out a burst no higher than the base rate (QEMU refuses it) and bad numbers', () => {
    const args = throttleArguments(
      { root: true },
      { iops: 500, iopsMax: 500, iopsMaxLength: 10, bps: 5, bpsMax: 9, iopsSize: 1 },
    );
    expect(args).not.toHaveProperty('iops_max');
    expect(args).not.toHaveProperty('iops_max_length');
    expect(args).toMatchObject({ bps_max: 9 });
    expect(() => throttleArguments({ root: true }, { iops: -1, bps: 0, iopsSize: 1 })).toThrow(
      /invalid iops/,
    );
  });

  it('lists the root and every throttled data disk of a VM', () => {
    const t = { iops: 1, bps: 2, iopsSize: 3 };
    const spec = {
      rootThrottle: t,
      dataDisks: [
        { volumeId: 'vol-a', serial: 'vola', path: '/a', throttle: t },
        { volumeId: 'vol-b', serial: 'volb', path: '/b' },
      ],
    } as unknown as VmSpec;
    expect(diskThrottles(spec)).toEqual([
      [{ root: true }, t],
      [{ volumeId: 'vol-a' }, t],
    ]);
  });
});
