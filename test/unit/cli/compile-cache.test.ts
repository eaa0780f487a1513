import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
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
  const uid = process.geteuid?.() ?? -1;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cacheIn = (base: string) => join(dir, base, 'kumo', 'node-compile-cache');

  it('makes the missing levels, private to the user, and accepts them once made', () => {
    const target = cacheIn('a');
    expect(makeCacheDir(target)).toBe(true);
    expect(statSync(target).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'a', 'kumo')).mode & 0o777).toBe(0o700);
    expect(makeCacheDir(target)).toBe(true);
  });

  it('refuses a cache others can write to, or one that is a symbolic link', () => {
    const open = cacheIn('b');
    expect(makeCacheDir(open)).toBe(true);
    chmodSync(open, 0o777);
    expect(makeCacheDir(open)).toBe(false);
    chmodSync(open, 0o700);
    chmodSync(join(dir, 'b', 'kumo'), 0o775);
    expect(makeCacheDir(open)).toBe(false);
    mkdirSync(join(dir, 'c', 'kumo'), { recursive: true, mode: 0o700 });
    mkdirSync(join(dir, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(dir, 'elsewhere'), cacheIn('c'));
    expect(makeCacheDir(cacheIn('c'))).toBe(false);
  });

  it('neither makes nor uses directories of another user', () => {
    // As if `dir` belonged to someone else: nothing is made in it.
    expect(makeCacheDir(cacheIn('d'), uid + 1)).toBe(false);
    expect(existsSync(join(dir, 'd'))).toBe(false);
    // Made by this user, so not the other one's: refused to them.
    expect(makeCacheDir(cacheIn('a'), uid + 1)).toBe(false);
  });

  it('gives up, at once, where a directory cannot be made (a file in the way, /proc)', () => {
    writeFileSync(join(dir, 'file'), '');
    expect(makeCacheDir(join(dir, 'file', 'kumo'))).toBe(false);
    expect(makeCacheDir('/proc/kumo-no-such/kumo/node-compile-cache')).toBe(false);
  });
});
