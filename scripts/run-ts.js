#!/usr/bin/env node
// Runs a TypeScript entry point the fast way: esbuild bundles it (with our lib/, without
// node_modules) into one CommonJS file in ~50 ms, then node runs it. ts-node type-checks
// on every synth and costs seconds; type checking belongs to `npm run typecheck`.
'use strict';
const path = require('node:path');
const { buildSync } = require('esbuild');

const entry = process.argv[2];
if (!entry) {
  console.error('usage: node scripts/run-ts.js <entry.ts> [args...]');
  process.exit(2);
}
const outfile = path.join(__dirname, '..', '.synth', `${path.basename(entry, '.ts')}.js`);
buildSync({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
process.argv.splice(1, 2, outfile);
require(outfile);
