/**
 * Gathers runs of rows, in merged order, into an {@link EventTable}: each run is rows
 * `[from, to)` of one batch's columns, copied with typed-array `set` (a loop for short runs, so
 * a merge that alternates every few rows allocates no subarray per run), and the merged-order
 * arrays get the run's kind, symbols, times and new row numbers. Arrays grow by doubling, from
 * ordinary or shared memory.
 */
import { DEPTH, F64_FIELDS, heapAlloc, I8_FIELDS, LIST_FIELDS, typed, U8_FIELDS, emptyColumnSet, type AnyColumnSet, type BatchColumns, type BufferAlloc, type ListColumn } from './columns.js';
import { EventTable } from './event-table.js';
import type { DepthColumnSet, MarkColumnSet, QuoteColumnSet, TradeColumnSet } from './columns.js';

type Typed = Float64Array | Int32Array | Uint16Array | Uint8Array | Int8Array;
type Ctor = { new (b: ArrayBufferLike): Typed; BYTES_PER_ELEMENT: number };

/** Runs shorter than this are copied element by element (a subarray per run would cost more). */
const SHORT = 24;

function copy(dst: Typed, at: number, src: Typed, from: number, n: number): void {
  if (n < SHORT) for (let j = 0; j < n; j++) dst[at + j] = src[from + j]!;
  else dst.set(src.subarray(from, from + n), at);
}

/** Options of {@link EventTableBuilder}. */
export interface BuilderOptions {
  /** Events at most (a streaming chunk); default unbounded. */
  capacity?: number;
  /** Initial room, events (default 4,096). */
  initial?: number;
  /** Allocate on `SharedArrayBuffer`s. */
  shared?: boolean;
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
  private readonly sets: Record<string, unknown>[];
  private readonly caps: number[];

  constructor(options: BuilderOptions = {}) {
    this.capacity = options.capacity ?? Infinity;
    this.alloc = options.shared ? (b) => new SharedArrayBuffer(b) : heapAlloc;
    this.cap = Math.max(16, Math.min(options.initial ?? 4096, this.capacity));
    this.kind = typed(Uint8Array, this.cap, this.alloc);
    this.sym = typed(Uint16Array, this.cap, this.alloc);
    this.row = typed(Int32Array, this.cap, this.alloc);
    this.ts = typed(Float64Array, this.cap, this.alloc);
    const first = Math.min(this.cap, 1024);
    this.caps = [first, first, first, first];
    this.sets = [0, 1, 2, 3].map((k) => emptyColumnSet(k, first, this.alloc, k === DEPTH ? 4096 : 0) as unknown as Record<string, unknown>);
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
    const set = this.sets[k]!;
    const r0 = set.length as number;
    if (r0 + n > this.caps[k]!) this.growKind(k, r0 + n);
    const src = b.cols as unknown as Record<string, Typed & ListColumn>;
    this.kind.fill(k, at, at + n);
    const row = this.row;
    for (let j = 0; j < n; j++) row[at + j] = r0 + j;
    copy(this.sym, at, b.sym, from, n);
    copy(this.ts, at, src.ts!, from, n);
    for (const f of F64_FIELDS[k]!) copy(set[f] as Typed, r0, src[f]!, from, n);
    for (const f of I8_FIELDS[k]!) copy(set[f] as Typed, r0, src[f]!, from, n);
    for (const f of U8_FIELDS[k]!) copy(set[f] as Typed, r0, src[f]!, from, n);
    for (const f of LIST_FIELDS[k]!) this.appendList(set[f] as ListColumn, r0, src[f]!, from, n);
    set.length = r0 + n;
    this.length = at + n;
  }

  private appendList(dst: ListColumn, r0: number, src: ListColumn, from: number, n: number): void {
    const so = src.offsets;
    const a = so[from]!;
    const z = so[from + n]!;
    const base = dst.offsets[r0]!;
    if (base + (z - a) > dst.values.length) {
      let c = Math.max(1024, dst.values.length * 2);
      while (c < base + (z - a)) c *= 2;
      const next = typed(Float64Array, c, this.alloc);
      next.set(dst.values.subarray(0, base));
      dst.values = next;
    }
    copy(dst.values, base, src.values, a, z - a);
    const d = dst.offsets;
    for (let j = 1; j <= n; j++) d[r0 + j] = base + (so[from + j]! - a);
  }

  private growMerged(need: number): void {
    let c = this.cap * 2;
    while (c < need) c *= 2;
    c = Math.min(c, this.capacity);
    this.kind = this.regrow(this.kind, c, this.length) as Uint8Array;
    this.sym = this.regrow(this.sym, c, this.length) as Uint16Array;
    this.row = this.regrow(this.row, c, this.length) as Int32Array;
    this.ts = this.regrow(this.ts, c, this.length) as Float64Array;
    this.cap = c;
  }

  private growKind(k: number, need: number): void {
    let c = this.caps[k]! * 2;
    while (c < need) c *= 2;
    const set = this.sets[k]!;
    const n = set.length as number;
    for (const f of [...F64_FIELDS[k]!, ...I8_FIELDS[k]!, ...U8_FIELDS[k]!]) set[f] = this.regrow(set[f] as Typed, c, n);
    for (const f of LIST_FIELDS[k]!) {
      const l = set[f] as ListColumn;
      l.offsets = this.regrow(l.offsets, c + 1, n + 1) as Int32Array;
    }
    this.caps[k] = c;
  }

  private regrow(a: Typed, c: number, used: number): Typed {
    const next = typed(a.constructor as Ctor, c, this.alloc);
    next.set(a.subarray(0, used) as never);
    return next;
  }

  /**
   * The table of what was appended, over views of the builder's arrays (no copy); the builder
   * must not be appended to afterwards.
   */
  finish(symbols: readonly string[], printKinds: readonly string[]): EventTable {
    const n = this.length;
    const cut = (k: number): AnyColumnSet => {
      const set = this.sets[k]!;
      const m = set.length as number;
      const out: Record<string, unknown> = { length: m };
      for (const f of [...F64_FIELDS[k]!, ...I8_FIELDS[k]!, ...U8_FIELDS[k]!]) out[f] = (set[f] as Typed).subarray(0, m);
      for (const f of LIST_FIELDS[k]!) {
        const l = set[f] as ListColumn;
        out[f] = { offsets: l.offsets.subarray(0, m + 1), values: l.values.subarray(0, l.offsets[m]!) };
      }
      return out as unknown as AnyColumnSet;
    };
    return new EventTable({
      length: n,
      kind: this.kind.subarray(0, n),
      sym: this.sym.subarray(0, n),
      row: this.row.subarray(0, n),
      ts: this.ts.subarray(0, n),
      depth: cut(0) as DepthColumnSet,
      quote: cut(1) as QuoteColumnSet,
      trade: cut(2) as TradeColumnSet,
      mark: cut(3) as MarkColumnSet,
      symbols: [...symbols],
      printKinds: [...printKinds],
    });
  }
}
