import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where the CLI keeps Node's compile cache: the user's own cache directory ($XDG_CACHE_HOME, else
 * ~/.cache), never a directory others can write to, since V8 runs the cached bytecode as it finds
 * it. NODE_COMPILE_CACHE, when set, is Node's own choice and wins (Node enables it first).
 */
export function compileCacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'kumo', 'node-compile-cache');
}

/**
 * Makes the cache directory one level at a time and says whether it is there. Node's own
 * recursive mkdir, which enableCompileCache runs on a missing directory, never returns on file
 * systems that answer ENOENT for a directory they cannot hold (/proc, /sys): the CLI must not
 * hang on a strange $XDG_CACHE_HOME, so it gives the cache up instead.
 */
export function makeCacheDir(dir: string): boolean {
  const parent = dirname(dir);
  try {
    mkdirSync(dir, { mode: 0o700 });
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return true;
    if (code !== 'ENOENT' || parent === dir) return false;
  }
  if (!makeCacheDir(parent)) return false;
  try {
    mkdirSync(dir, { mode: 0o700 });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EEXIST';
  }
}
