import { Metadata, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import { open, type FileHandle } from 'node:fs/promises';
import type {
  ImageRegistration,
  ImagesClient,
  RegisterImageRequest,
  RegisterImageResponse,
} from '../gen/kumo/v1/images.js';
import { ServiceCallError, UsageError } from './errors.js';

/** Bytes per stream message: well under kumod's 1 MiB request limit. */
export const UPLOAD_CHUNK_BYTES = 256 * 1024;

/** The files the CLI reads (as the user running it) and streams to kumod. */
export interface UploadFiles {
  readonly disk: string;
  readonly kernel?: string | undefined;
  readonly ramdisk?: string | undefined;
}

/** Reports progress: bytes sent so far of the total. */
export type Progress = (sent: number, total: number) => void;

/**
 * A progress line for a terminal (`\r` rewrites it): percentage, MiB and rate. `done` ends the
 * line. Only used when standard error is a terminal, as aws-cli's s3 transfers do.
 */
export function progressLine(sent: number, total: number, elapsedMs: number): string {
  const pct = total === 0 ? 100 : Math.floor((sent / total) * 100);
  const width = 30;
  const filled = Math.round((pct / 100) * width);
  const mib = (n: number): string => (n / 1024 ** 2).toFixed(1);
  const rate = elapsedMs > 0 ? sent / 1024 ** 2 / (elapsedMs / 1000) : 0;
  return `\rUploading [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(pct).padStart(3)}% ${mib(sent)}/${mib(total)} MiB ${rate.toFixed(1)} MiB/s`;
}

async function openFile(path: string, what: string): Promise<{ fh: FileHandle; size: number }> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read the ${what} file ${path}: ${e.code ?? String(e)}`);
  });
  const st = await fh.stat();
  if (!st.isFile()) {
    await fh.close();
    throw new UsageError(`The ${what} ${path} is not a regular file`);
  }
  return { fh, size: st.size };
}

/**
 * RegisterImage: opens the files read-only (they are never modified), announces their sizes in
 * the first message and streams their bytes (kernel, ramdisk, disk) with back-pressure. Sizes come
 * from the opened files, so what is announced is what is read.
 */
export async function uploadImage(
  client: ImagesClient,
  registration: Omit<ImageRegistration, 'diskSize' | 'kernelSize' | 'ramdiskSize'>,
  files: UploadFiles,
  progress: Progress | undefined,
  deadlineMs: (totalBytes: number) => number,
): Promise<RegisterImageResponse> {
  const opened: {
    part: 'kernelChunk' | 'ramdiskChunk' | 'diskChunk';
    fh: FileHandle;
    size: number;
  }[] = [];
  try {
    if (files.kernel)
      opened.push({ part: 'kernelChunk', ...(await openFile(files.kernel, 'kernel')) });
    if (files.ramdisk)
      opened.push({ part: 'ramdiskChunk', ...(await openFile(files.ramdisk, 'ramdisk')) });
    const disk = await openFile(files.disk, 'image');
    opened.push({ part: 'diskChunk', ...disk });
    const sizeOf = (p: string): number => opened.find((o) => o.part === p)?.size ?? 0;
    const total = opened.reduce((n, o) => n + o.size, 0);
    let call!: ClientWritableStream<RegisterImageRequest>;
    const answer = new Promise<RegisterImageResponse>((resolve, reject) => {
      call = client.registerImage(
        new Metadata(),
        { deadline: Date.now() + deadlineMs(total) },
        (error: ServiceError | null, response?: RegisterImageResponse) => {
          if (error) reject(new ServiceCallError('RegisterImage', error));
          else if (response) resolve(response);
        },
      );
    });
    // kumod may answer (an error) before the upload ends: stop sending then.
    let finished = false;
    void answer.catch(() => undefined).finally(() => (finished = true));
    const send = async (message: RegisterImageRequest): Promise<void> => {
      if (!call.write(message)) {
        await new Promise<void>((resolve) => {
          const done = (): void => resolve();
          call.once('drain', done);
          void answer.catch(() => undefined).finally(done);
        });
      }
    };
    await send({
      part: {
        $case: 'registration',
        value: {
          ...registration,
          diskSize: sizeOf('diskChunk'),
          kernelSize: sizeOf('kernelChunk'),
          ramdiskSize: sizeOf('ramdiskChunk'),
        },
      },
    });
    let sent = 0;
    if (!registration.dryRun) {
      for (const file of opened) {
        for (let offset = 0; offset < file.size && !finished;) {
          const buf = Buffer.alloc(Math.min(UPLOAD_CHUNK_BYTES, file.size - offset));
          const { bytesRead } = await file.fh.read(buf, 0, buf.length, offset);
          if (bytesRead === 0) break; // the file shrank: kumod refuses the short upload
          offset += bytesRead;
          sent += bytesRead;
          await send({ part: { $case: file.part, value: buf.subarray(0, bytesRead) } });
          progress?.(sent, total);
        }
      }
    }
    call.end();
    return await answer;
  } finally {
    await Promise.all(opened.map((o) => o.fh.close()));
  }
}
