/**
 * Where a worker thread's module is. tsup builds each worker entry (`runs/sweep-worker.js`,
 * `runs/read-worker.js`) as a file of its own beside the bundles that start it, since
 * `new Worker(url)` loads a file by path. The module is looked for beside the running bundle
 * (`dist/`, `dist/runs/`, `dist/cli/`) and, when the code runs from `src/` (tests), in `dist/`.
 *
 * @see https://nodejs.org/api/worker_threads.html#new-workerfilename-options
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserInputError } from '../core/errors.js';

/** The URL of worker module `name` (`'sweep-worker'`, `'read-worker'`); throws naming where it looked when it is not built. */
export function bundledWorkerUrl(name: string): URL {
  const u = findWorkerUrl(name);
  if (u) return u;
  const here = import.meta.url;
  throw new UserInputError(`the worker module runs/${name}.js is not beside ${fileURLToPath(here)} nor in dist/: build the package first (npx tsup)`, 'E_BUILD');
}

/**
 * The URL of worker module `name`, or null when it is not there (an application that bundled
 * the library into a file of its own leaves the worker modules behind: a caller that can do
 * without the worker then works on its own thread).
 */
export function findWorkerUrl(name: string): URL | null {
  const here = import.meta.url;
  for (const c of [`./${name}.js`, `./runs/${name}.js`, `../runs/${name}.js`, `../../dist/runs/${name}.js`]) {
    const u = new URL(c, here);
    if (u.protocol === 'file:' && existsSync(fileURLToPath(u))) return u;
  }
  return null;
}
