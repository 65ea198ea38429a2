/**
 * Streaming access to `.zip` entries, as Binance (one CSV per archive) and LOBSTER (message
 * and order-book files side by side) distribute their data. Entries are inflated as streams,
 * never whole, and several entries of one archive can be read at once (LOBSTER's two files
 * are read in lockstep).
 *
 * yauzl reads the central directory with random access, which is what lockstep reading needs.
 * @see https://github.com/thejoshwolfe/yauzl
 */
import yauzl from 'yauzl';
import type { Readable } from 'node:stream';
import { UserInputError } from '../core/errors.js';
import { streamLineChunks, type LineChunk } from './lines.js';

/** An entry of a zip archive. */
export interface ZipEntryInfo {
  name: string;
  size: number;
  compressedSize: number;
}

/** An open archive; `close()` when done. */
export interface ZipArchive {
  path: string;
  entries: ZipEntryInfo[];
  open(name: string): Promise<Readable>;
  close(): void;
}

/** Open a zip archive and list its file entries (directories are skipped). */
export function openZip(path: string): Promise<ZipArchive> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err || !zip) {
        const code = (err as NodeJS.ErrnoException)?.code;
        reject(
          code === 'ENOENT'
            ? new UserInputError(`${path}: no such file or directory`, 'E_NOENT')
            : new UserInputError(`${path}: not a readable zip archive (${err?.message ?? 'unknown error'})`, 'E_ZIP'),
        );
        return;
      }
      const byName = new Map<string, yauzl.Entry>();
      const entries: ZipEntryInfo[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        if (!entry.fileName.endsWith('/')) {
          byName.set(entry.fileName, entry);
          entries.push({ name: entry.fileName, size: entry.uncompressedSize, compressedSize: entry.compressedSize });
        }
        zip.readEntry();
      });
      zip.on('error', (e: Error) => reject(new UserInputError(`${path}: corrupt zip archive (${e.message})`, 'E_ZIP')));
      zip.on('end', () =>
        resolve({
          path,
          entries,
          open: (name) =>
            new Promise<Readable>((res, rej) => {
              const entry = byName.get(name);
              if (!entry) {
                rej(new UserInputError(`${path}: no entry named ${name}`, 'E_ZIP'));
                return;
              }
              zip.openReadStream(entry, (e, stream) => (e || !stream ? rej(new UserInputError(`${path}:${name}: ${e?.message}`, 'E_ZIP')) : res(stream)));
            }),
          close: () => zip.close(),
        }),
      );
      zip.readEntry();
    });
  });
}

/** Line chunks of one entry of an open archive. */
export async function* zipEntryLineChunks(zip: ZipArchive, name: string): AsyncGenerator<LineChunk> {
  const stream = await zip.open(name);
  try {
    yield* streamLineChunks(stream);
  } finally {
    stream.destroy();
  }
}
