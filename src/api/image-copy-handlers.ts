import { copyImage, createImage, type CreateImageDeps } from '../compute/create-image.js';
import { unavailable } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ImagesServer } from '../gen/kumo/v1/images.js';
import type { ApiContext } from './context.js';
import { toTagSpecs } from './convert.js';
import { DEFAULT_SITE } from './site.js';
import { unary } from './unary.js';

/** CreateImage and CopyImage: each returns once its image is available. */
export function imageCopyHandlers(
  ctx: ApiContext,
  logger: Logger,
): Pick<ImagesServer, 'createImage' | 'copyImage'> {
  const deps = (): CreateImageDeps => {
    if (!ctx.imageFiles) throw unavailable('This kumod has no image store for new images');
    return {
      images: ctx.compute.images,
      instances: ctx.compute.instances,
      imageFiles: ctx.imageFiles,
      locks: ctx.compute.locks,
      clock: ctx.compute.clock,
      logger,
      hypervisor: ctx.compute.hypervisor,
      powerOffTimeoutMs: ctx.compute.settings.stopTimeoutMs,
    };
  };
  return {
    createImage: unary(
      'CreateImage',
      logger,
      async (req, { signal }) => {
        const image = await createImage(
          deps(),
          {
            instanceId: req.instanceId,
            name: req.name,
            description: req.description,
            noReboot: req.noReboot,
            tagSpecifications: toTagSpecs(req.tagSpecifications),
            dryRun: req.dryRun,
          },
          signal,
        );
        return { imageId: image.id };
      },
      ctx.shutdownSignal,
    ),
    copyImage: unary(
      'CopyImage',
      logger,
      async (req, { signal }) => {
        const image = await copyImage(
          deps(),
          {
            sourceImageId: req.sourceImageId,
            sourceRegion: req.sourceRegion,
            name: req.name,
            description: req.description,
            copyImageTags: req.copyImageTags,
            tagSpecifications: toTagSpecs(req.tagSpecifications),
            dryRun: req.dryRun,
          },
          (ctx.site ?? DEFAULT_SITE).region,
          signal,
        );
        return { imageId: image.id };
      },
      ctx.shutdownSignal,
    ),
  };
}
