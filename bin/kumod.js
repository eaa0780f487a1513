#!/usr/bin/env node
// kumod entry point: the compiled daemon lives in dist/ (npm run build).
import { main } from '../dist/daemon/main.js';

main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`kumod: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
