/**
 * Benchmark: what a NoCloud seed adds to a launch or start. kumo's adapter (NoCloudIsoSeeds, with
 * the command spawner, as kumod wires it) writing an instance's seed (the three files, then xorriso,
 * then the rename) next to the bare `xorriso -as mkisofs` on the same three files already on disk,
 * spawned with node:child_process. Rounds alternate which side goes first; the images are removed
 * outside the timed part.
 *
 * Usage: npx tsx test/bench/nocloud-seed.ts [rounds=30]   (needs xorriso and a built dist/)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { noCloudSeedFiles } from '../../src/compute/nocloud-seed.js';
import { mkisofsArgs, NoCloudIsoSeeds, SEED_FILE } from '../../src/host/nocloud-iso.js';
import { SpawnerCommandRunner } from '../../src/host/spawner/spawner-runner.js';
import { stats } from './stats.js';

const rounds = Number(process.argv[2] ?? 30);
const WARMUP = 3;
const ID = 'i-0123456789abcdef0';
const ms2 = (x: number): number => Number(x.toFixed(2));

// A 4 KiB user data: a typical cloud-config with a script, well under EC2's 16 KiB limit.
const files = noCloudSeedFiles(
  {
    id: ID,
    reservationId: 'r-0123456789abcdef0',
    imageId: 'ami-0123456789abcdef0',
    instanceType: 't3.micro',
    publicKey:
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me',
    userData: new TextEncoder().encode(
      '#cloud-config\nruncmd:\n' + '  - [sh, -c, "echo kumo >>/var/tmp/log"]\n'.repeat(100),
    ),
    state: 'pending',
    stateTransitionReason: '',
    launchTime: new Date(),
    tags: [],
    launchIndex: 0,
    network: {
      id: 'eni-0123456789abcdef0',
      instanceId: ID,
      vpcId: 'vpc-0123456789abcdef0',
      subnetId: 'subnet-0123456789abcdef0',
      privateIp: '172.31.0.5',
      mac: '52:54:00:ab:cd:ef',
    },
  },
  'kumo.internal',
);

function bareXorriso(staging: string, output: string): Promise<void> {
  return new Promise((res, rej) => {
    const child = spawn('xorriso', mkisofsArgs(staging, output), { stdio: 'ignore' });
    child.on('error', rej);
    child.on('exit', (code) => (code === 0 ? res() : rej(new Error(`xorriso exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-bench-nocloud-'));
  const runner = new SpawnerCommandRunner([
    process.execPath,
    resolve(import.meta.dirname, '../../dist/host/spawner/spawner-main.js'),
  ]);
  const seeds = new NoCloudIsoSeeds(runner, { instancesDir: join(dir, 'instances') });
  const staging = join(dir, 'bare-staging');
  mkdirSync(staging);
  writeFileSync(join(staging, 'meta-data'), files.metaData);
  writeFileSync(join(staging, 'user-data'), files.userData);
  writeFileSync(join(staging, 'network-config'), files.networkConfig);
  const bareIso = join(dir, 'bare.iso');
  const kumoMs: number[] = [];
  const bareMs: number[] = [];
  const kumoRound = async (): Promise<number> => {
    const t0 = performance.now();
    await seeds.write(ID, files);
    const t = performance.now() - t0;
    await seeds.remove(ID);
    return t;
  };
  const bareRound = async (): Promise<number> => {
    const t0 = performance.now();
    await bareXorriso(staging, bareIso);
    const t = performance.now() - t0;
    rmSync(bareIso, { force: true });
    return t;
  };
  try {
    // Both sides make the same thing: an image of the same size, labelled cidata.
    const iso = await seeds.write(ID, files);
    await bareXorriso(staging, bareIso);
    const [a, b] = [readFileSync(iso), readFileSync(bareIso)];
    const label = (x: Buffer) =>
      x
        .subarray(16 * 2048 + 40, 16 * 2048 + 72)
        .toString()
        .trimEnd();
    if (a.length !== b.length || label(a) !== 'cidata' || label(b) !== 'cidata')
      throw new Error(`the images differ: ${a.length} vs ${b.length} bytes`);
    if (!iso.endsWith(SEED_FILE)) throw new Error(`unexpected seed path ${iso}`);
    await seeds.remove(ID);
    rmSync(bareIso);
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
  process.stdout.write(
    JSON.stringify(
      {
        benchmark:
          'NoCloud seed: NoCloudIsoSeeds.write (files, xorriso via the spawner, rename) vs bare `xorriso -as mkisofs` on staged files',
        userDataBytes: files.userData.length,
        rounds,
        warmupRounds: WARMUP,
        kumoMs: kumoMs.map(ms2),
        bareXorrisoMs: bareMs.map(ms2),
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

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
