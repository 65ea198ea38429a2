/**
 * Typed views of the columns of an event batch, for the data-quality gate's kernels: the
 * gate reads every row of every batch, so it reads `Float64Array`s, the `Int8` side, the
 * packed `Bool` bitmap and the offsets and values of `List<Float64>` columns directly, and
 * decodes a symbol only when it changes.
 *
 * @see https://arrow.apache.org/docs/format/Columnar.html (validity-free fixed, bool, list and utf8 layouts)
 */
import type { RecordBatch } from 'apache-arrow';
import { f64Column, sideColumn } from '../core/batch.js';

/** A `List<Float64>` column: row `r` holds `values[offsets[r]] … values[offsets[r + 1] - 1]`. */
export interface ListView {
  offsets: Int32Array;
  values: Float64Array;
}

/** A packed boolean column. */
export interface BoolView {
  bits: Uint8Array;
  offset: number;
}

/** A Utf8 column as offsets into bytes. */
export interface Utf8View {
  offsets: Int32Array;
  bytes: Uint8Array;
}

/** The columns of a quote batch the gate reads. */
export interface QuoteCols {
  ts: Float64Array;
  recvTs: Float64Array;
  bidPrice: Float64Array;
  bidQty: Float64Array;
  askPrice: Float64Array;
  askQty: Float64Array;
  updateId: Float64Array;
}

/** The columns of a trade batch the gate reads. */
export interface TradeCols {
  ts: Float64Array;
  recvTs: Float64Array;
  price: Float64Array;
  qty: Float64Array;
  side: Int8Array;
  id: Float64Array;
  firstId: Float64Array;
  lastId: Float64Array;
}

/** The columns of a depth batch the gate reads. */
export interface DepthCols {
  ts: Float64Array;
  recvTs: Float64Array;
  isSnapshot: BoolView;
  firstUpdateId: Float64Array;
  lastUpdateId: Float64Array;
  prevUpdateId: Float64Array;
  bidPrices: ListView;
  bidQtys: ListView;
  askPrices: ListView;
  askQtys: ListView;
}

/** The columns of a mark-price batch the gate reads. */
export interface MarkCols {
  ts: Float64Array;
  recvTs: Float64Array;
  markPrice: Float64Array;
  indexPrice: Float64Array;
  fundingRate: Float64Array;
  nextFundingTime: Float64Array;
}

// A record batch holds exactly one Data per column. When Arrow JS slices Data it slices the
// offsets of variable-width columns and the values of fixed-width ones, but not a Bool bitmap:
// `offset` then applies to the bitmap only (see apache-arrow `Data._sliceBuffers`).
function child(batch: RecordBatch, name: string) {
  const v = batch.getChild(name);
  if (!v) throw new Error(`batch lacks column "${name}"`);
  return v.data[0]!;
}

/** A `List<Float64>` column of a batch, without copying. */
export function listView(batch: RecordBatch, name: string): ListView {
  const d = child(batch, name);
  const item = d.children[0]!;
  return {
    offsets: (d.valueOffsets as Int32Array).subarray(0, d.length + 1),
    values: item.values as Float64Array,
  };
}

/** A `Bool` column of a batch, without copying. */
export function boolView(batch: RecordBatch, name: string): BoolView {
  const d = child(batch, name);
  return { bits: d.values as Uint8Array, offset: d.offset };
}

/** The value of row `r` of a boolean column. */
export function boolAt(v: BoolView, r: number): boolean {
  const i = v.offset + r;
  return ((v.bits[i >> 3]! >> (i & 7)) & 1) === 1;
}

/** A `Utf8` column of a batch, without copying. */
export function utf8View(batch: RecordBatch, name: string): Utf8View {
  const d = child(batch, name);
  return { offsets: (d.valueOffsets as Int32Array).subarray(0, d.length + 1), bytes: d.values as Uint8Array };
}

/** Views of a quote batch's columns (no copies). */
export function quoteCols(b: RecordBatch): QuoteCols {
  return {
    ts: f64Column(b, 'ts'),
    recvTs: f64Column(b, 'recvTs'),
    bidPrice: f64Column(b, 'bidPrice'),
    bidQty: f64Column(b, 'bidQty'),
    askPrice: f64Column(b, 'askPrice'),
    askQty: f64Column(b, 'askQty'),
    updateId: f64Column(b, 'updateId'),
  };
}

/** Views of a trade batch's columns (no copies). */
export function tradeCols(b: RecordBatch): TradeCols {
  return {
    ts: f64Column(b, 'ts'),
    recvTs: f64Column(b, 'recvTs'),
    price: f64Column(b, 'price'),
    qty: f64Column(b, 'qty'),
    side: sideColumn(b),
    id: f64Column(b, 'id'),
    firstId: f64Column(b, 'firstId'),
    lastId: f64Column(b, 'lastId'),
  };
}

/** Views of a depth batch's columns (no copies). */
export function depthCols(b: RecordBatch): DepthCols {
  return {
    ts: f64Column(b, 'ts'),
    recvTs: f64Column(b, 'recvTs'),
    isSnapshot: boolView(b, 'isSnapshot'),
    firstUpdateId: f64Column(b, 'firstUpdateId'),
    lastUpdateId: f64Column(b, 'lastUpdateId'),
    prevUpdateId: f64Column(b, 'prevUpdateId'),
    bidPrices: listView(b, 'bidPrices'),
    bidQtys: listView(b, 'bidQtys'),
    askPrices: listView(b, 'askPrices'),
    askQtys: listView(b, 'askQtys'),
  };
}

/** Views of a mark-price batch's columns (no copies). */
export function markCols(b: RecordBatch): MarkCols {
  return {
    ts: f64Column(b, 'ts'),
    recvTs: f64Column(b, 'recvTs'),
    markPrice: f64Column(b, 'markPrice'),
    indexPrice: f64Column(b, 'indexPrice'),
    fundingRate: f64Column(b, 'fundingRate'),
    nextFundingTime: f64Column(b, 'nextFundingTime'),
  };
}

/** Equal, with NaN equal to NaN (a missing value repeated is still the same value). */
export function same(a: number, b: number): boolean {
  return a === b || (a !== a && b !== b);
}

/** Row `r` of list `a` equals row `s` of list `b`. */
export function sameList(a: ListView, r: number, b: ListView, s: number): boolean {
  const a0 = a.offsets[r]!;
  const n = a.offsets[r + 1]! - a0;
  const b0 = b.offsets[s]!;
  if (b.offsets[s + 1]! - b0 !== n) return false;
  for (let i = 0; i < n; i++) if (!same(a.values[a0 + i]!, b.values[b0 + i]!)) return false;
  return true;
}

/** Bytes `[a0, a1)` of `a` equal bytes `[b0, b1)` of `b`. */
export function sameBytes(a: Uint8Array, a0: number, a1: number, b: Uint8Array, b0: number, b1: number): boolean {
  if (a1 - a0 !== b1 - b0) return false;
  for (let i = 0; i < a1 - a0; i++) if (a[a0 + i] !== b[b0 + i]) return false;
  return true;
}
