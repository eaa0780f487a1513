import { invalidParameter, quoted } from '../core/errors.js';
import { OWNER_ID } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import type { Snapshot as PSnapshot, SnapshotsServer } from '../gen/kumo/v1/snapshots.js';
import type { Snapshot } from '../storage/snapshot.js';
import {
  copySnapshot,
  createSnapshot,
  deleteSnapshot,
  describeSnapshots,
} from '../storage/snapshots.js';
import type { ApiContext } from './context.js';
import { tags, toFilters, toTagSpecs } from './convert.js';
import { paginate, PAGE_LIMITS } from './pagination.js';
import { DEFAULT_SITE } from './site.js';
import { unary } from './unary.js';

export const snapshotToProto = (s: Snapshot): PSnapshot => ({
  tags: tags(s.tags),
  snapshotId: s.id,
  volumeId: s.volumeId,
  state: s.state,
  startTime: s.startTime,
  progress: s.progress,
  ownerId: OWNER_ID,
  description: s.description,
  volumeSize: s.volumeSizeGiB,
  encrypted: false,
});

const snapshotKey = (s: Snapshot): string => `${s.startTime.toISOString()}|${s.id}`;

export function snapshotsHandlers(ctx: ApiContext, logger: Logger): SnapshotsServer {
  const d = ctx.storage;
  const region = (ctx.site ?? DEFAULT_SITE).region;
  const handle: typeof unary = (method, log, fn) => unary(method, log, fn, ctx.shutdownSignal);
  return {
    createSnapshot: handle('CreateSnapshot', logger, async (req) => ({
      snapshot: snapshotToProto(
        await createSnapshot(d, {
          volumeId: req.volumeId,
          description: req.description,
          tagSpecifications: toTagSpecs(req.tagSpecifications),
          dryRun: req.dryRun,
        }),
      ),
    })),
    describeSnapshots: handle('DescribeSnapshots', logger, (req) => {
      // Every snapshot here is kumo's own: another owner owns none.
      const mine =
        req.ownerIds.length === 0 || req.ownerIds.some((o) => o === 'self' || o === OWNER_ID);
      const found = mine
        ? describeSnapshots(d, req.snapshotIds, toFilters(req.filters)).sort((a, b) =>
            snapshotKey(a) < snapshotKey(b) ? -1 : snapshotKey(a) > snapshotKey(b) ? 1 : 0,
          )
        : [];
      const { page, nextToken } = paginate(
        PAGE_LIMITS.describeSnapshots,
        {
          maxResults: req.maxResults,
          nextToken: req.nextToken,
          idCount: req.snapshotIds.length,
          query: [req.snapshotIds, req.ownerIds, req.filters],
        },
        found,
        snapshotKey,
      );
      return { snapshots: page.map(snapshotToProto), nextToken };
    }),
    deleteSnapshot: handle('DeleteSnapshot', logger, async (req) => {
      await deleteSnapshot(d, req.snapshotId, { dryRun: req.dryRun });
      return {};
    }),
    copySnapshot: handle('CopySnapshot', logger, async (req) => {
      if (req.sourceRegion && req.sourceRegion !== region) {
        throw invalidParameter(
          `Invalid value ${quoted(req.sourceRegion)} for SourceRegion; this host is ${region}`,
        );
      }
      const s = await copySnapshot(d, {
        sourceSnapshotId: req.sourceSnapshotId,
        description: req.description,
        tagSpecifications: toTagSpecs(req.tagSpecifications),
        dryRun: req.dryRun,
      });
      return { snapshotId: s.id, tags: tags(s.tags) };
    }),
  };
}
