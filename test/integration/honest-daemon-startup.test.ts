import { execa } from 'execa';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KumodHarness } from './harness/kumod-harness.js';
import { integrationSuite } from './harness/prerequisites.js';

/**
 * kumod refuses to start, with a message that names what is wrong, rather than run unsafely: no
 * QEMU as root because its unprivileged user is missing, no image whose manifest points outside
 * its directory. Each case starts a real kumod (in a throwaway namespace) and boots nothing.
 */
integrationSuite(
  'kumod refuses to start rather than run unsafely',
  () => {
    let scratch: string;
    // Made in beforeAll, not at collection: a skipped suite must leave nothing behind.
    beforeAll(() => {
      scratch = mkdtempSync(join(tmpdir(), 'kumo-honest-startup-'));
    });
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it('refuses to start when the QEMU user is missing, naming the user (no silent root)', async () => {
      const user = 'kumo-test-nonexistent';
      // The premise: that user really does not exist here.
      expect((await execa('getent', ['passwd', user], { reject: false })).exitCode).not.toBe(0);
      const r = await KumodHarness.startExpectingFailure(['--qemu-user', user]);
      expect(r.exitCode, r.output).not.toBe('still running');
      expect(r.exitCode, r.output).not.toBe(0);
      expect(r.output).toMatch(
        new RegExp(`kumod: the user ${user} that QEMU runs as does not exist`),
      );
    });

    it('refuses to start with an image whose manifest names a file outside its directory', async () => {
      const crafted = join(scratch, 'crafted-image');
      rmSync(crafted, { recursive: true, force: true });
      mkdirSync(crafted);
      // Every file is there: only the kernel field is wrong, so that is what must be refused.
      for (const f of ['vmlinuz', 'initrd.img', 'disk.qcow2']) writeFileSync(join(crafted, f), f);
      writeFileSync(
        join(crafted, 'manifest.json'),
        JSON.stringify({
          name: 'crafted',
          kernel: '../../../../../../etc/shadow',
          initrd: 'initrd.img',
          disk: 'disk.qcow2',
          recipeHash: 'crafted',
        }),
      );
      const r = await KumodHarness.startExpectingFailure(['--image-dir', crafted]);
      expect(r.exitCode, r.output).not.toBe('still running');
      expect(r.exitCode, r.output).not.toBe(0);
      expect(r.output).toContain('"kernel" must be the name of a file in the image directory');
      expect(r.output).toContain('../../../../../../etc/shadow');
    });
  },
  ['root', 'netns', 'qemu'],
);
