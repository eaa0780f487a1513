import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCacheDir, makeCacheDir } from '../../../src/cli/compile-cache.js';

describe('compileCacheDir', () => {
  it('is under $XDG_CACHE_HOME when it is an absolute path', () => {
    expect(compileCacheDir({ XDG_CACHE_HOME: '/home/u/.cache' })).toBe(
      '/home/u/.cache/kumo/node-compile-cache',
    );
  });

  it('is under ~/.cache otherwise (unset, empty or relative, as the XDG spec says)', () => {
    const fallback = `${homedir()}/.cache/kumo/node-compile-cache`;
    expect(compileCacheDir({})).toBe(fallback);
    expect(compileCacheDir({ XDG_CACHE_HOME: '' })).toBe(fallback);
    expect(compileCacheDir({ XDG_CACHE_HOME: 'cache' })).toBe(fallback);
  });
});

describe('makeCacheDir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-cc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes the missing levels, private to the user, and accepts one that exists', () => {
    const target = join(dir, 'a', 'kumo', 'node-compile-cache');
    expect(makeCacheDir(target)).toBe(true);
    expect(statSync(target).isDirectory()).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o700 & ~process.umask());
    expect(makeCacheDir(target)).toBe(true);
  });

  it('gives up, at once, where a directory cannot be made (a file in the way, /proc)', () => {
    writeFileSync(join(dir, 'file'), '');
    expect(makeCacheDir(join(dir, 'file', 'kumo'))).toBe(false);
    expect(makeCacheDir('/proc/kumo-no-such/kumo/node-compile-cache')).toBe(false);
  });
});
