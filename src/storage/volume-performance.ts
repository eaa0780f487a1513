import { invalidParameter } from '../core/errors.js';
import type { DiskThrottle } from '../compute/ports.js';
import type { VolumeType } from './volume.js';

/**
 * What each EBS volume type promises, as QEMU I/O limits (docs/decisions/0017). EC2 publishes
 * these figures per type; kumo turns them into a leaky-bucket throttle on the guest's disk, so a
 * volume behaves like its type whatever the host's disk could do. Pure.
 */
export interface VolumePerformanceInput {
  readonly volumeType: VolumeType;
  readonly sizeGiB: number;
  readonly iops?: number | undefined;
  readonly throughput?: number | undefined;
}

const MIB = 1024 ** 2;
/** EBS counts an SSD I/O up to 256 KiB as one operation, an HDD I/O up to 1 MiB. */
const SSD_IO_BYTES = 256 * 1024;
const HDD_IO_BYTES = MIB;

/** gp3's baseline, included in its price: 3,000 IOPS and 125 MiB/s at any size. */
export const GP3_DEFAULT_IOPS = 3000;
export const GP3_DEFAULT_THROUGHPUT = 125;

/** Per-type limits on the IOPS and throughput a caller may provision (EC2's). */
const IOPS_RANGE: Partial<Record<VolumeType, { min: number; max: number; perGiB: number }>> = {
  gp3: { min: 3000, max: 16000, perGiB: 500 },
  io1: { min: 100, max: 64000, perGiB: 50 },
  io2: { min: 100, max: 256000, perGiB: 1000 },
};
const GP3_THROUGHPUT = { min: 125, max: 1000, perIops: 0.25 };

/**
 * Refuses IOPS or throughput that the type does not take or that are out of its range, with
 * EC2's codes. io1 and io2 need --iops; only gp3 takes --throughput.
 */
export function validatePerformance(v: VolumePerformanceInput): void {
  const range = IOPS_RANGE[v.volumeType];
  if (v.iops !== undefined) {
    if (!range) {
      throw invalidParameter(
        `The parameter iops is not supported for ${v.volumeType} volumes; use gp3, io1 or io2 to provision IOPS`,
        'InvalidParameterCombination',
      );
    }
    if (!Number.isInteger(v.iops) || v.iops < range.min || v.iops > range.max) {
      throw invalidParameter(
        `Volume iops of ${v.iops} is out of range for ${v.volumeType}: use ${range.min} to ${range.max}`,
      );
    }
    if (v.iops > v.sizeGiB * range.perGiB) {
      throw invalidParameter(
        `Iops to volume size ratio of ${(v.iops / v.sizeGiB).toFixed(1)} is too high for ${v.volumeType}; ` +
          `the maximum is ${range.perGiB} IOPS per GiB: lower --iops or make the volume at least ` +
          `${Math.ceil(v.iops / range.perGiB)} GiB`,
      );
    }
  } else if (v.volumeType === 'io1' || v.volumeType === 'io2') {
    throw invalidParameter(
      `The parameter iops must be specified for ${v.volumeType} volumes (pass --iops)`,
      'MissingParameter',
    );
  }
  if (v.throughput !== undefined) {
    if (v.volumeType !== 'gp3') {
      throw invalidParameter(
        `The parameter throughput is only supported for gp3 volumes, not ${v.volumeType}`,
        'InvalidParameterCombination',
      );
    }
    const iops = v.iops ?? GP3_DEFAULT_IOPS;
    if (
      !Number.isInteger(v.throughput) ||
      v.throughput < GP3_THROUGHPUT.min ||
      v.throughput > GP3_THROUGHPUT.max
    ) {
      throw invalidParameter(
        `Throughput of ${v.throughput} MiB/s is out of range for gp3: use ${GP3_THROUGHPUT.min} to ${GP3_THROUGHPUT.max}`,
      );
    }
    if (v.throughput > iops * GP3_THROUGHPUT.perIops) {
      throw invalidParameter(
        `Throughput of ${v.throughput} MiB/s is too high for ${iops} IOPS: gp3 allows ` +
          `${GP3_THROUGHPUT.perIops} MiB/s per IOPS; raise --iops to ${Math.ceil(v.throughput / GP3_THROUGHPUT.perIops)} or lower --throughput`,
      );
    }
  }
}

/** The IOPS and throughput a volume reports (describe-volumes' Iops and Throughput). */
export function reportedPerformance(v: VolumePerformanceInput): {
  iops?: number;
  throughput?: number;
} {
  switch (v.volumeType) {
    case 'gp3':
      return {
        iops: v.iops ?? GP3_DEFAULT_IOPS,
        throughput: v.throughput ?? GP3_DEFAULT_THROUGHPUT,
      };
    case 'gp2':
      return { iops: gp2Baseline(v.sizeGiB) };
    case 'io1':
    case 'io2':
      return v.iops === undefined ? {} : { iops: v.iops };
    default:
      return {};
  }
}

/** gp2: 3 IOPS per GiB, at least 100 and at most 16,000. */
const gp2Baseline = (sizeGiB: number): number => Math.min(16000, Math.max(100, 3 * sizeGiB));

/** gp2's and the HDDs' burst buckets (EC2: 5.4 million I/O credits; 1 TiB of credit per TiB). */
const GP2_BUCKET_IOS = 5.4e6;

/**
 * The QEMU throttle for a volume of this type, size and provisioning. Bursting types (gp2, st1,
 * sc1, standard) get their burst as QEMU's *_max with a burst length that empties the same
 * bucket EC2 describes.
 */
export function volumeThrottle(v: VolumePerformanceInput): DiskThrottle {
  const tib = v.sizeGiB / 1024;
  switch (v.volumeType) {
    case 'gp3':
      return {
        iops: v.iops ?? GP3_DEFAULT_IOPS,
        bps: (v.throughput ?? GP3_DEFAULT_THROUGHPUT) * MIB,
        iopsSize: SSD_IO_BYTES,
      };
    case 'gp2': {
      const baseline = gp2Baseline(v.sizeGiB);
      // Volumes up to 170 GiB deliver 128 MiB/s, larger ones 250 MiB/s.
      const bps = (v.sizeGiB <= 170 ? 128 : 250) * MIB;
      if (baseline >= 3000) return { iops: baseline, bps, iopsSize: SSD_IO_BYTES };
      return {
        iops: baseline,
        iopsMax: 3000,
        iopsMaxLength: Math.round(GP2_BUCKET_IOS / (3000 - baseline)),
        bps,
        iopsSize: SSD_IO_BYTES,
      };
    }
    case 'io1':
    case 'io2': {
      const iops = v.iops ?? IOPS_RANGE[v.volumeType]?.min ?? 100;
      // Throughput scales at 256 KiB/s per provisioned IOPS, up to the type's ceiling.
      const ceiling = v.volumeType === 'io1' ? 1000 : 4000;
      return { iops, bps: Math.min(ceiling * MIB, iops * SSD_IO_BYTES), iopsSize: SSD_IO_BYTES };
    }
    case 'st1':
      return hdd(tib, { baselinePerTiB: 40, burstPerTiB: 250, cap: 500, iops: 500 });
    case 'sc1':
      return hdd(tib, { baselinePerTiB: 12, burstPerTiB: 80, cap: 250, iops: 250 });
    case 'standard':
      // Magnetic: about 100 IOPS on average, bursts to a few hundred; 40-90 MiB/s.
      return {
        iops: 100,
        iopsMax: 300,
        iopsMaxLength: 60,
        bps: 90 * MIB,
        iopsSize: HDD_IO_BYTES,
      };
  }
}

/** st1 and sc1: throughput per TiB with a burst bucket of 1 TiB of credit per TiB of size. */
function hdd(
  tib: number,
  t: { baselinePerTiB: number; burstPerTiB: number; cap: number; iops: number },
): DiskThrottle {
  const baseline = Math.max(1, Math.min(t.cap, t.baselinePerTiB * tib));
  const burst = Math.min(t.cap, t.burstPerTiB * tib);
  const base: DiskThrottle = {
    iops: t.iops,
    bps: Math.round(baseline * MIB),
    iopsSize: HDD_IO_BYTES,
  };
  if (burst <= baseline) return base;
  const bucketMiB = 1024 * 1024 * tib;
  return {
    ...base,
    bpsMax: Math.round(burst * MIB),
    bpsMaxLength: Math.max(1, Math.round(bucketMiB / (burst - baseline))),
  };
}
