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
    // the worker threads of the sweep and of DataReader, loaded by path (new Worker(url)) from the bundles above: files of their own beside them
    entry: { 'runs/sweep-worker': 'src/runs/sweep-worker.ts', 'runs/read-worker': 'src/runs/read-worker.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
  },
]);
