import type { Logger } from '../core/logger.js';
import type {
  VolumeModification as PModification,
  VolumeAttachment as PAttachment,
  Volume as PVolume,
  VolumesServer,
} from '../gen/kumo/v1/volumes.js';
import { attachVolume, detachVolume, type AttachmentView } from '../storage/attachments.js';
import type { Volume } from '../storage/volume.js';
import { reportedPerformance } from '../storage/volume-performance.js';
import { createVolume, deleteVolume, describeVolumes } from '../storage/volumes.js';
import { describeVolumesModifications, modifyVolume } from '../storage/modify-volume.js';
import type { ApiContext } from './context.js';
import { tags, toFilters, toTagSpecs } from './convert.js';
import { paginate, PAGE_LIMITS } from './pagination.js';
import { unary } from './unary.js';

const attachmentToProto = (a: AttachmentView): PAttachment => ({
  attachTime: a.attachTime,
  device: a.device,
  instanceId: a.instanceId,
  state: a.state,
  volumeId: a.volumeId,
  deleteOnTermination: a.deleteOnTermination,
});

export const volumeToProto = (v: Volume): PVolume => {
  const perf = reportedPerformance(v);
  return {
    attachments: v.attachment ? [attachmentToProto({ ...v.attachment, volumeId: v.id })] : [],
    availabilityZone: v.availabilityZone,
    createTime: v.createTime,
    encrypted: false,
    size: v.sizeGiB,
    snapshotId: v.snapshotId ?? '',
    state: v.state,
    volumeId: v.id,
    iops: perf.iops ?? 0,
    tags: tags(v.tags),
    volumeType: v.volumeType,
    multiAttachEnabled: false,
    throughput: perf.throughput ?? 0,
  };
};

const modificationToProto = (v: Volume): PModification => {
  const m = v.modification;
  return {
    volumeId: v.id,
    modificationState: m?.state ?? '',
    statusMessage: m?.statusMessage ?? '',
    targetSize: m?.targetSizeGiB ?? 0,
    targetIops: m?.targetIops ?? 0,
    targetVolumeType: m?.targetVolumeType ?? '',
    targetThroughput: m?.targetThroughput ?? 0,
    originalSize: m?.originalSizeGiB ?? 0,
    originalIops: m?.originalIops ?? 0,
    originalVolumeType: m?.originalVolumeType ?? '',
    originalThroughput: m?.originalThroughput ?? 0,
    progress: m?.progress ?? 0,
    startTime: m?.startTime,
    endTime: m?.endTime,
  };
};

/** The order volumes are described and paged in: creation, then id. */
const volumeKey = (v: Volume): string => `${v.createTime.toISOString()}|${v.id}`;
const byVolumeKey = (a: Volume, b: Volume): number =>
  volumeKey(a) < volumeKey(b) ? -1 : volumeKey(a) > volumeKey(b) ? 1 : 0;

export function volumesHandlers(ctx: ApiContext, logger: Logger): VolumesServer {
  const d = ctx.storage;
  const handle: typeof unary = (method, log, fn) => unary(method, log, fn, ctx.shutdownSignal);
  return {
    createVolume: handle('CreateVolume', logger, async (req) => ({
      volume: volumeToProto(
        await createVolume(d, {
          sizeGiB: req.size,
          snapshotId: req.snapshotId,
          volumeType: req.volumeType,
          availabilityZone: req.availabilityZone,
          iops: req.iops,
          throughput: req.throughput,
          tagSpecifications: toTagSpecs(req.tagSpecifications),
          dryRun: req.dryRun,
        }),
      ),
    })),
    describeVolumes: handle('DescribeVolumes', logger, (req) => {
      const found = describeVolumes(d, req.volumeIds, toFilters(req.filters)).sort(byVolumeKey);
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeVolumes,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.volumeIds.length,
          query: [req.volumeIds, req.filters],
        },
        found,
        volumeKey,
      );
      return { volumes: page.map(volumeToProto), nextToken };
    }),
    modifyVolume: handle('ModifyVolume', logger, async (req) => ({
      volumeModification: modificationToProto(
        await modifyVolume(d, {
          volumeId: req.volumeId,
          sizeGiB: req.size,
          volumeType: req.volumeType,
          iops: req.iops,
          throughput: req.throughput,
          dryRun: req.dryRun,
        }),
      ),
    })),
    describeVolumesModifications: handle('DescribeVolumesModifications', logger, (req) => {
      const found = describeVolumesModifications(d, req.volumeIds, toFilters(req.filters)).sort(
        byVolumeKey,
      );
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeVolumesModifications,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.volumeIds.length,
          query: [req.volumeIds, req.filters],
        },
        found,
        volumeKey,
      );
      return { volumesModifications: page.map(modificationToProto), nextToken };
    }),
    deleteVolume: handle('DeleteVolume', logger, async (req) => {
      await deleteVolume(d, req.volumeId, { dryRun: req.dryRun });
      return {};
    }),
    attachVolume: handle('AttachVolume', logger, async (req) => ({
      attachment: attachmentToProto(
        await attachVolume(d, {
          volumeId: req.volumeId,
          instanceId: req.instanceId,
          device: req.device,
          dryRun: req.dryRun,
        }),
      ),
    })),
    detachVolume: handle('DetachVolume', logger, async (req) => ({
      attachment: attachmentToProto(
        await detachVolume(d, {
          volumeId: req.volumeId,
          instanceId: req.instanceId || undefined,
          device: req.device || undefined,
          force: req.force,
          dryRun: req.dryRun,
        }),
      ),
    })),
  };
}
