/**
 * Gathers runs of rows, in merged order, into an {@link EventTable}: each run is rows
 * `[from, to)` of one batch's columns, copied with typed-array `set` (a loop for short runs, so
 * a merge that alternates every few rows allocates no subarray per run), and the merged-order
 * arrays get the run's kind, symbols, times and new row numbers. Arrays grow by doubling, from
 * ordinary or shared memory.
 *
 * The copy loops read a kind's columns from arrays by element type (`BatchColumns.f64` …), one
 * copy function per element type: a merge of quotes and trades alternates every few rows, and
 * a lookup by column name or a copy loop shared by five array types per run would cost more
 * than the rows themselves.
 */
import { DEPTH, F64_FIELDS, heapAlloc, I8_FIELDS, LIST_FIELDS, typed, U8_FIELDS, type BatchColumns, type BufferAlloc, type ListColumn } from './columns.js';
import type { AnyColumnSet, DepthColumnSet, MarkColumnSet, QuoteColumnSet, TradeColumnSet } from './columns.js';
import { EventTable } from './event-table.js';

/** Runs shorter than this are copied element by element (a subarray per run would cost more). */
const SHORT = 24;

function copyF64(dst: Float64Array, at: number, src: Float64Array, from: number, n: number): void {
  if (n < SHORT) for (let j = 0; j < n; j++) dst[at + j] = src[from + j]!;
  else dst.set(src.subarray(from, from + n), at);
}
function copyU8(dst: Uint8Array, at: number, src: Uint8Array, from: number, n: number): void {
  if (n < SHORT) for (let j = 0; j < n; j++) dst[at + j] = src[from + j]!;
  else dst.set(src.subarray(from, from + n), at);
}
function copyI8(dst: Int8Array, at: number, src: Int8Array, from: number, n: number): void {
  if (n < SHORT) for (let j = 0; j < n; j++) dst[at + j] = src[from + j]!;
  else dst.set(src.subarray(from, from + n), at);
}
function copyU16(dst: Uint16Array, at: number, src: Uint16Array, from: number, n: number): void {
  if (n < SHORT) for (let j = 0; j < n; j++) dst[at + j] = src[from + j]!;
  else dst.set(src.subarray(from, from + n), at);
}

/** One kind's growing columns, by element type in the order of `F64_FIELDS` etc. */
export class KindColumns {
  n = 0;
  f64: Float64Array[];
  i8: Int8Array[];
  u8: Uint8Array[];
  lists: ListColumn[];

  constructor(
    readonly kind: number,
    public cap: number,
    private readonly alloc: BufferAlloc = heapAlloc,
    values = kind === DEPTH ? 4096 : 0,
  ) {
    this.f64 = F64_FIELDS[kind]!.map(() => typed(Float64Array, cap, alloc));
    this.i8 = I8_FIELDS[kind]!.map(() => typed(Int8Array, cap, alloc));
    this.u8 = U8_FIELDS[kind]!.map(() => typed(Uint8Array, cap, alloc));
    this.lists = LIST_FIELDS[kind]!.map(() => ({ offsets: typed(Int32Array, cap + 1, alloc), values: typed(Float64Array, values, alloc) }));
  }

  /** Level values held by the longest list column (0 for a kind without lists). */
  get values(): number {
    let v = 0;
    for (const l of this.lists) v = Math.max(v, l.offsets[this.n]!);
    return v;
  }

  grow(need: number, exact = false): void {
    let c = this.cap * 2;
    while (c < need) c *= 2;
    if (exact) c = need;
    const n = this.n;
    const a = this.alloc;
    this.f64 = this.f64.map((x) => regrow(x, typed(Float64Array, c, a), n));
    this.i8 = this.i8.map((x) => regrow(x, typed(Int8Array, c, a), n));
    this.u8 = this.u8.map((x) => regrow(x, typed(Uint8Array, c, a), n));
    for (const l of this.lists) l.offsets = regrow(l.offsets, typed(Int32Array, c + 1, a), n + 1);
    this.cap = c;
  }

  /** Append rows `[from, from + n)` of a batch's columns of this kind. */
  append(b: BatchColumns, from: number, n: number): void {
    const r0 = this.n;
    if (r0 + n > this.cap) this.grow(r0 + n);
    const f64 = this.f64;
    for (let c = 0; c < f64.length; c++) copyF64(f64[c]!, r0, b.f64[c]!, from, n);
    const i8 = this.i8;
    for (let c = 0; c < i8.length; c++) copyI8(i8[c]!, r0, b.i8[c]!, from, n);
    const u8 = this.u8;
    for (let c = 0; c < u8.length; c++) copyU8(u8[c]!, r0, b.u8[c]!, from, n);
    const lists = this.lists;
    for (let c = 0; c < lists.length; c++) this.appendList(lists[c]!, r0, b.lists[c]!, from, n);
    this.n = r0 + n;
  }

  private appendList(dst: ListColumn, r0: number, src: ListColumn, from: number, n: number): void {
    const so = src.offsets;
    const a = so[from]!;
    const z = so[from + n]!;
    const base = dst.offsets[r0]!;
    if (base + (z - a) > dst.values.length) {
      let c = Math.max(1024, dst.values.length * 2);
      while (c < base + (z - a)) c *= 2;
      dst.values = regrow(dst.values, typed(Float64Array, c, this.alloc), base);
    }
    copyF64(dst.values, base, src.values, a, z - a);
    const d = dst.offsets;
    const shift = base - a;
    for (let j = 1; j <= n; j++) d[r0 + j] = so[from + j]! + shift;
  }

  /** Room for `rows` more rows and `values` more level values per list. */
  reserve(rows: number, values: number): void {
    if (this.n + rows > this.cap) this.grow(this.n + rows, true);
    for (const l of this.lists) {
      const base = l.offsets[this.n]!;
      if (base + values > l.values.length) l.values = regrow(l.values, typed(Float64Array, base + values, this.alloc), base);
    }
  }

  /** The named column set over views of exactly the rows appended. */
  set(): AnyColumnSet {
    const n = this.n;
    const out: Record<string, unknown> = { length: n };
    F64_FIELDS[this.kind]!.forEach((f, j) => (out[f] = this.f64[j]!.subarray(0, n)));
    I8_FIELDS[this.kind]!.forEach((f, j) => (out[f] = this.i8[j]!.subarray(0, n)));
    U8_FIELDS[this.kind]!.forEach((f, j) => (out[f] = this.u8[j]!.subarray(0, n)));
    LIST_FIELDS[this.kind]!.forEach((f, j) => {
      const l = this.lists[j]!;
      out[f] = { offsets: l.offsets.subarray(0, n + 1), values: l.values.subarray(0, l.offsets[n]!) };
    });
    return out as unknown as AnyColumnSet;
  }
}

function regrow<T extends Float64Array | Int32Array | Int8Array | Uint8Array | Uint16Array>(a: T, next: T, used: number): T {
  next.set(a.subarray(0, used) as never);
  return next;
}

/** Options of {@link EventTableBuilder}. */
export interface BuilderOptions {
  /** Events at most (a streaming chunk); default unbounded. */
  capacity?: number;
  /** Initial room, events (default 4,096). */
  initial?: number;
  /** Allocate on `SharedArrayBuffer`s. */
  shared?: boolean;
  /**
   * Room to start with per kind, e.g. what the stream's previous chunk held
   * ({@link EventTableBuilder.sizes}): a chunk like the last one then fills its columns without
   * growing them. Default: 1,024 rows per kind and 4,096 level values.
   */
  sizes?: BuilderSizes;
}

/** Rows and level values per kind (indexed by kind code), as {@link EventTableBuilder.sizes} gives them. */
export interface BuilderSizes {
  rows: readonly number[];
  values: readonly number[];
}

/** See the module comment. */
export class EventTableBuilder {
  length = 0;
  readonly capacity: number;
  private readonly alloc: BufferAlloc;
  private cap: number;
  private kind: Uint8Array;
  private sym: Uint16Array;
  private row: Int32Array;
  private ts: Float64Array;
  private readonly kinds: KindColumns[];

  constructor(options: BuilderOptions = {}) {
    this.capacity = options.capacity ?? Infinity;
    this.alloc = options.shared ? (b) => new SharedArrayBuffer(b) : heapAlloc;
    this.cap = Math.max(16, Math.min(options.initial ?? 4096, this.capacity));
    this.kind = typed(Uint8Array, this.cap, this.alloc);
    this.sym = typed(Uint16Array, this.cap, this.alloc);
    this.row = typed(Int32Array, this.cap, this.alloc);
    this.ts = typed(Float64Array, this.cap, this.alloc);
    const first = Math.min(this.cap, 1024);
    const hint = options.sizes;
    // an eighth more than the hint: the next chunk's mix of kinds differs a little from the last
    const more = (x: number) => x + (x >> 3);
    this.kinds = [0, 1, 2, 3].map((k) => {
      if (!hint) return new KindColumns(k, first, this.alloc);
      const rows = Math.min(this.cap, Math.max(16, more(hint.rows[k] ?? 0)));
      return new KindColumns(k, rows, this.alloc, k === DEPTH ? Math.max(1024, more(hint.values[k] ?? 0)) : 0);
    });
  }

  /** Rows and level values held per kind: the `sizes` to start the next builder of a stream with. */
  sizes(): BuilderSizes {
    return { rows: this.kinds.map((k) => k.n), values: this.kinds.map((k) => k.values) };
  }

  /**
   * Room for `events` more events, `rows` more rows of kind `kind` and, for depth, `values`
   * more level values per list: a table built from tables of known size allocates once.
   */
  reserve(events: number, kind: number, rows: number, values = 0): void {
    if (this.length + events > this.cap) this.growMerged(this.length + events, true);
    this.kinds[kind]!.reserve(rows, values);
  }

  /** Events that still fit. */
  get room(): number {
    return this.capacity - this.length;
  }

  /** Append rows `[from, to)` of a batch's columns. */
  append(b: BatchColumns, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    if (this.length + n > this.capacity) throw new RangeError(`chunk of ${this.capacity} events: ${n} more do not fit`);
    const at = this.length;
    if (at + n > this.cap) this.growMerged(at + n);
    const k = b.kind;
    const kc = this.kinds[k]!;
    const r0 = kc.n;
    const row = this.row;
    const kind = this.kind;
    for (let j = 0; j < n; j++) {
      kind[at + j] = k;
      row[at + j] = r0 + j;
    }
    copyU16(this.sym, at, b.sym, from, n);
    // ts is the first f64 column of every kind
    copyF64(this.ts, at, b.f64[0]!, from, n);
    kc.append(b, from, n);
    this.length = at + n;
  }

  private growMerged(need: number, exact = false): void {
    let c = this.cap * 2;
    while (c < need) c *= 2;
    if (exact) c = need;
    c = Math.min(c, this.capacity);
    const a = this.alloc;
    const n = this.length;
    this.kind = regrow(this.kind, typed(Uint8Array, c, a), n);
    this.sym = regrow(this.sym, typed(Uint16Array, c, a), n);
    this.row = regrow(this.row, typed(Int32Array, c, a), n);
    this.ts = regrow(this.ts, typed(Float64Array, c, a), n);
    this.cap = c;
  }

  /**
   * The table of what was appended, over views of the builder's arrays (no copy); the builder
   * must not be appended to afterwards.
   */
  finish(symbols: readonly string[], printKinds: readonly string[]): EventTable {
    const n = this.length;
    return new EventTable({
      length: n,
      kind: this.kind.subarray(0, n),
      sym: this.sym.subarray(0, n),
      row: this.row.subarray(0, n),
      ts: this.ts.subarray(0, n),
      depth: this.kinds[0]!.set() as DepthColumnSet,
      quote: this.kinds[1]!.set() as QuoteColumnSet,
      trade: this.kinds[2]!.set() as TradeColumnSet,
      mark: this.kinds[3]!.set() as MarkColumnSet,
      symbols: [...symbols],
      printKinds: [...printKinds],
    });
  }
}

/**
 * The merged order alone — kind, symbol, row and time per event — for a table whose kind
 * columns were gathered beforehand, batch after batch, each batch's rows from `rowBase`
 * (`eventTableFromTables`): the columns are copied in bulk once, and the merge writes four
 * numbers per event instead of copying every column of every short run.
 */
export class OrderBuilder {
  length = 0;
  private readonly kind: Uint8Array;
  private readonly sym: Uint16Array;
  private readonly row: Int32Array;
  private readonly ts: Float64Array;

  constructor(
    readonly capacity: number,
    alloc: BufferAlloc = heapAlloc,
  ) {
    this.kind = typed(Uint8Array, capacity, alloc);
    this.sym = typed(Uint16Array, capacity, alloc);
    this.row = typed(Int32Array, capacity, alloc);
    this.ts = typed(Float64Array, capacity, alloc);
  }

  get room(): number {
    return this.capacity - this.length;
  }

  append(b: BatchColumns, from: number, to: number): void {
    const n = to - from;
    if (n <= 0) return;
    const at = this.length;
    if (at + n > this.capacity) throw new RangeError(`order of ${this.capacity} events: ${n} more do not fit`);
    const k = b.kind;
    const base = b.rowBase! + from;
    const row = this.row;
    const kind = this.kind;
    for (let j = 0; j < n; j++) {
      kind[at + j] = k;
      row[at + j] = base + j;
    }
    copyU16(this.sym, at, b.sym, from, n);
    copyF64(this.ts, at, b.f64[0]!, from, n);
    this.length = at + n;
  }

  finish(kinds: readonly KindColumns[], symbols: readonly string[], printKinds: readonly string[]): EventTable {
    const n = this.length;
    return new EventTable({
      length: n,
      kind: this.kind.subarray(0, n),
      sym: this.sym.subarray(0, n),
      row: this.row.subarray(0, n),
      ts: this.ts.subarray(0, n),
      depth: kinds[0]!.set() as DepthColumnSet,
      quote: kinds[1]!.set() as QuoteColumnSet,
      trade: kinds[2]!.set() as TradeColumnSet,
      mark: kinds[3]!.set() as MarkColumnSet,
      symbols: [...symbols],
      printKinds: [...printKinds],
    });
  }
}
