/**
 * Benchmark: kumo's volume and snapshot file work (the real QemuImgVolumes adapter with the
 * command spawner, as kumod wires it) next to the bare qemu-img command doing the same:
 *   - create-volume --snapshot-id: a copy-on-write overlay on a snapshot, for snapshots holding
 *     256 MiB and 1 GiB of data (must be flat in size), vs bare `qemu-img create -b SNAP`;
 *   - create-snapshot of a detached 1 GiB volume full of data (copyFlat) vs bare
 *     `qemu-img convert -O qcow2`.
 * Rounds alternate which side goes first; files are removed outside the timed part.
 *
 * Usage: npx tsx test/bench/volume-files.ts [rounds=10] [snapshotRounds=3]
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SpawnerCommandRunner } from '../../src/host/spawner/spawner-runner.js';
import { QemuImgVolumes } from '../../src/host/qemu-img-volumes.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 10);
const snapshotRounds = Number(process.argv[3] ?? 3);
const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const ms2 = (x: number): number => Number(x.toFixed(2));
const id = (prefix: string): string => `${prefix}-${randomBytes(9).toString('hex').slice(0, 17)}`;

/** A qcow2 holding `bytes` of random data (what a used volume's snapshot holds). */
async function filledQcow2(dir: string, name: string, bytes: number): Promise<string> {
  const raw = join(dir, `${name}.raw`);
  const out = join(dir, `${name}.qcow2`);
  await execa('dd', [
    'if=/dev/urandom',
    `of=${raw}`,
    'bs=1M',
    `count=${bytes / MIB}`,
    'status=none',
  ]);
  await execa('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, out]);
  rmSync(raw);
  return out;
}

async function side(
  kumo: () => Promise<number>,
  bare: () => Promise<number>,
  n: number,
  warmup: number,
): Promise<{ kumoMs: number[]; bareMs: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await kumo();
    await bare();
  }
  const kumoMs: number[] = [];
  const bareMs: number[] = [];
  for (let r = 0; r < n; r++) {
    if (r % 2 === 0) {
      kumoMs.push(await kumo());
      bareMs.push(await bare());
    } else {
      bareMs.push(await bare());
      kumoMs.push(await kumo());
    }
  }
  return { kumoMs, bareMs };
}

function report(benchmark: string, extra: object, m: { kumoMs: number[]; bareMs: number[] }): void {
  const k = stats(m.kumoMs);
  const b = stats(m.bareMs);
  process.stdout.write(
    JSON.stringify(
      {
        benchmark,
        ...extra,
        kumoMs: m.kumoMs.map(ms2),
        bareMs: m.bareMs.map(ms2),
        medianKumoMs: ms2(k.median),
        medianBareMs: ms2(b.median),
        medianDifferenceMs: ms2(k.median - b.median),
        ratio: Number((k.median / b.median).toFixed(3)),
      },
      null,
      2,
    ) + '\n',
  );
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-bench-vol-'));
  const runner = new SpawnerCommandRunner([
    process.execPath,
    resolve(import.meta.dirname, '../../dist/host/spawner/spawner-main.js'),
  ]);
  const files = new QemuImgVolumes(runner, join(dir, 'volumes'));
  const bareDir = join(dir, 'bare');
  await execa('mkdir', ['-p', bareDir]);
  try {
    process.stderr.write('making snapshot files with data (256 MiB, 1 GiB)\n');
    for (const bytes of [256 * MIB, GIB]) {
      const snap = await filledQcow2(dir, `snap-${bytes}`, bytes);
      const m = await side(
        async () => {
          const vid = id('vol');
          const t = await timed(() => files.createOverlay(vid, snap, GIB));
          await files.remove(join(dir, 'volumes', `${vid}.qcow2`));
          return t;
        },
        async () => {
          const path = join(bareDir, `${id('vol')}.qcow2`);
          const t = await timed(() =>
            execa('qemu-img', [
              'create',
              '-q',
              '-f',
              'qcow2',
              '-F',
              'qcow2',
              '-b',
              snap,
              path,
              String(GIB),
            ]),
          );
          rmSync(path);
          return t;
        },
        rounds,
        2,
      );
      report(
        `create-volume --snapshot-id (snapshot with ${bytes / MIB} MiB of data): QemuImgVolumes.createOverlay vs bare \`qemu-img create -b SNAP\``,
        { snapshotDataMiB: bytes / MIB, rounds },
        m,
      );
    }

    const volume = await filledQcow2(dir, 'volume-1g', GIB);
    const m = await side(
      async () => {
        const sid = id('snap');
        const t = await timed(() => files.copyFlat(volume, sid));
        await files.remove(files.snapshotPath(sid));
        return t;
      },
      async () => {
        const path = join(bareDir, `${id('snap')}.qcow2`);
        const t = await timed(() =>
          execa('qemu-img', ['convert', '-q', '-O', 'qcow2', volume, path]),
        );
        rmSync(path);
        return t;
      },
      snapshotRounds,
      0,
    );
    report(
      'create-snapshot of a detached 1 GiB volume full of data: QemuImgVolumes.copyFlat vs bare `qemu-img convert -O qcow2`',
      { volumeDataMiB: 1024, rounds: snapshotRounds },
      m,
    );
  } finally {
    runner.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
