/**
 * The typed columns of each event kind as the backtest reads them: one set of typed arrays per
 * kind, rows addressed by index, the same shape whether the set is a view on one Arrow record
 * batch (no copy) or a table the merged stream was gathered into. A hot loop reads
 * `cols.bidPrice[row]` and never touches an object per event.
 *
 * The quote and trade sets satisfy the calculators' `QuoteColumns` and `TradeColumns`
 * (`core/columns.ts`), so the columnar fusion reads them as they are.
 *
 * Arrow JS slices lazily and unevenly (see `io/batch-ops.ts`): fixed-width values and value
 * offsets of a sliced column are cut to the slice, boolean bits and the children behind offsets
 * are not, so list offsets index their values as they stand and bits are read at `offset + i`.
 *
 * @see https://arrow.apache.org/docs/format/Columnar.html
 */
import type { RecordBatch } from 'apache-arrow';
import { f64Column, sideColumn } from '../../core/batch.js';
import { marketMask } from '../../core/columns.js';
import { EVENT_KINDS, type EventKind } from '../../core/events.js';
import { symbolCodes } from '../../core/columns.js';

/** Kind codes of the merged stream: the index in `EVENT_KINDS`, which is also the tie order. */
export const DEPTH = 0;
export const QUOTE = 1;
export const TRADE = 2;
export const MARK = 3;
/** The kind of a code, and the code of a kind. */
export const KIND_NAMES: readonly EventKind[] = EVENT_KINDS;
export const KIND_CODE: Readonly<Record<EventKind, number>> = { depth: DEPTH, quote: QUOTE, trade: TRADE, mark: MARK };

/** A `List<Float64>` column: row i's values are `values[offsets[i]] … values[offsets[i + 1] − 1]`. */
export interface ListColumn {
  offsets: Int32Array;
  values: Float64Array;
}

/** Best bid/ask rows. */
export interface QuoteColumnSet {
  length: number;
  ts: Float64Array;
  recvTs: Float64Array;
  bidPrice: Float64Array;
  bidQty: Float64Array;
  askPrice: Float64Array;
  askQty: Float64Array;
  updateId: Float64Array;
}

/** Trade rows. `side` +1 aggressor bought, −1 sold; `market` 1 for a `MARKET` print; `print` the print kind's code in the table's `printKinds`. */
export interface TradeColumnSet {
  length: number;
  ts: Float64Array;
  recvTs: Float64Array;
  price: Float64Array;
  qty: Float64Array;
  id: Float64Array;
  firstId: Float64Array;
  lastId: Float64Array;
  side: Int8Array;
  market: Uint8Array;
  print: Uint8Array;
}

/** Depth rows (diffs and snapshots); `isSnapshot` 1 for a snapshot. */
export interface DepthColumnSet {
  length: number;
  ts: Float64Array;
  recvTs: Float64Array;
  firstUpdateId: Float64Array;
  lastUpdateId: Float64Array;
  prevUpdateId: Float64Array;
  isSnapshot: Uint8Array;
  bidPrices: ListColumn;
  bidQtys: ListColumn;
  askPrices: ListColumn;
  askQtys: ListColumn;
}

/** Mark price rows. */
export interface MarkColumnSet {
  length: number;
  ts: Float64Array;
  recvTs: Float64Array;
  markPrice: Float64Array;
  indexPrice: Float64Array;
  fundingRate: Float64Array;
  nextFundingTime: Float64Array;
}

/** The four column sets, indexed by kind code. */
export type AnyColumnSet = QuoteColumnSet | TradeColumnSet | DepthColumnSet | MarkColumnSet;

/** Names of the fixed-width columns of each kind, by element type (the copy loops walk these). */
export const F64_FIELDS: readonly (readonly string[])[] = [
  ['ts', 'recvTs', 'firstUpdateId', 'lastUpdateId', 'prevUpdateId'],
  ['ts', 'recvTs', 'bidPrice', 'bidQty', 'askPrice', 'askQty', 'updateId'],
  ['ts', 'recvTs', 'price', 'qty', 'id', 'firstId', 'lastId'],
  ['ts', 'recvTs', 'markPrice', 'indexPrice', 'fundingRate', 'nextFundingTime'],
];
export const I8_FIELDS: readonly (readonly string[])[] = [[], [], ['side'], []];
export const U8_FIELDS: readonly (readonly string[])[] = [['isSnapshot'], [], ['market', 'print'], []];
export const LIST_FIELDS: readonly (readonly string[])[] = [['bidPrices', 'bidQtys', 'askPrices', 'askQtys'], [], [], []];

/** Strings coded in order of first appearance (symbols, print kinds), codes stable for a stream's life. */
export class Dictionary {
  readonly names: string[] = [];
  private readonly index = new Map<string, number>();

  constructor(
    names: readonly string[] = [],
    readonly max = 0xffff,
  ) {
    for (const n of names) this.code(n);
  }

  code(name: string): number {
    let c = this.index.get(name);
    if (c === undefined) {
      c = this.names.length;
      if (c > this.max) throw new RangeError(`more than ${this.max + 1} distinct values (at ${JSON.stringify(name)})`);
      this.names.push(name);
      this.index.set(name, c);
    }
    return c;
  }
}

/** The column set of one record batch (views, no copy) and its rows' symbol codes. */
export interface BatchColumns {
  kind: number;
  cols: AnyColumnSet;
  /** Global symbol code of each row. */
  sym: Uint16Array;
  /** The same columns by element type, in the order of `F64_FIELDS` etc. (copy loops index these: no lookup by name per run). */
  f64: Float64Array[];
  i8: Int8Array[];
  u8: Uint8Array[];
  lists: ListColumn[];
  /** Row of the batch's first row in gathered kind columns (set by a reader that gathers batches whole). */
  rowBase?: number;
}

function u8Bits(batch: RecordBatch, name: string): Uint8Array {
  const v = batch.getChild(name);
  if (!v) throw new Error(`batch lacks column "${name}"`);
  const n = batch.numRows;
  const out = new Uint8Array(n);
  const d = v.data[0]!;
  const bits = d.values as Uint8Array;
  for (let i = 0; i < n; i++) {
    const b = d.offset + i;
    out[i] = (bits[b >> 3]! >> (b & 7)) & 1;
  }
  return out;
}

function listColumn(batch: RecordBatch, name: string): ListColumn {
  const v = batch.getChild(name);
  if (!v) throw new Error(`batch lacks column "${name}"`);
  const d = v.data[0]!;
  return { offsets: d.valueOffsets as Int32Array, values: d.children[0]!.values as Float64Array };
}

/**
 * The sizes list `qtys` laid out at the offsets of its prices list, so a row's levels are one
 * range of both (what `EventView.depthLevels` hands the simulator). As written by the readers the
 * two already line up and `qtys` comes back as it is; a source whose row lists a different number
 * of sizes than prices gets NaN for each missing size, and sizes beyond its prices are dropped
 * (the book reads as many sizes as prices).
 */
export function levelsAlignedTo(prices: ListColumn, qtys: ListColumn, rows: number): ListColumn {
  const po = prices.offsets;
  const qo = qtys.offsets;
  let same = true;
  for (let r = 0; r <= rows && same; r++) same = po[r] === qo[r];
  if (same) return qtys;
  const values = new Float64Array(prices.values.length).fill(NaN);
  for (let r = 0; r < rows; r++) {
    const n = Math.min(po[r + 1]! - po[r]!, qo[r + 1]! - qo[r]!);
    values.set(qtys.values.subarray(qo[r]!, qo[r]! + n), po[r]!);
  }
  return { offsets: po, values };
}

/** Codes of a Utf8 column in a dictionary, one per row (one decode per distinct run, not per row). */
function codesOf(batch: RecordBatch, column: string, dict: Dictionary, out: Uint8Array | Uint16Array): void {
  const { names, codes } = symbolCodes(batch, column);
  if (names.length === 1) {
    out.fill(dict.code(names[0]!));
    return;
  }
  const map = names.map((n) => dict.code(n));
  for (let i = 0; i < codes.length; i++) out[i] = map[codes[i]!]!;
}

/**
 * Typed views of one batch of `kind` in the kinds' column-set shape. Symbols and print kinds are
 * coded in the stream's dictionaries; a batch without a symbol column is refused.
 */
export function batchColumns(kind: EventKind, batch: RecordBatch, symbols: Dictionary, prints: Dictionary): BatchColumns {
  const n = batch.numRows;
  const sym = new Uint16Array(n);
  codesOf(batch, 'symbol', symbols, sym);
  const f = (name: string) => f64Column(batch, name);
  const base = { length: n, ts: f('ts'), recvTs: f('recvTs') };
  let cols: AnyColumnSet;
  switch (kind) {
    case 'quote':
      cols = { ...base, bidPrice: f('bidPrice'), bidQty: f('bidQty'), askPrice: f('askPrice'), askQty: f('askQty'), updateId: f('updateId') };
      break;
    case 'trade': {
      const print = new Uint8Array(n);
      codesOf(batch, 'printKind', prints, print);
      cols = { ...base, price: f('price'), qty: f('qty'), id: f('id'), firstId: f('firstId'), lastId: f('lastId'), side: sideColumn(batch), market: marketMask(batch), print };
      break;
    }
    case 'depth': {
      const bidPrices = listColumn(batch, 'bidPrices');
      const askPrices = listColumn(batch, 'askPrices');
      cols = {
        ...base,
        firstUpdateId: f('firstUpdateId'),
        lastUpdateId: f('lastUpdateId'),
        prevUpdateId: f('prevUpdateId'),
        isSnapshot: u8Bits(batch, 'isSnapshot'),
        bidPrices,
        bidQtys: levelsAlignedTo(bidPrices, listColumn(batch, 'bidQtys'), n),
        askPrices,
        askQtys: levelsAlignedTo(askPrices, listColumn(batch, 'askQtys'), n),
      };
      break;
    }
    case 'mark':
      cols = { ...base, markPrice: f('markPrice'), indexPrice: f('indexPrice'), fundingRate: f('fundingRate'), nextFundingTime: f('nextFundingTime') };
      break;
  }
  const k = KIND_CODE[kind];
  const named = cols as unknown as Record<string, unknown>;
  return {
    kind: k,
    cols,
    sym,
    f64: F64_FIELDS[k]!.map((x) => named[x] as Float64Array),
    i8: I8_FIELDS[k]!.map((x) => named[x] as Int8Array),
    u8: U8_FIELDS[k]!.map((x) => named[x] as Uint8Array),
    lists: LIST_FIELDS[k]!.map((x) => named[x] as ListColumn),
  };
}

/** Where typed arrays live: ordinary memory, or `SharedArrayBuffer`s that worker threads read without a copy. */
export type BufferAlloc = (bytes: number) => ArrayBuffer | SharedArrayBuffer;

/** Plain allocation. */
export const heapAlloc: BufferAlloc = (bytes) => new ArrayBuffer(bytes);
/** Allocation on `SharedArrayBuffer`s (issue a table once, read it from every worker). */
export const sharedAlloc: BufferAlloc = (bytes) => new SharedArrayBuffer(bytes);

type TypedCtor<T> = { new (buffer: ArrayBufferLike): T; BYTES_PER_ELEMENT: number };

/** A zeroed typed array of `n` elements from `alloc`. */
export function typed<T>(C: TypedCtor<T>, n: number, alloc: BufferAlloc = heapAlloc): T {
  return new C(alloc(n * C.BYTES_PER_ELEMENT));
}

/** An empty column set of a kind with room for `n` rows (lists: `levels` values each). */
export function emptyColumnSet(kind: number, n: number, alloc: BufferAlloc = heapAlloc, levels = 0): AnyColumnSet {
  const set: Record<string, unknown> = { length: 0 };
  for (const name of F64_FIELDS[kind]!) set[name] = typed(Float64Array, n, alloc);
  for (const name of I8_FIELDS[kind]!) set[name] = typed(Int8Array, n, alloc);
  for (const name of U8_FIELDS[kind]!) set[name] = typed(Uint8Array, n, alloc);
  for (const name of LIST_FIELDS[kind]!) set[name] = { offsets: typed(Int32Array, n + 1, alloc), values: typed(Float64Array, levels, alloc) };
  return set as unknown as AnyColumnSet;
}
