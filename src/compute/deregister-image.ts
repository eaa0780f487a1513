import { dryRunOperation, incorrectState, notFound, quoted } from '../core/errors.js';
import { assertId } from '../core/ids.js';
import { collectImage, dependantsOf, type ImageCollectorDeps } from './image-dependants.js';
import { imageState } from './image.js';

/**
 * DeregisterImage. The image disappears for clients at once (describe, launch); its file is
 * deleted now if nothing depends on it, otherwise it stays (hidden, `deregistered`) until the
 * last root disk on it is gone: running instances keep working.
 */
export async function deregisterImage(
  deps: ImageCollectorDeps,
  imageId: string,
  options: { dryRun?: boolean | undefined } = {},
): Promise<void> {
  assertId('ami', imageId, 'InvalidAMIID.Malformed');
  const image = deps.images.get(imageId);
  if (!image || imageState(image) === 'deregistered') {
    throw notFound(
      'InvalidAMIID.NotFound',
      `The image id ${quoted(imageId)} does not exist; list images with kumo describe-images`,
    );
  }
  if (imageState(image) === 'pending') {
    throw incorrectState(
      `The image ${imageId} is still being registered; deregister it once it is available`,
      'InvalidAMIID.Unavailable',
    );
  }
  if (options.dryRun) throw dryRunOperation();
  const hidden = { ...image, state: 'deregistered' as const };
  deps.images.put(hidden);
  const dependants = dependantsOf(deps.dependants, imageId);
  if (dependants.length > 0) {
    deps.logger.info('image deregistered; its file stays while root disks use it', {
      imageId,
      dependants: dependants.length,
    });
    return;
  }
  await collectImage(deps, hidden);
}
