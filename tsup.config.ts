import { defineConfig } from 'tsup';
import { BUNDLED, REQUIRE_SHIM } from './scripts/bundle.mjs';

// The command line and the worker threads load their code on start. One file of the code each
// runs loads in about half the time of the packages' own module graphs (apache-arrow and zod are
// hundreds of files each): they are bundled in (scripts/bundle.mjs says which stay outside).

// their source maps point into the sources without holding them (they would hold the packages')
const mapsWithoutSources = (o: { sourcesContent?: boolean }): void => {
  o.sourcesContent = false;
};

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
    noExternal: [BUNDLED],
    esbuildOptions: mapsWithoutSources,
    banner: { js: `#!/usr/bin/env node\n${REQUIRE_SHIM}` },
  },
  {
    // the worker threads of the sweep and of DataReader, loaded by path (new Worker(url)) from the bundles above: files of their own beside them
    entry: { 'runs/sweep-worker': 'src/runs/sweep-worker.ts', 'runs/read-worker': 'src/runs/read-worker.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    noExternal: [BUNDLED],
    esbuildOptions: mapsWithoutSources,
    // each worker its own file, with only what it runs (no chunk of both)
    splitting: false,
    banner: { js: REQUIRE_SHIM },
  },
]);
