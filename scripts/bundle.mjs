// How the command line and the worker threads are bundled (tsup.config.ts builds dist/ with it,
// bench/sweep.mjs its own worker): every package bundled in but those that load files beside
// their own (parquet-wasm its .wasm, better-sqlite3 its binding, ws its optional ones) and the
// optional peer danfojs; bundled CommonJS packages (yauzl, commander) call `require`, which an
// ES module has not, hence the shim at the top of each bundle.

/** The packages left outside the bundles, loaded from node_modules. */
export const OUTSIDE = ['parquet-wasm', 'better-sqlite3', 'ws', 'danfojs'];

/** Every import but of the packages {@link OUTSIDE} (and their subpaths). */
export const BUNDLED = new RegExp(`^(?!(${OUTSIDE.join('|')})(/|$))`);

/** The first line of each bundle: a `require` for the CommonJS packages inside. */
export const REQUIRE_SHIM = "import { createRequire as __ofiRequire } from 'node:module'; const require = __ofiRequire(import.meta.url);";
