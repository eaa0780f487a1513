/**
 * Benchmark: does launching cost more for a larger image? (issue 6: root disks are overlays on
 * the image, so RunInstances must be O(1) in the image's size.)
 *
 * Two images are registered with `kumo register-image` from kumo-tiny's disk and kernel: "small"
 * (the disk as built: 256 MiB virtual, a few MiB of data) and "large" (the same disk as raw,
 * grown to LARGE_GIB GiB with 1 GiB of random data written past its file system, so the stored
 * qcow2 holds over 1 GiB). Then, alternating, one RunInstances call (gRPC, until the reply: the VM
 * confined and running) for each image, terminated before the next.
 *
 * Output, one JSON object each (benchmark, medianKumoMs, medianBareMs, medianDifferenceMs, ratio):
 * - launch-image-small / launch-image-large: the RunInstances call vs the bare `qemu-img create -b`
 *   overlay on that image's stored file (the only step that touches the image);
 * - launch-image-size: the large image's launch (as "kumo") vs the small image's (as "bare"): a
 *   ratio near 1 means the launch does not grow with the image.
 * Usage: npx tsx test/bench/image-size-launch.ts [rounds=5]
 */
import { credentials } from '@grpc/grpc-js';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeInstancesRequest,
  InstancesClient,
  RunInstancesRequest,
  TerminateInstancesRequest,
  type DescribeInstancesResponse,
  type RunInstancesResponse,
} from '../../src/gen/kumo/v1/instances.js';
import { IMAGE_DIR, KumodHarness } from '../integration/harness/kumod-harness.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 5);
const LARGE_GIB = 4;

function result(benchmark: string, kumo: number[], bare: number[], details: object): void {
  const k = stats(kumo).median;
  const b = stats(bare).median;
  console.log(
    JSON.stringify({
      benchmark,
      medianKumoMs: Math.round(k * 10) / 10,
      medianBareMs: Math.round(b * 10) / 10,
      medianDifferenceMs: Math.round((k - b) * 10) / 10,
      ratio: Math.round((k / b) * 100) / 100,
      rounds,
      ...details,
    }),
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'kumo-bench-images-'));
  const h = await KumodHarness.start();
  const client = new InstancesClient(`unix://${h.socket}`, credentials.createInsecure());
  const call = <R>(fn: (cb: (e: Error | null, r: R) => void) => void): Promise<R> =>
    new Promise((resolve, reject) => fn((e, r) => (e ? reject(e) : resolve(r))));
  try {
    const manifest = JSON.parse(readFileSync(join(IMAGE_DIR, 'manifest.json'), 'utf8')) as {
      kernelCmdline: string;
    };
    const large = join(work, 'large.raw');
    process.stderr.write(`making a ${LARGE_GIB} GiB image with 1 GiB of data\n`);
    await execa('qemu-img', ['convert', '-O', 'raw', join(IMAGE_DIR, 'disk.qcow2'), large]);
    await execa('truncate', ['-s', `${LARGE_GIB}G`, large]);
    await execa('dd', [
      'if=/dev/urandom',
      `of=${large}`,
      'bs=1M',
      'seek=1024',
      'count=1024',
      'conv=notrunc',
      'status=none',
    ]);
    const register = async (name: string, file: string): Promise<string> => {
      const args = ['--name', name, '--image-location', file, '--kernel-cmdline'];
      const kernel = ['--kernel', join(IMAGE_DIR, 'vmlinuz')];
      const ramdisk = ['--ramdisk', join(IMAGE_DIR, 'initrd.img')];
      const r = await h.json<{ ImageId: string }>(
        'register-image',
        ...args,
        manifest.kernelCmdline,
        ...kernel,
        ...ramdisk,
      );
      return r.ImageId;
    };
    const images = {
      small: await register('bench-small', join(IMAGE_DIR, 'disk.qcow2')),
      large: await register('bench-large', large),
    };
    const stored = (id: string): string => join(h.stateDir, 'images', id, 'disk.qcow2');

    const launch = async (imageId: string): Promise<{ ms: number; id: string }> => {
      const t0 = performance.now();
      const r = await call<RunInstancesResponse>((cb) =>
        client.runInstances(
          RunInstancesRequest.fromPartial({
            imageId,
            instanceType: 't3.nano',
            minCount: 1,
            maxCount: 1,
          }),
          cb,
        ),
      );
      return { ms: performance.now() - t0, id: r.reservation?.instances[0]?.instanceId ?? '' };
    };
    const terminate = async (id: string): Promise<void> => {
      await call((cb) =>
        client.terminateInstances(TerminateInstancesRequest.fromPartial({ instanceIds: [id] }), cb),
      );
      for (let n = 0; n < 3000; n++) {
        const d = await call<DescribeInstancesResponse>((cb) =>
          client.describeInstances(DescribeInstancesRequest.fromPartial({ instanceIds: [id] }), cb),
        );
        if (d.reservations[0]?.instances[0]?.state?.name === 'terminated') return;
        await sleep(20);
      }
      throw new Error(`${id} was not terminated`);
    };
    const overlay = async (base: string): Promise<number> => {
      const out = join(work, 'overlay.qcow2');
      const t0 = performance.now();
      await execa('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, out]);
      const ms = performance.now() - t0;
      rmSync(out);
      return ms;
    };

    const times = { small: [] as number[], large: [] as number[] };
    const bare = { small: [] as number[], large: [] as number[] };
    await terminate((await launch(images.small)).id); // warm-up: VPC, caches
    for (let r = 0; r < rounds; r++) {
      for (const size of ['small', 'large'] as const) {
        const { ms, id } = await launch(images[size]);
        times[size].push(ms);
        await terminate(id);
        bare[size].push(await overlay(stored(images[size])));
      }
    }
    const bytes = (size: 'small' | 'large') => statSync(stored(images[size])).size;
    for (const size of ['small', 'large'] as const) {
      result(`launch-image-${size}`, times[size], bare[size], { imageFileBytes: bytes(size) });
    }
    result('launch-image-size', times.large, times.small, {
      kumo: `RunInstances, ${LARGE_GIB} GiB image`,
      bare: 'RunInstances, small image',
      largeFileBytes: bytes('large'),
      smallFileBytes: bytes('small'),
    });
  } finally {
    client.close();
    await h.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
