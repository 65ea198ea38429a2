/**
 * Row selection over Arrow record batches without an object per row: concatenate row ranges
 * of several batches (the one kernel behind `take`, `filter` and the merged output of a
 * dataset), find the symbol of each row by comparing UTF-8 bytes, and cut a batch by a time
 * window. Everything copies typed-array ranges; a single range is a zero-copy slice.
 *
 * Arrow JS slices lazily and unevenly: a sliced column's fixed-width values and its value
 * offsets are already cut to the slice (index them from 0), while validity bitmaps, boolean
 * bits and the bytes and children behind value offsets are not (index bits at `offset + i`).
 *
 * @see https://arrow.apache.org/docs/format/Columnar.html (buffers, offsets, validity bitmaps)
 */
import { makeData, RecordBatch, Struct, Type, type Data, type DataType, type Schema } from 'apache-arrow';
import type { EventKind } from '../core/events.js';
import { eventSchema } from '../core/schema.js';
import { f64Column } from '../core/batch.js';
export { symbolCodes } from '../core/columns.js';

/** Rows `[from, to)` of a batch. */
export interface RowRun {
  batch: RecordBatch;
  from: number;
  to: number;
}

/**
 * One batch holding the given row ranges in order, with the schema of the first batch
 * (all must have the same columns). One range of one batch is returned as a slice, no copy.
 */
export function concatRuns(runs: readonly RowRun[], schema: Schema = runs[0]!.batch.schema): RecordBatch {
  if (runs.length === 1) {
    const r = runs[0]!;
    return sliceBatch(r.batch, r.from, r.to, schema);
  }
  let n = 0;
  for (const r of runs) n += r.to - r.from;
  const children = schema.fields.map((_, i) => {
    const parts: DataRun[] = runs.map((r) => ({ data: r.batch.data.children[i]!, from: r.from, to: r.to }));
    return concatData(schema.fields[i]!.type, parts, n);
  });
  return recordBatchOf(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }));
}

/**
 * A record batch over struct data that matches the schema, made without Arrow JS's
 * constructor, which re-derives the schema and the data on every call (about 10 µs: more than
 * the rows of a short merge run cost to read). `schema` and `data` are the fields the
 * constructor itself sets; `_metadata` is the batch's own (empty) metadata.
 */
export function recordBatchOf(schema: Schema, data: Data<Struct>): RecordBatch {
  const b = Object.create(RecordBatch.prototype) as RecordBatch & { _metadata: Map<string, string> };
  (b as { schema: Schema }).schema = schema;
  (b as { data: Data<Struct> }).data = data;
  b._metadata = new Map();
  return b;
}

/** Rows `[from, to)` of a batch, zero-copy, under `schema` (default: its own). */
export function sliceBatch(batch: RecordBatch, from: number, to: number, schema: Schema = batch.schema): RecordBatch {
  if (from === 0 && to === batch.numRows) return batch.schema === schema ? batch : recordBatchOf(schema, batch.data);
  return recordBatchOf(schema, batch.data.slice(from, to - from));
}

/** The rows of `batch` at the (ascending) indices, as one batch. */
export function takeRows(batch: RecordBatch, indices: ArrayLike<number>): RecordBatch {
  const runs: RowRun[] = [];
  let i = 0;
  while (i < indices.length) {
    const from = indices[i]!;
    let to = from + 1;
    i++;
    while (i < indices.length && indices[i] === to) {
      to++;
      i++;
    }
    runs.push({ batch, from, to });
  }
  if (runs.length === 0) return sliceBatch(batch, 0, 0);
  return concatRuns(runs, batch.schema);
}

/** The same columns under another (equal-shaped) schema, e.g. to restore our field metadata. */
export function withSchema(batch: RecordBatch, schema: Schema): RecordBatch {
  if (batch.schema === schema) return batch;
  return recordBatchOf(schema, batch.data);
}

/**
 * True when a batch has exactly the columns of a kind, in order, with the same types (a
 * Parquet or IPC round trip keeps them; a projection does not). Structural: Arrow JS makes a
 * new `Schema` object for every batch it builds, so identity says nothing.
 */
export function hasKindColumns(kind: EventKind, batch: RecordBatch): boolean {
  const fields = batch.schema.fields;
  const target = eventSchema(kind).fields;
  if (fields.length !== target.length) return false;
  for (let i = 0; i < fields.length; i++) {
    const a = fields[i]!;
    const b = target[i]!;
    if (a.name !== b.name || !sameType(a.type, b.type)) return false;
  }
  return true;
}

/**
 * The batch under the kind's own schema (fields, nullability and kind metadata) when it has
 * the kind's columns, so batches from any source concatenate and compare; otherwise (a
 * projection) the batch as it is.
 */
export function normalizeBatch(kind: EventKind, batch: RecordBatch): RecordBatch {
  return hasKindColumns(kind, batch) ? withSchema(batch, eventSchema(kind)) : batch;
}

function sameType(a: DataType, b: DataType): boolean {
  if (a.typeId !== b.typeId) return false;
  if (a.typeId === Type.List) return sameType(a.children[0]!.type, b.children[0]!.type);
  return String(a) === String(b);
}

/**
 * The rows of a batch with `start <= ts < end` (either bound may be infinite). A batch whose
 * times all fall inside comes back unchanged; one contiguous range comes back as a slice.
 */
export function filterByTime(batch: RecordBatch, start: number, end: number): RecordBatch | null {
  if (start === -Infinity && end === Infinity) return batch;
  const ts = f64Column(batch, 'ts');
  const keep: number[] = [];
  let all = true;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!;
    if (t >= start && t < end) keep.push(i);
    else all = false;
  }
  if (all) return batch;
  if (keep.length === 0) return null;
  if (keep[keep.length - 1]! - keep[0]! === keep.length - 1) return sliceBatch(batch, keep[0]!, keep[0]! + keep.length);
  return takeRows(batch, keep);
}

// ---- column kernels -------------------------------------------------------------------

interface DataRun {
  data: Data;
  from: number;
  to: number;
}

function concatData(type: DataType, parts: readonly DataRun[], n: number): Data {
  const nullBitmap = concatValidity(parts, n);
  const nullCount = nullBitmap ? n - popcount(nullBitmap, n) : 0;
  switch (type.typeId) {
    case Type.Bool: {
      const bits = new Uint8Array((n + 7) >> 3);
      let at = 0;
      for (const p of parts) {
        copyBits(p.data.values as Uint8Array, p.data.offset + p.from, bits, at, p.to - p.from);
        at += p.to - p.from;
      }
      return makeData({ type: type as never, length: n, nullCount, nullBitmap, data: bits });
    }
    case Type.Utf8:
    case Type.Binary: {
      const offsets = new Int32Array(n + 1);
      let bytesLen = 0;
      for (const p of parts) {
        const o = p.data.valueOffsets as Int32Array;
        bytesLen += o[p.to]! - o[p.from]!;
      }
      const out = new Uint8Array(bytesLen);
      let row = 0;
      let pos = 0;
      for (const p of parts) {
        const o = p.data.valueOffsets as Int32Array;
        const base = o[p.from]!;
        const end = o[p.to]!;
        out.set((p.data.values as Uint8Array).subarray(base, end), pos);
        for (let i = p.from; i < p.to; i++) offsets[++row] = pos + o[i + 1]! - base;
        pos += end - base;
      }
      return makeData({ type: type as never, length: n, nullCount, nullBitmap, valueOffsets: offsets, data: out });
    }
    case Type.List: {
      const offsets = new Int32Array(n + 1);
      const childParts: DataRun[] = [];
      let childLen = 0;
      let row = 0;
      for (const p of parts) {
        const o = p.data.valueOffsets as Int32Array;
        const base = o[p.from]!;
        const end = o[p.to]!;
        for (let i = p.from; i < p.to; i++) offsets[++row] = childLen + o[i + 1]! - base;
        childParts.push({ data: p.data.children[0]!, from: base, to: end });
        childLen += end - base;
      }
      const child = concatData(type.children[0]!.type, childParts, childLen);
      return makeData({ type: type as never, length: n, nullCount, nullBitmap, valueOffsets: offsets, child });
    }
    default: {
      const first = parts[0]?.data;
      const values = first?.values as (ArrayLike<unknown> & { subarray(a: number, b: number): ArrayLike<number> }) | undefined;
      if (!first || !values || first.children.length > 0 || first.valueOffsets) {
        throw new Error(`cannot concatenate Arrow columns of type ${String(type)}`);
      }
      const stride = first.stride;
      const Ctor = values.constructor as new (n: number) => { set(src: ArrayLike<number>, at: number): void };
      const out = new Ctor(n * stride);
      let at = 0;
      for (const p of parts) {
        const v = p.data.values as typeof values;
        out.set(v.subarray(p.from * stride, p.to * stride), at * stride);
        at += p.to - p.from;
      }
      return makeData({ type: type as never, length: n, nullCount, nullBitmap, data: out as never });
    }
  }
}

function concatValidity(parts: readonly DataRun[], n: number): Uint8Array | undefined {
  if (!parts.some((p) => p.data.nullCount > 0)) return undefined;
  const bits = new Uint8Array((n + 7) >> 3);
  let at = 0;
  for (const p of parts) {
    const len = p.to - p.from;
    if (p.data.nullCount > 0 && p.data.nullBitmap) copyBits(p.data.nullBitmap, p.data.offset + p.from, bits, at, len);
    else for (let i = 0; i < len; i++) bits[(at + i) >> 3]! |= 1 << ((at + i) & 7);
    at += len;
  }
  return bits;
}

function copyBits(src: Uint8Array, srcAt: number, dst: Uint8Array, dstAt: number, len: number): void {
  for (let i = 0; i < len; i++) {
    const s = srcAt + i;
    if ((src[s >> 3]! >> (s & 7)) & 1) {
      const d = dstAt + i;
      dst[d >> 3]! |= 1 << (d & 7);
    }
  }
}

function popcount(bits: Uint8Array, n: number): number {
  let c = 0;
  for (let i = 0; i < n; i++) c += (bits[i >> 3]! >> (i & 7)) & 1;
  return c;
}
