import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, expect, it } from 'vitest';
import { integrationSuite } from './harness/prerequisites.js';

/** The built `kumo` entry point as users run it (no kumod needed for --version). */
const KUMO = resolve(import.meta.dirname, '../../bin/kumo.js');

integrationSuite(
  'kumo CLI start-up',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-cli-start-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const kumo = (env: Record<string, string>) =>
      execa(process.execPath, [KUMO, '--version'], {
        env: { ...env, NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined },
        timeout: 30_000,
      });

    it('keeps its compiled modules in the user’s cache directory between runs', async () => {
      const cache = join(dir, 'xdg', 'kumo', 'node-compile-cache');
      expect(existsSync(cache)).toBe(false);
      expect((await kumo({ XDG_CACHE_HOME: join(dir, 'xdg') })).stdout).toMatch(/^\d+\.\d+\.\d+/);
      // One directory per Node version, holding a file per compiled module.
      expect(statSync(cache).mode & 0o777).toBe(0o700);
      const [perVersion] = readdirSync(cache);
      expect(readdirSync(join(cache, perVersion as string)).length).toBeGreaterThan(50);
      expect((await kumo({ XDG_CACHE_HOME: join(dir, 'xdg') })).exitCode).toBe(0);
    });

    it('runs without a cache where none can be made (a cache home under /proc, a home that cannot be)', async () => {
      // Node's own recursive mkdir never returns under /proc: the CLI must not try it.
      expect((await kumo({ XDG_CACHE_HOME: '/proc/kumo-none' })).exitCode).toBe(0);
      const file = join(dir, 'a-file');
      writeFileSync(file, '');
      const r = await kumo({ HOME: join(file, 'home'), XDG_CACHE_HOME: '' });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
    });
  },
  [],
);
