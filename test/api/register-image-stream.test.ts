import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { EC2_ERROR_CODE_METADATA_KEY } from '../../src/core/errors.js';
import {
  DescribeImagesRequest,
  ImagesClient,
  type RegisterImageRequest,
  type RegisterImageResponse,
} from '../../src/gen/kumo/v1/images.js';
import { FakeImageFiles } from '../fakes/fake-image-files.js';
import { startApiServer, type ApiServer } from './support/api-server.js';
import { call } from './support/calls.js';

/**
 * RegisterImage's client stream through the real gRPC server: the registration first, then the
 * file chunks; anything else is refused with an EC2 code, and nothing is kept.
 */
let api: ApiServer | undefined;
afterEach(() => api?.close());

async function start(uploadIdleTimeoutMs?: number) {
  const files = new FakeImageFiles();
  api = await startApiServer({ imageFiles: files, uploadIdleTimeoutMs });
  const images = new ImagesClient(api.address, credentials.createInsecure());
  return { files, images, api };
}

type Outcome = { imageId: string } | { code: string | undefined; details: string };

/** Sends `messages`, then ends the stream unless `keepOpen`. */
function upload(
  images: ImagesClient,
  messages: RegisterImageRequest[],
  keepOpen = false,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const stream = images.registerImage(
      new Metadata(),
      {},
      (err: ServiceError | null, res?: RegisterImageResponse) =>
        resolve(
          err
            ? {
                code: err.metadata.get(EC2_ERROR_CODE_METADATA_KEY)[0]?.toString(),
                details: err.details,
              }
            : { imageId: res?.imageId ?? '' },
        ),
    );
    for (const m of messages) stream.write(m);
    if (!keepOpen) stream.end();
  });
}

const registration = (disk: number): RegisterImageRequest => ({
  part: {
    $case: 'registration',
    value: {
      name: 'streamed',
      description: '',
      architecture: '',
      bootMode: 'uefi',
      rootDeviceName: '',
      kernelCmdline: '',
      imageLocation: 'disk.qcow2',
      diskSize: disk,
      kernelSize: 0,
      ramdiskSize: 0,
      tagSpecifications: [],
      dryRun: false,
      defaultUser: '',
    },
  },
});
const disk = (n: number): RegisterImageRequest => ({
  part: { $case: 'diskChunk', value: Buffer.alloc(n) },
});

describe('RegisterImage stream', () => {
  it('registers from the registration and the announced bytes in chunks', async () => {
    const { images } = await start();
    const r = await upload(images, [registration(3000), disk(1000), disk(2000)]);
    expect(r).toMatchObject({ imageId: expect.stringMatching(/^ami-[0-9a-f]{17}$/) as string });
    const d = await call(
      images.describeImages.bind(images),
      DescribeImagesRequest.fromPartial({ imageIds: [(r as { imageId: string }).imageId] }),
    );
    expect(d.images[0]).toMatchObject({ state: 'available', bootMode: 'uefi' });
  });

  it('refuses a stream without a registration first, a second registration, and a short upload', async () => {
    const { images, files, api: server } = await start();
    const before = server.deps.images.list().length;
    for (const messages of [
      [disk(10)],
      [registration(10), registration(10)],
      [registration(3000), disk(1000)],
      [],
    ]) {
      const r = await upload(images, messages);
      expect(r).toMatchObject({ code: 'InvalidParameterValue' });
    }
    expect(server.deps.images.list().length).toBe(before);
    expect(files.staged.size).toBe(0);
    expect(files.stored.size).toBe(0);
  });

  it('drops an upload whose client stops sending, leaving nothing', async () => {
    const { images, files, api: server } = await start(300);
    const before = server.deps.images.list().length;
    const r = await upload(images, [registration(3000), disk(1000)], true);
    expect(r).toMatchObject({ code: 'InvalidParameterValue' });
    expect((r as { details: string }).details).toMatch(/sent nothing for 0.3 s/);
    expect(server.deps.images.list().length).toBe(before);
    expect(files.staged.size).toBe(0);
  });
});
