/**
 * Where the real market data used by tests lives: `/work/shared/data` beside the repository
 * (see its README.md for every file's source and licence). The one place that path is spelled.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Absolute path of the shared data folder. */
export const DATA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/data');

/** Absolute path of a file inside the shared data folder. */
export function dataPath(...parts: string[]): string {
  return path.join(DATA_DIR, ...parts);
}
