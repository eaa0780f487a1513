import { execa } from 'execa';
import { mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { noCloudSeedFiles } from '../../src/compute/nocloud-seed.js';
import { KumoError } from '../../src/core/errors.js';
import { ExecaCommandRunner } from '../../src/host/command-runner.js';
import { NoCloudIsoSeeds, SEED_FILE } from '../../src/host/nocloud-iso.js';
import { integrationSuite } from './harness/prerequisites.js';

/**
 * The NoCloud seed adapter with the real xorriso: the image it makes is what cloud-init looks
 * for (ISO 9660 labelled cidata, the three files byte for byte, private modes), it replaces the
 * previous one, and a failure leaves no file behind. Boots no guest (seconds).
 */
const ID = 'i-0123456789abcdef0';
const USER_DATA = new Uint8Array([
  0x23, 0x21, 0x2f, 0x62, 0x69, 0x6e, 0x2f, 0x73, 0x68, 0x0a, 0xff,
]);
const files = noCloudSeedFiles(
  {
    id: ID,
    reservationId: 'r-0123456789abcdef0',
    imageId: 'ami-0123456789abcdef0',
    instanceType: 't3.micro',
    publicKey:
      'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me',
    userData: USER_DATA,
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
    cloudInitSeed: 'nocloud',
  },
  'kumo.internal',
);

/** The volume identifier of an ISO 9660 image: primary volume descriptor (sector 16), bytes 40-71. */
async function volumeId(iso: string): Promise<string> {
  const h = await open(iso, 'r');
  try {
    const buf = Buffer.alloc(32);
    await h.read(buf, 0, 32, 16 * 2048 + 40);
    return buf.toString('latin1').trimEnd();
  } finally {
    await h.close();
  }
}

integrationSuite(
  'NoCloud seed images made by xorriso',
  () => {
    let dir: string;
    const runner = new ExecaCommandRunner();
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'kumo-nocloud-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('makes an ISO 9660 image labelled cidata holding the three files byte for byte, 0600', async () => {
      const seeds = new NoCloudIsoSeeds(runner, { instancesDir: dir });
      const iso = await seeds.write(ID, files);
      expect(iso).toBe(join(dir, ID, SEED_FILE));
      expect(await volumeId(iso)).toBe('cidata');
      const out = join(dir, 'extracted');
      await execa('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/', out]);
      expect((await readdir(out)).sort()).toEqual(['meta-data', 'network-config', 'user-data']);
      expect(await readFile(join(out, 'meta-data'), 'utf8')).toBe(files.metaData);
      expect(await readFile(join(out, 'network-config'), 'utf8')).toBe(files.networkConfig);
      expect(new Uint8Array(await readFile(join(out, 'user-data')))).toEqual(USER_DATA);
      // Rock Ridge keeps the mode: user data can hold secrets.
      expect((await stat(join(out, 'user-data'))).mode & 0o777).toBe(0o600);
      // Only the image stays in the instance's directory: no staging files.
      expect(await readdir(join(dir, ID))).toEqual([SEED_FILE]);
      await rm(out, { recursive: true, force: true });
    });

    it('replaces the previous image; remove() takes it away and may be repeated', async () => {
      const seeds = new NoCloudIsoSeeds(runner, { instancesDir: dir });
      await seeds.write(ID, files);
      const other = { ...files, metaData: files.metaData.replace('172-31-0-5', '172-31-0-6') };
      const iso = await seeds.write(ID, other);
      const out = join(dir, 'meta-data.out');
      await execa('xorriso', ['-osirrox', 'on', '-indev', iso, '-extract', '/meta-data', out]);
      const stdout = await readFile(out, 'utf8');
      await rm(out);
      expect(stdout).toContain('ip-172-31-0-6.kumo.internal');
      await seeds.remove(ID);
      await seeds.remove(ID);
      expect(await readdir(join(dir, ID))).toEqual([]);
    });

    it('a failure says what to install and leaves nothing, not even the previous image', async () => {
      const good = new NoCloudIsoSeeds(runner, { instancesDir: dir });
      await good.write(ID, files);
      const broken = new NoCloudIsoSeeds(runner, {
        instancesDir: dir,
        xorriso: '/nonexistent/xorriso',
      });
      const e = await broken.write(ID, files).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KumoError);
      expect((e as KumoError).message).toMatch(/Debian package xorriso/);
      expect(await readdir(join(dir, ID))).toEqual([]);
    });

    it('a staging directory left by a killed kumod is replaced, not an error', async () => {
      const seeds = new NoCloudIsoSeeds(runner, { instancesDir: dir });
      await seeds.write(ID, files);
      await rm(join(dir, ID, SEED_FILE));
      await execa('mkdir', ['-p', join(dir, ID, 'cidata.d')]);
      await writeFile(join(dir, ID, 'cidata.d', 'stale'), 'x');
      await writeFile(join(dir, ID, `${SEED_FILE}.tmp`), 'half an image');
      await seeds.write(ID, files);
      expect((await readdir(join(dir, ID))).sort()).toEqual([SEED_FILE]);
    });
  },
  ['xorriso'],
);
