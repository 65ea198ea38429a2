// NumPy's .npy format (version 1.0) for one-dimensional typed arrays: how a benchmark hands
// columns to a numpy/pandas baseline and reads its outputs back, with no parsing on either side
// (np.load reads it straight into an array).
// See https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

const DESCR = new Map([
  [Float64Array, '<f8'],
  [Float32Array, '<f4'],
  [Int32Array, '<i4'],
  [Int8Array, '|i1'],
  [Uint8Array, '|u1'],
]);
const TYPED = new Map([...DESCR].map(([t, d]) => [d, t]));

/** Write a 1-D typed array as a .npy file (little-endian, as every machine this runs on). */
export function writeNpy(path, array) {
  const descr = DESCR.get(array.constructor);
  if (!descr) throw new Error(`writeNpy: no .npy type for ${array.constructor.name}`);
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${array.length},), }`;
  // magic (6) + version (2) + length (2) + header + '\n', padded to a multiple of 64
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10 + header.length);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  head.write(header, 10, 'latin1');
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, Math.min(1 << 26, bytes.length - at));
  } finally {
    closeSync(fd);
  }
}

/** Read a 1-D .npy file of one of the types above into a typed array. */
export function readNpy(path) {
  const buf = readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const len = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + len);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const shape = /'shape':\s*\((\d*),?\)/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order`);
  const T = TYPED.get(descr === '<i1' ? '|i1' : descr === '<u1' ? '|u1' : descr);
  if (!T || shape === undefined) throw new Error(`${path}: unsupported header ${header.trim()}`);
  const n = Number(shape || 0);
  const body = buf.subarray(start + len, start + len + n * T.BYTES_PER_ELEMENT);
  const out = new T(n);
  new Uint8Array(out.buffer).set(body);
  return out;
}
