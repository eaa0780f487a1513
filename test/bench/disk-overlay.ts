/**
 * Benchmark: creating an instance root disk through kumo's RootDisks adapter (the real
 * QemuImgVolumes with the command spawner, as kumod wires them) next to the bare
 * `qemu-img create -q -f qcow2 -F qcow2 -b BASE overlay.qcow2` spawned with node:child_process.
 * Both make the same overlay on the default image's qcow2 in the same temp dir; the difference is
 * what the adapter adds (mkdir of the volumes dir, the spawner round trip, env/timeout handling).
 * Rounds alternate which side goes first; every overlay is removed outside the timed part.
 *
 * Usage: npx tsx test/bench/disk-overlay.ts [rounds=30]   (builds the image if it is missing)
 */
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SpawnerCommandRunner } from '../../src/host/spawner/spawner-runner.js';
import { QemuImgVolumes } from '../../src/host/qemu-img-volumes.js';
import { IMAGE_DIR } from '../integration/harness/kumod-harness.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 30);
const WARMUP = 3;
const ROOT = resolve(import.meta.dirname, '../..');

/** The bare command, as a shell user would type it (plus -q, which kumo passes too). */
function bareCreate(base: string, path: string): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn(
      'qemu-img',
      ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, path],
      { stdio: 'ignore' },
    );
    child.on('error', rej);
    child.on('exit', (code) =>
      code === 0 ? res() : rej(new Error(`qemu-img create exited ${code}`)),
    );
  });
}

async function baseImage(): Promise<string> {
  const manifest = join(IMAGE_DIR, 'manifest.json');
  if (!existsSync(manifest)) {
    process.stderr.write(`no image in ${IMAGE_DIR}; running scripts/build-image\n`);
    await execa(join(ROOT, 'scripts/build-image'), {
      stdout: 'inherit',
      stderr: 'inherit',
      env: { KUMO_IMAGE_DIR: IMAGE_DIR },
    });
  }
  const { disk } = JSON.parse(readFileSync(manifest, 'utf8')) as { disk: string };
  return join(IMAGE_DIR, disk);
}

async function backingOf(path: string): Promise<string> {
  const { stdout } = await execa('qemu-img', ['info', '--output=json', '-U', path]);
  return (JSON.parse(stdout) as { 'backing-filename'?: string })['backing-filename'] ?? '';
}

const instanceId = (): string => `i-${randomBytes(9).toString('hex').slice(0, 17)}`;
const ms2 = (x: number): number => Number(x.toFixed(2));

async function main(): Promise<void> {
  const base = await baseImage();
  const dir = mkdtempSync(join(tmpdir(), 'kumo-bench-disk-'));
  const runner = new SpawnerCommandRunner([
    process.execPath,
    resolve(import.meta.dirname, '../../dist/host/spawner/spawner-main.js'),
  ]);
  const disks = new QemuImgVolumes(runner, join(dir, 'volumes'));
  const bareDir = join(dir, 'bare');
  mkdirSync(bareDir);
  const kumoMs: number[] = [];
  const bareMs: number[] = [];

  const kumoRound = async (): Promise<number> => {
    const t0 = performance.now();
    const path = await disks.createOverlay(instanceId().replace('i-', 'vol-'), base);
    const t = performance.now() - t0;
    await disks.remove(path);
    return t;
  };
  const bareRound = async (): Promise<number> => {
    const path = join(bareDir, `${instanceId()}-root.qcow2`);
    const t0 = performance.now();
    await bareCreate(base, path);
    const t = performance.now() - t0;
    rmSync(path, { force: true });
    return t;
  };

  try {
    // Both sides must make the same thing: a qcow2 overlay backed by the image.
    const kPath = await disks.createOverlay(instanceId().replace('i-', 'vol-'), base);
    const bPath = join(bareDir, 'check.qcow2');
    await bareCreate(base, bPath);
    for (const p of [kPath, bPath]) {
      const backing = await backingOf(p);
      if (backing !== base) throw new Error(`${p} is backed by ${backing}, not ${base}`);
    }
    await disks.remove(kPath);
    rmSync(bPath);

    for (let i = 0; i < WARMUP; i++) {
      await kumoRound();
      await bareRound();
    }
    for (let round = 0; round < rounds; round++) {
      if (round % 2 === 0) {
        kumoMs.push(await kumoRound());
        bareMs.push(await bareRound());
      } else {
        bareMs.push(await bareRound());
        kumoMs.push(await kumoRound());
      }
    }
  } finally {
    runner.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const k = stats(kumoMs);
  const b = stats(bareMs);
  const result = {
    benchmark:
      'root volume: QemuImgVolumes.createOverlay (kumo VolumeFiles adapter) vs bare `qemu-img create -f qcow2 -F qcow2 -b BASE`',
    base,
    rounds,
    warmupRounds: WARMUP,
    kumoMs: kumoMs.map(ms2),
    bareQemuImgMs: bareMs.map(ms2),
    medianKumoMs: ms2(k.median),
    medianBareMs: ms2(b.median),
    medianDifferenceMs: ms2(k.median - b.median),
    ratio: Number((k.median / b.median).toFixed(3)),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
