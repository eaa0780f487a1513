import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, execa, IMAGE_DIR, KumodHarness } from './harness/kumod-harness.js';
import {
  ALL_PREREQUISITES,
  FIRMWARE_IMAGE_DIR,
  integrationSuite,
} from './harness/prerequisites.js';

/**
 * Images (issue 6): register-image streams a user's file to kumod, which checks it with qemu-img
 * and stores it; firmware images boot from their own disk under SeaBIOS and under OVMF on real
 * guests; bad files are refused with their EC2 code and leave nothing behind; a deregistered
 * image that an instance still runs on keeps its file until the instance is gone.
 */
const sha256 = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex');

interface ImageRow {
  ImageId: string;
  Name: string;
  State: string;
  BootMode?: string;
  RootDeviceName: string;
  BlockDeviceMappings: { DeviceName: string; Ebs: { VolumeSize: number } }[];
  Tags?: { Key: string; Value: string }[];
}

integrationSuite(
  'images: register, firmware boot, deregister',
  () => {
    let h: KumodHarness;
    const firmwareDisk = join(FIRMWARE_IMAGE_DIR, 'disk.qcow2');
    const storeDir = (): string => join(h.stateDir, 'images');
    /** What the image store holds besides the built-in image (ids and staging areas). */
    const storeEntries = (): string[] =>
      existsSync(storeDir()) ? readdirSync(storeDir()).filter((e) => e !== '.incoming') : [];
    const staging = (): string[] =>
      existsSync(join(storeDir(), '.incoming')) ? readdirSync(join(storeDir(), '.incoming')) : [];
    const images = async (...args: string[]): Promise<ImageRow[]> =>
      (await h.json('describe-images', ...args)).Images as ImageRow[];
    const register = async (...args: string[]): Promise<string> =>
      (await h.json('register-image', ...args)).ImageId as string;
    const launch = async (imageId: string): Promise<string> =>
      (await h.json('run-instances', '--image-id', imageId, '--instance-type', 't3.micro'))
        .Instances[0].InstanceId as string;
    const console = async (id: string): Promise<string> =>
      ((await h.json('get-console-output', '--instance-id', id)).Output as string | undefined) ??
      '';

    beforeAll(async () => {
      h = await KumodHarness.start();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('refuses non-images, truncated and corrupt qcow2 and backed overlays, leaving nothing behind', async () => {
      const before = storeEntries();
      const text = join(h.dir, 'notes.txt');
      // 128000 bytes: whole sectors, so the content (not the size) is what gets it refused.
      writeFileSync(text, 'this is not a disk image\n'.repeat(5120));
      const truncated = join(h.dir, 'truncated.qcow2');
      await execa('sh', ['-c', `head -c 50000000 ${firmwareDisk} > ${truncated}`]);
      const overlay = join(h.dir, 'overlay.qcow2');
      await execa('qemu-img', [
        'create',
        '-q',
        '-f',
        'qcow2',
        '-F',
        'qcow2',
        '-b',
        firmwareDisk,
        overlay,
      ]);
      const empty = join(h.dir, 'empty.img');
      writeFileSync(empty, '');
      for (const [file, why] of [
        [text, /no partition table/],
        [truncated, /corrupt|truncated/],
        [overlay, /backing file/],
        [empty, /empty/],
      ] as const) {
        const r = await h.kumo('register-image', '--name', 'bad-one', '--image-location', file);
        expect(r.exitCode, r.stderr).toBe(254);
        expect(r.stderr).toContain('InvalidParameterValue');
        expect(r.stderr).toMatch(why);
      }
      const missing = await h.kumo(
        'register-image',
        '--name',
        'x-y-z',
        '--image-location',
        join(h.dir, 'nope'),
      );
      expect(missing.exitCode).toBe(252);
      const combo = await h.kumo(
        'register-image',
        '--name',
        'combo',
        '--image-location',
        firmwareDisk,
        '--kernel',
        join(IMAGE_DIR, 'vmlinuz'),
        '--boot-mode',
        'uefi',
      );
      expect(combo.stderr).toContain('InvalidParameterCombination');
      const dry = await h.kumo(
        'register-image',
        '--name',
        'dry-run',
        '--image-location',
        firmwareDisk,
        '--dry-run',
      );
      expect(dry.stderr).toContain('DryRunOperation');
      expect((await images('--filters', 'Name=name,Values=bad-one,combo,dry-run')).length).toBe(0);
      expect(storeEntries()).toEqual(before);
      expect(staging()).toEqual([]);
    });

    it('registers a raw disk with a kernel: converted to qcow2 in the store, the user file untouched', async () => {
      const raw = join(h.dir, 'tiny.raw');
      await execa('qemu-img', [
        'convert',
        '-f',
        'qcow2',
        '-O',
        'raw',
        join(IMAGE_DIR, 'disk.qcow2'),
        raw,
      ]);
      const hash = sha256(raw);
      const manifest = JSON.parse(readFileSync(join(IMAGE_DIR, 'manifest.json'), 'utf8')) as {
        kernelCmdline: string;
      };
      const id = await register(
        '--name',
        'tiny-raw',
        '--image-location',
        raw,
        '--kernel',
        join(IMAGE_DIR, 'vmlinuz'),
        '--ramdisk',
        join(IMAGE_DIR, 'initrd.img'),
        '--kernel-cmdline',
        manifest.kernelCmdline,
        '--tag-specifications',
        'ResourceType=image,Tags=[{Key=team,Value=blue}]',
      );
      expect(sha256(raw)).toBe(hash);
      const [img] = await images('--image-ids', id);
      expect(img).toMatchObject({
        Name: 'tiny-raw',
        State: 'available',
        Tags: [{ Key: 'team', Value: 'blue' }],
      });
      expect(img?.BootMode).toBeUndefined();
      const info = JSON.parse(
        (await execa('qemu-img', ['info', '--output=json', join(storeDir(), id, 'disk.qcow2')]))
          .stdout,
      ) as { format: string };
      expect(info.format).toBe('qcow2');
      expect(
        (await images('--filters', 'Name=tag:team,Values=blue')).map((i) => i.ImageId),
      ).toEqual([id]);
      expect(staging()).toEqual([]);
    });

    it('boots a firmware image under SeaBIOS and under OVMF; a deregistered image stays until its instance is gone', async () => {
      const bios = await register(
        '--name',
        'debian-bios',
        '--image-location',
        firmwareDisk,
        '--boot-mode',
        'legacy-bios',
      );
      const uefi = await register(
        '--name',
        'debian-uefi',
        '--image-location',
        firmwareDisk,
        '--boot-mode',
        'uefi',
        '--root-device-name',
        '/dev/xvda',
      );
      const rows = await images('--filters', 'Name=name,Values=debian-*');
      expect(rows.map((r) => [r.Name, r.State, r.BootMode]).sort()).toEqual([
        ['debian-bios', 'available', 'legacy-bios'],
        ['debian-uefi', 'available', 'uefi'],
      ]);
      const uefiRow = rows.find((r) => r.ImageId === uefi);
      expect(uefiRow?.RootDeviceName).toBe('/dev/xvda');
      expect(uefiRow?.BlockDeviceMappings[0]).toMatchObject({
        DeviceName: '/dev/xvda',
        Ebs: { VolumeSize: 2 },
      });
      expect(
        (await images('--filters', 'Name=boot-mode,Values=uefi')).map((r) => r.ImageId),
      ).toEqual([uefi]);

      const [onBios, onUefi] = await Promise.all([launch(bios), launch(uefi)]);
      // The UEFI guest has its own variable store, next to its console log.
      const vars = join(h.stateDir, 'instances', onUefi, 'uefi-vars.fd');
      expect(existsSync(vars)).toBe(true);
      expect(existsSync(join(h.stateDir, 'instances', onBios, 'uefi-vars.fd'))).toBe(false);
      // The guests reached userspace: systemd, from the image's root file system, ran its marker unit.
      // The guests identify as EC2 (SMBIOS), so stock cloud-init's init-local (DHCP and a metadata
      // crawl, in Python under TCG) runs before sysinit.target, and the marker waits for it: two
      // such boots at once take minutes on 2 cores.
      for (const id of [onBios, onUefi] as string[]) {
        let out = '';
        await eventually(
          `${id} to reach userspace`,
          async () => (out = await console(id)).includes('kumo-debian: userspace reached'),
          { timeoutMs: 480_000, intervalMs: 3000 },
        ).catch((e: unknown) => {
          throw new Error(`${String(e)}; console:\n${out.slice(-3000)}`);
        });
      }
      expect(await console(onUefi)).toMatch(/UEFI|BdsDxe/);

      // Deregistered while its instance runs: hidden at once, its file kept for the instance.
      const del = await h.json('deregister-image', '--image-id', bios);
      expect(del.Return).toBe(true);
      expect((await h.kumo('describe-images', '--image-ids', bios)).stderr).toContain(
        'InvalidAMIID.NotFound',
      );
      expect(existsSync(join(storeDir(), bios, 'disk.qcow2'))).toBe(true);
      const relaunch = await h.kumo('run-instances', '--image-id', bios);
      expect(relaunch.stderr).toContain('InvalidAMIID.NotFound');

      await h.json('terminate-instances', '--instance-ids', onBios, onUefi);
      await eventually(
        'the deregistered image file to go with its last instance',
        () => !existsSync(join(storeDir(), bios)),
        {
          timeoutMs: 120_000,
        },
      );
      await eventually('the UEFI variable store to go at terminate', () => !existsSync(vars), {
        timeoutMs: 60_000,
      });
      // An image nothing uses is deleted at once.
      await h.json('deregister-image', '--image-id', uefi);
      expect(existsSync(join(storeDir(), uefi))).toBe(false);
    });
  },
  [...ALL_PREREQUISITES, 'firmware-image'],
);
