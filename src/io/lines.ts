/**
 * Line-oriented reading of plain, gzip and zip-entry text, in bounded memory, with line
 * numbers. Every text reader (captures, dump CSVs, LOBSTER, JSONL) goes through here.
 *
 * Lines come in chunks (one array per block read), not one promise per line: an async
 * generator step costs far more than splitting a line, and captures have millions of lines.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { UserInputError } from '../core/errors.js';

/** A run of consecutive lines; `firstLine` is the 1-based number of `lines[0]`. */
export interface LineChunk {
  lines: string[];
  firstLine: number;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** True if the file starts with the gzip magic bytes (whatever its name). */
export async function isGzipFile(path: string): Promise<boolean> {
  const head = await readHead(path, 2);
  return head.length === 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1;
}

/** The first `n` bytes of a file (fewer if it is shorter). */
export async function readHead(path: string, n: number): Promise<Uint8Array> {
  const fh = await openForRead(path);
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Open a file for reading, turning "no such file" into a one-line error that names it. */
export async function openForRead(path: string): Promise<fsp.FileHandle> {
  try {
    return await fsp.open(path, 'r');
  } catch (err) {
    throw fileError(path, err);
  }
}

/** A user-facing error for a file that cannot be opened. */
export function fileError(path: string, err: unknown): UserInputError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new UserInputError(`${path}: no such file or directory`, 'E_NOENT');
  if (code === 'EISDIR') return new UserInputError(`${path}: is a directory`, 'E_ISDIR');
  if (code === 'EACCES') return new UserInputError(`${path}: permission denied`, 'E_ACCES');
  return new UserInputError(`${path}: ${(err as Error)?.message ?? String(err)}`);
}

/**
 * A byte stream of a file, gunzipped when it is gzip (told by its magic bytes, not its name).
 */
export async function openTextStream(path: string): Promise<Readable> {
  const gz = await isGzipFile(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  return gz ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
}

/**
 * Split a byte stream into line chunks. Handles `\n` and `\r\n`; a last line without a
 * newline is still a line; an empty trailing line is not.
 */
export async function* streamLineChunks(stream: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<LineChunk> {
  const decoder = new StringDecoder('utf8');
  // while every block so far was ASCII (market data almost always is), a block that is ASCII too
  // is read as Latin-1, which for ASCII bytes gives the same string at a twentieth of the cost
  // of UTF-8 decoding; after the first other block, the decoder reads the rest (it may hold the
  // start of a character split across blocks)
  let ascii = true;
  let carry = '';
  let lineNo = 1;
  for await (const chunk of stream) {
    let block: string;
    if (typeof chunk === 'string') block = chunk;
    else {
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (ascii && isAscii(b)) block = b.toString('latin1');
      else {
        ascii = false;
        block = decoder.write(b);
      }
    }
    // the block split alone, the line cut at its start joined after: a split of `carry + block`
    // would first copy the block into one new string (14× the cost of the split itself)
    const lines = block.split('\n');
    lines[0] = carry + lines[0]!;
    carry = lines.pop()!;
    if (lines.length === 0) continue;
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
    }
    yield { lines, firstLine: lineNo };
    lineNo += lines.length;
  }
  carry += decoder.end();
  if (carry.length > 0) {
    yield { lines: [carry.endsWith('\r') ? carry.slice(0, -1) : carry], firstLine: lineNo };
  }
}

/** Line chunks of a plain or gzip text file. */
export async function* readLineChunks(path: string): AsyncGenerator<LineChunk> {
  const stream = await openTextStream(path);
  try {
    yield* streamLineChunks(stream);
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code === 'Z_DATA_ERROR' || (err as NodeJS.ErrnoException)?.code === 'Z_BUF_ERROR') {
      throw new UserInputError(`${path}: corrupt gzip data (${(err as Error).message})`, 'E_GZIP');
    }
    throw err;
  } finally {
    stream.destroy();
  }
}
