#!/usr/bin/env node
// kumo entry point: the compiled CLI lives in dist/ (npm run build).
import { enableCompileCache } from 'node:module';
import { compileCacheDir, makeCacheDir } from '../dist/cli/compile-cache.js';

// Every `kumo` command is a new process that compiles the same few hundred modules: Node keeps
// their bytecode between runs (decision 0037). Imported after this, so they can use it.
try {
  const dir = compileCacheDir(process.env);
  if (makeCacheDir(dir)) enableCompileCache(dir);
} catch {
  // No home directory to cache in: the same CLI, started a little slower.
}
const { main } = await import('../dist/cli/main.js');

process.exitCode = await main(process.argv);
