import type { handleClientStreamingCall, ServerReadableStream, sendUnaryData } from '@grpc/grpc-js';
import { deregisterImage } from '../compute/deregister-image.js';
import {
  collectImages,
  instanceRootDisks,
  type DependantsOf,
} from '../compute/image-dependants.js';
import type { ImageFiles, UploadChunk } from '../compute/image-files.js';
import { registerImage } from '../compute/register-image.js';
import { invalidParameter, unavailable } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type {
  ImageRegistration,
  RegisterImageRequest,
  RegisterImageResponse,
  ImagesServer,
} from '../gen/kumo/v1/images.js';
import type { ApiContext } from './context.js';
import { toTagSpecs } from './convert.js';
import { toServiceError } from './error-mapper.js';
import { RejectedRequest } from './request-guard.js';
import { unary } from './unary.js';

/** Who depends on an image's file, for every resource kind this kumod knows. */
export const imageDependants = (ctx: ApiContext): DependantsOf[] => [
  instanceRootDisks(ctx.compute.instances),
  ...(ctx.imageDependants ?? []),
];

const files = (ctx: ApiContext): ImageFiles => {
  if (!ctx.imageFiles) throw unavailable('This kumod has no image store for registered images');
  return ctx.imageFiles;
};

/** RegisterImage (client stream) and DeregisterImage. */
export function imageRegistrationHandlers(
  ctx: ApiContext,
  logger: Logger,
): Pick<ImagesServer, 'registerImage' | 'deregisterImage'> {
  return {
    registerImage: registerImageHandler(ctx, logger),
    deregisterImage: unary('DeregisterImage', logger, async (req) => {
      await deregisterImage(
        {
          images: ctx.compute.images,
          imageFiles: files(ctx),
          dependants: imageDependants(ctx),
          logger,
        },
        req.imageId,
        { dryRun: req.dryRun },
      );
      return { return: true };
    }),
  };
}

/** Deletes deregistered images nothing depends on any more (after a terminate, at start). */
export const collectUnusedImages = (ctx: ApiContext, logger: Logger): Promise<void> =>
  ctx.imageFiles
    ? collectImages({
        images: ctx.compute.images,
        imageFiles: ctx.imageFiles,
        dependants: imageDependants(ctx),
        logger,
      })
    : Promise.resolve();

function registerImageHandler(
  ctx: ApiContext,
  logger: Logger,
): handleClientStreamingCall<RegisterImageRequest, RegisterImageResponse> {
  return (
    call: ServerReadableStream<RegisterImageRequest, RegisterImageResponse>,
    callback: sendUnaryData<RegisterImageResponse>,
  ) => {
    const abort = new AbortController();
    call.on('cancelled', () => abort.abort(new Error('RegisterImage was cancelled by the client')));
    const signal = ctx.shutdownSignal
      ? AbortSignal.any([abort.signal, ctx.shutdownSignal])
      : abort.signal;
    const messages = call[Symbol.asyncIterator]() as AsyncIterator<unknown>;
    const run = async (): Promise<RegisterImageResponse> => {
      const idleMs = ctx.uploadIdleTimeoutMs ?? UPLOAD_IDLE_TIMEOUT_MS;
      const first = await nextWithin(messages, idleMs);
      const registration = asRegistration(first.done ? undefined : first.value);
      const image = await registerImage(
        { images: ctx.compute.images, imageFiles: files(ctx), clock: ctx.compute.clock, logger },
        {
          name: registration.name,
          description: registration.description,
          architecture: registration.architecture,
          bootMode: registration.bootMode,
          rootDeviceName: registration.rootDeviceName,
          kernelCmdline: registration.kernelCmdline,
          imageLocation: registration.imageLocation,
          defaultUser: registration.defaultUser,
          sizes: {
            disk: registration.diskSize,
            kernel: registration.kernelSize,
            ramdisk: registration.ramdiskSize,
          },
          tagSpecifications: toTagSpecs(registration.tagSpecifications),
          dryRun: registration.dryRun,
        },
        chunksOf(messages, idleMs),
        signal,
      );
      return { imageId: image.id };
    };
    run().then(
      (res) => callback(null, res),
      (err: unknown) => {
        // A stream still being sent is drained and dropped, so the client gets the answer.
        call.resume();
        callback(toServiceError(err, 'RegisterImage', logger), null);
      },
    );
  };
}

function asRegistration(message: unknown): ImageRegistration {
  if (message instanceof RejectedRequest) throw message.error;
  const part = (message as RegisterImageRequest | undefined)?.part;
  if (part?.$case !== 'registration') {
    throw invalidParameter(
      'A RegisterImage stream starts with the registration (name, sizes), then the files',
    );
  }
  return part.value;
}

/** How long kumod waits for the next message of an upload before giving it up (and undoing it). */
export const UPLOAD_IDLE_TIMEOUT_MS = 60_000;

/** The next message, or a refusal when the client has sent nothing for `idleMs`. */
async function nextWithin(
  messages: AsyncIterator<unknown>,
  idleMs: number,
): Promise<IteratorResult<unknown>> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      messages.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              invalidParameter(
                `The RegisterImage stream sent nothing for ${idleMs / 1000} s; the upload was dropped. Run register-image again.`,
              ),
            ),
          idleMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The file chunks after the registration; a second registration or a bad message is refused. */
async function* chunksOf(
  messages: AsyncIterator<unknown>,
  idleMs: number,
): AsyncIterable<UploadChunk> {
  for (;;) {
    const next = await nextWithin(messages, idleMs);
    if (next.done) return;
    const message: unknown = next.value;
    if (message instanceof RejectedRequest) throw message.error;
    const part = (message as RegisterImageRequest).part;
    switch (part?.$case) {
      case 'kernelChunk':
        yield { part: 'kernel', data: part.value };
        break;
      case 'ramdiskChunk':
        yield { part: 'ramdisk', data: part.value };
        break;
      case 'diskChunk':
        yield { part: 'disk', data: part.value };
        break;
      default:
        throw invalidParameter('A RegisterImage stream carries one registration, then file chunks');
    }
  }
}
