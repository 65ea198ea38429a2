import { defineConfig } from 'tsup';

// The command line and the worker threads load their code on start. One file of the code each
// runs loads in about half the time of the packages' own module graphs (apache-arrow and zod are
// hundreds of files each): they are bundled in, all but the packages that load files beside
// their own (parquet-wasm its .wasm, better-sqlite3 its binding, ws its optional ones) and the
// optional peer danfojs.
const bundleAllBut = /^(?!(parquet-wasm|better-sqlite3|ws|danfojs)(\/|$))/;
// bundled CommonJS packages (yauzl, commander) call require
const requireShim = "import { createRequire as __ofiRequire } from 'node:module'; const require = __ofiRequire(import.meta.url);";
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
    noExternal: [bundleAllBut],
    esbuildOptions: mapsWithoutSources,
    banner: { js: `#!/usr/bin/env node\n${requireShim}` },
  },
  {
    // the worker threads of the sweep and of DataReader, loaded by path (new Worker(url)) from the bundles above: files of their own beside them
    entry: { 'runs/sweep-worker': 'src/runs/sweep-worker.ts', 'runs/read-worker': 'src/runs/read-worker.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    noExternal: [bundleAllBut],
    esbuildOptions: mapsWithoutSources,
    // each worker its own file, with only what it runs (no chunk of both)
    splitting: false,
    banner: { js: requireShim },
  },
]);
