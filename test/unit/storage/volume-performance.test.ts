import { describe, expect, it } from 'vitest';
import {
  reportedPerformance,
  validatePerformance,
  volumeThrottle,
  type VolumePerformanceInput,
} from '../../../src/storage/volume-performance.js';

const MIB = 1024 ** 2;

const codeOf = (v: VolumePerformanceInput): string => {
  try {
    validatePerformance(v);
    return 'accepted';
  } catch (e) {
    return (e as { code?: string }).code ?? 'no code';
  }
};

describe('volumeThrottle: EC2 figures per type as QEMU limits', () => {
  it('gp3: 3,000 IOPS and 125 MiB/s unless provisioned, at any size', () => {
    expect(volumeThrottle({ volumeType: 'gp3', sizeGiB: 1 })).toEqual({
      iops: 3000,
      bps: 125 * MIB,
      iopsSize: 256 * 1024,
    });
    expect(
      volumeThrottle({ volumeType: 'gp3', sizeGiB: 100, iops: 6000, throughput: 500 }),
    ).toMatchObject({ iops: 6000, bps: 500 * MIB });
  });

  it('gp2: 3 IOPS per GiB (100 to 16,000), bursting to 3,000 from a 5.4 M credit bucket', () => {
    expect(volumeThrottle({ volumeType: 'gp2', sizeGiB: 8 })).toEqual({
      iops: 100,
      iopsMax: 3000,
      iopsMaxLength: 1862, // 5.4e6 / (3000 - 100)
      bps: 128 * MIB,
      iopsSize: 256 * 1024,
    });
    expect(volumeThrottle({ volumeType: 'gp2', sizeGiB: 500 })).toMatchObject({
      iops: 1500,
      iopsMaxLength: 3600,
      bps: 250 * MIB,
    });
    // At 1,000 GiB the baseline reaches the burst: no burst left.
    expect(volumeThrottle({ volumeType: 'gp2', sizeGiB: 1000 })).toEqual({
      iops: 3000,
      bps: 250 * MIB,
      iopsSize: 256 * 1024,
    });
    expect(volumeThrottle({ volumeType: 'gp2', sizeGiB: 16384 }).iops).toBe(16000);
  });

  it('io1/io2: the provisioned IOPS, 256 KiB/s of throughput per IOPS up to the ceiling', () => {
    expect(volumeThrottle({ volumeType: 'io1', sizeGiB: 10, iops: 100 })).toEqual({
      iops: 100,
      bps: 100 * 256 * 1024,
      iopsSize: 256 * 1024,
    });
    expect(volumeThrottle({ volumeType: 'io1', sizeGiB: 1280, iops: 64000 }).bps).toBe(1000 * MIB);
    expect(volumeThrottle({ volumeType: 'io2', sizeGiB: 256, iops: 256000 }).bps).toBe(4000 * MIB);
  });

  it('st1/sc1: throughput per TiB with a burst, 1 MiB counted as one I/O', () => {
    expect(volumeThrottle({ volumeType: 'st1', sizeGiB: 1024 })).toEqual({
      iops: 500,
      bps: 40 * MIB,
      bpsMax: 250 * MIB,
      bpsMaxLength: 4993, // 1 TiB of credit / (250 - 40) MiB/s
      iopsSize: MIB,
    });
    expect(volumeThrottle({ volumeType: 'st1', sizeGiB: 16384 })).toMatchObject({
      bps: 500 * MIB,
      iops: 500,
    });
    expect(volumeThrottle({ volumeType: 'sc1', sizeGiB: 1024 })).toMatchObject({
      iops: 250,
      bps: 12 * MIB,
      bpsMax: 80 * MIB,
    });
    expect(volumeThrottle({ volumeType: 'standard', sizeGiB: 1 })).toMatchObject({
      iops: 100,
      iopsMax: 300,
    });
  });
});

describe('validatePerformance: EC2 refusals', () => {
  it('accepts what each type takes', () => {
    expect(codeOf({ volumeType: 'gp3', sizeGiB: 8 })).toBe('accepted');
    expect(codeOf({ volumeType: 'gp3', sizeGiB: 8, iops: 4000, throughput: 1000 })).toBe(
      'accepted',
    );
    expect(codeOf({ volumeType: 'io2', sizeGiB: 4, iops: 4000 })).toBe('accepted');
    expect(codeOf({ volumeType: 'st1', sizeGiB: 125 })).toBe('accepted');
  });

  it('refuses IOPS where the type has none, out of range or ratio, and a missing io1 IOPS', () => {
    expect(codeOf({ volumeType: 'gp2', sizeGiB: 8, iops: 300 })).toBe(
      'InvalidParameterCombination',
    );
    expect(codeOf({ volumeType: 'io1', sizeGiB: 8 })).toBe('MissingParameter');
    expect(codeOf({ volumeType: 'io1', sizeGiB: 8, iops: 50 })).toBe('InvalidParameterValue');
    expect(codeOf({ volumeType: 'io1', sizeGiB: 8, iops: 401 })).toBe('InvalidParameterValue');
    expect(codeOf({ volumeType: 'gp3', sizeGiB: 8, iops: 2999 })).toBe('InvalidParameterValue');
    expect(codeOf({ volumeType: 'gp3', sizeGiB: 8, iops: 4001 })).toBe('InvalidParameterValue');
  });

  it('takes throughput on gp3 only, within 125-1000 and 0.25 MiB/s per IOPS', () => {
    expect(codeOf({ volumeType: 'io1', sizeGiB: 8, iops: 100, throughput: 200 })).toBe(
      'InvalidParameterCombination',
    );
    expect(codeOf({ volumeType: 'gp3', sizeGiB: 8, throughput: 100 })).toBe(
      'InvalidParameterValue',
    );
    expect(codeOf({ volumeType: 'gp3', sizeGiB: 8, throughput: 751 })).toBe(
      'InvalidParameterValue',
    );
  });
});

describe('reportedPerformance', () => {
  it('shows what EC2 shows: gp3 defaults, gp2 baseline, io IOPS, nothing for HDDs', () => {
    expect(reportedPerformance({ volumeType: 'gp3', sizeGiB: 1 })).toEqual({
      iops: 3000,
      throughput: 125,
    });
    expect(reportedPerformance({ volumeType: 'gp2', sizeGiB: 8 })).toEqual({ iops: 100 });
    expect(reportedPerformance({ volumeType: 'io1', sizeGiB: 8, iops: 200 })).toEqual({
      iops: 200,
    });
    expect(reportedPerformance({ volumeType: 'sc1', sizeGiB: 125 })).toEqual({});
  });
});
