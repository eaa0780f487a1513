import { lstatSync, mkdirSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where the CLI keeps Node's compile cache: the user's own cache directory ($XDG_CACHE_HOME, else
 * ~/.cache). NODE_COMPILE_CACHE, when set, is Node's own choice and wins (Node enables it first).
 */
export function compileCacheDir(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'kumo', 'node-compile-cache');
}

/**
 * Makes the cache directory and says whether the CLI may use it. V8 runs cached bytecode as it
 * finds it, so the directory and its parent (kumo's own two levels) must be real directories of
 * this user that nobody else can write to; missing levels are made only inside directories this
 * user owns (root run with another user's $HOME leaves that home alone). One level at a time:
 * Node's own recursive mkdir, which enableCompileCache runs on a missing directory, never
 * returns under /proc or /sys, and the CLI must not hang on a strange $XDG_CACHE_HOME.
 */
export function makeCacheDir(dir: string, uid: number = process.geteuid?.() ?? -1): boolean {
  if (!makeLevel(dir, uid)) return false;
  return [dir, dirname(dir)].every((d) => isPrivateDir(lstatOrUndefined(d), uid));
}

/** Whether `dir` exists as a directory, made here if missing. */
function makeLevel(dir: string, uid: number): boolean {
  const existing = statOrUndefined(dir);
  if (existing) return existing.isDirectory();
  const parent = dirname(dir);
  if (parent === dir || !makeLevel(parent, uid)) return false;
  if (statOrUndefined(parent)?.uid !== uid) return false;
  try {
    mkdirSync(dir, { mode: 0o700 });
    return true;
  } catch (e) {
    // Another kumo made it in between.
    return (e as NodeJS.ErrnoException).code === 'EEXIST' && !!statOrUndefined(dir)?.isDirectory();
  }
}

const isPrivateDir = (st: Stats | undefined, uid: number): boolean =>
  !!st && st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
