import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', 'io/index': 'src/node.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    shims: true,
  },
  {
    entry: { 'cli/bin': 'src/cli/bin.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // the sweep's worker thread, loaded by path (new Worker(url)) from the bundles above: a file of its own beside them
    entry: { 'runs/sweep-worker': 'src/runs/sweep-worker.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
  },
]);
