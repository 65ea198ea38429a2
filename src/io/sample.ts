/**
 * The bundled sample: real Binance USD-M captures shipped inside the package (see
 * `data/sample/README.md` for what they are and their attribution), so commands, examples and
 * notebooks run with no data of the user's own.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the bundled sample, found from this module in `src/io/` and in `dist/io/`; null if absent. */
export function sampleDir(): string | null {
  const dir = fileURLToPath(new URL('../../data/sample/', import.meta.url));
  return existsSync(dir) ? dir : null;
}

/**
 * Paths of the bundled sample captures (`btcusdt_20240808.gz`, `ethusdt_20240808.gz`), sorted.
 *
 * @example
 * for await (const kb of readCapture(samplePaths()[0])) …
 */
export function samplePaths(): string[] {
  const dir = sampleDir();
  if (!dir) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.gz'))
    .sort()
    .map((n) => join(dir, n));
}
