/**
 * Building Arrow record batches from events, and reading events back out of them.
 *
 * {@link BatchBuilder} grows typed arrays (doubling, like Arrow's own builders) and cuts a
 * batch at a high-water mark, so readers stream in bounded memory. A reader may fill one
 * scratch event object per kind and `append` it for every line: the builder copies values
 * out, so no object per event is kept.
 *
 * @see https://arrow.apache.org/docs/js/classes/Arrow_dom.Builder.html (the same high-water idea)
 */
import { makeData, RecordBatch, Struct, type Data, type Vector } from 'apache-arrow';
import type { EventKind, EventOf, MarketEvent } from './events.js';
import { arrowType, COLUMNS, eventSchema, type ColumnSpec } from './schema.js';

/** Rows per batch a reader emits unless told otherwise. */
export const DEFAULT_BATCH_ROWS = 16_384;
/**
 * Depth-level values (prices and sizes, all four lists together) per batch at most: a REST
 * snapshot carries 2,000 levels, so a batch of wide depth rows is cut by its values before
 * its row count, and a batch stays near 8 MiB whatever the book's width.
 */
export const DEFAULT_BATCH_LEVEL_VALUES = 1024 * 1024;

/** A record batch tagged with the kind of events it holds. */
export interface KindBatch<K extends EventKind = EventKind> {
  kind: K;
  batch: RecordBatch;
}

const encoder = new TextEncoder();

class F64Col {
  buf = new Float64Array(1024);
  push(len: number, v: number): void {
    if (len === this.buf.length) this.buf = grow(this.buf, Float64Array);
    this.buf[len] = v;
  }
}
class I8Col {
  buf = new Int8Array(1024);
  push(len: number, v: number): void {
    if (len === this.buf.length) this.buf = grow(this.buf, Int8Array);
    this.buf[len] = v;
  }
}
class StrCol {
  values: string[] = [];
}
class ListCol {
  offsets = new Int32Array(1025);
  values = new Float64Array(4096);
  n = 0;
  push(len: number, xs: ArrayLike<number>): void {
    if (len + 1 >= this.offsets.length) this.offsets = grow(this.offsets, Int32Array);
    const need = this.n + xs.length;
    if (need > this.values.length) {
      let cap = this.values.length * 2;
      while (cap < need) cap *= 2;
      const next = new Float64Array(cap);
      next.set(this.values.subarray(0, this.n));
      this.values = next;
    }
    for (let i = 0; i < xs.length; i++) this.values[this.n + i] = xs[i]!;
    this.n = need;
    this.offsets[len + 1] = need;
  }
}

type Col = F64Col | I8Col | StrCol | ListCol;

function grow<T extends Float64Array | Int8Array | Int32Array | Uint8Array>(a: T, C: new (n: number) => T): T {
  const next = new C(a.length * 2);
  next.set(a);
  return next;
}

function newCol(spec: ColumnSpec): Col {
  switch (spec.type) {
    case 'f64':
      return new F64Col();
    case 'i8':
    case 'bool':
      return new I8Col();
    case 'utf8':
      return new StrCol();
    case 'list_f64':
      return new ListCol();
  }
}

/**
 * Accumulates events of one kind into columns and cuts Arrow record batches.
 *
 * @example
 * const b = new BatchBuilder('quote');
 * b.append({ type: 'quote', symbol: 'BTCUSDT', ts: 1, recvTs: 2, bidPrice: 10, bidQty: 1, askPrice: 11, askQty: 2, updateId: 7 });
 * b.flush()?.numRows; // 1
 */
export class BatchBuilder<K extends EventKind = EventKind> {
  readonly specs: readonly ColumnSpec[];
  private cols: Col[];
  private len = 0;
  private levelValues = 0;

  constructor(
    readonly kind: K,
    readonly maxRows: number = DEFAULT_BATCH_ROWS,
    readonly maxLevelValues: number = DEFAULT_BATCH_LEVEL_VALUES,
  ) {
    this.specs = COLUMNS[kind];
    this.cols = this.specs.map(newCol);
  }

  /** Rows appended since the last flush. */
  get length(): number {
    return this.len;
  }

  /** True once the high-water mark (rows, or depth-level values) is reached: the caller should `flush()`. */
  get full(): boolean {
    return this.len >= this.maxRows || this.levelValues >= this.maxLevelValues;
  }

  /** Copy one event's values into the columns. The event object may be reused by the caller. */
  append(e: EventOf<K>): void {
    const rec = e as unknown as Record<string, unknown>;
    const n = this.len;
    for (let i = 0; i < this.specs.length; i++) {
      const spec = this.specs[i]!;
      const col = this.cols[i]!;
      const v = rec[spec.name];
      switch (spec.type) {
        case 'f64':
          (col as F64Col).push(n, v as number);
          break;
        case 'i8':
          // the only i8 column is the aggressor side
          (col as I8Col).push(n, v === 'buy' ? 1 : v === 'sell' ? -1 : 0);
          break;
        case 'bool':
          (col as I8Col).push(n, v ? 1 : 0);
          break;
        case 'utf8':
          (col as StrCol).values.push(v as string);
          break;
        case 'list_f64':
          (col as ListCol).push(n, v as ArrayLike<number>);
          this.levelValues += (v as ArrayLike<number>).length;
          break;
      }
    }
    this.len = n + 1;
  }

  /** Cut the rows so far into a record batch (`null` if there are none) and start afresh. */
  flush(): RecordBatch | null {
    const n = this.len;
    if (n === 0) return null;
    const children = this.specs.map((spec, i) => columnData(spec, this.cols[i]!, n));
    const schema = eventSchema(this.kind);
    const struct = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children });
    this.cols = this.specs.map(newCol);
    this.len = 0;
    this.levelValues = 0;
    return new RecordBatch(schema, struct);
  }
}

function columnData(spec: ColumnSpec, col: Col, n: number): Data {
  switch (spec.type) {
    case 'f64':
      return makeData({ type: arrowType('f64') as never, length: n, nullCount: 0, data: (col as F64Col).buf.slice(0, n) });
    case 'i8':
      return makeData({ type: arrowType('i8') as never, length: n, nullCount: 0, data: (col as I8Col).buf.slice(0, n) });
    case 'bool': {
      const bytes = (col as I8Col).buf;
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (bytes[i]) bits[i >> 3]! |= 1 << (i & 7);
      return makeData({ type: arrowType('bool') as never, length: n, nullCount: 0, data: bits });
    }
    case 'utf8':
      return utf8Data((col as StrCol).values);
    case 'list_f64': {
      const lc = col as ListCol;
      const child = makeData({ type: arrowType('f64') as never, length: lc.n, nullCount: 0, data: lc.values.slice(0, lc.n) });
      return makeData({ type: arrowType('list_f64') as never, length: n, nullCount: 0, valueOffsets: lc.offsets.slice(0, n + 1), child });
    }
  }
}

/** A Utf8 column from strings; each distinct string is encoded once (symbols repeat). */
export function utf8Data(values: readonly string[]): Data {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const cache = new Map<string, Uint8Array>();
  const parts: Uint8Array[] = new Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const s = values[i] ?? '';
    let bytes = cache.get(s);
    if (!bytes) {
      bytes = encoder.encode(s);
      cache.set(s, bytes);
    }
    parts[i] = bytes;
    total += bytes.length;
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) data.set(parts[i]!, offsets[i]!);
  return makeData({ type: arrowType('utf8') as never, length: n, nullCount: 0, valueOffsets: offsets, data });
}

/** Build one record batch from events of one kind (convenience for tests and small data). */
export function eventsToBatch<K extends EventKind>(kind: K, events: Iterable<EventOf<K>>): RecordBatch | null {
  const b = new BatchBuilder(kind, Number.MAX_SAFE_INTEGER);
  for (const e of events) b.append(e);
  return b.flush();
}

/**
 * The events of a batch as objects, in row order. Convenient, not fast: hot loops read the
 * typed columns instead (see {@link f64Column}).
 */
export function* batchToEvents<K extends EventKind>(kind: K, batch: RecordBatch): Generator<EventOf<K>> {
  const specs = COLUMNS[kind];
  const vecs = specs.map((s) => batch.getChild(s.name));
  for (const [i, v] of vecs.entries()) {
    if (!v) throw new Error(`batch of ${kind} events lacks column "${specs[i]!.name}"`);
  }
  for (let r = 0; r < batch.numRows; r++) {
    const e: Record<string, unknown> = { type: kind };
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const v = (vecs[i] as Vector).get(r);
      switch (spec.type) {
        case 'i8':
          e[spec.name] = v === 1 ? 'buy' : 'sell';
          break;
        case 'bool':
          e[spec.name] = Boolean(v);
          break;
        case 'list_f64':
          e[spec.name] = v ? Array.from(v as Iterable<number>) : [];
          break;
        default:
          e[spec.name] = v;
      }
    }
    yield e as unknown as EventOf<K>;
  }
}

/** All events of many tagged batches, in batch order. */
export function* kindBatchesToEvents(batches: Iterable<KindBatch>): Generator<MarketEvent> {
  for (const { kind, batch } of batches) yield* batchToEvents(kind, batch);
}

/**
 * The values of a Float64 column of a batch as one contiguous `Float64Array`, without a copy
 * when the column is a single chunk (always, for batches this module builds).
 */
export function f64Column(batch: RecordBatch, name: string): Float64Array {
  const v = batch.getChild(name);
  if (!v) throw new Error(`batch lacks column "${name}"`);
  if (v.data.length === 1) {
    const d = v.data[0]!;
    // Arrow JS slices value buffers when it slices data (`offset` then only applies to the validity bitmap).
    return (d.values as Float64Array).subarray(0, d.length);
  }
  return v.toArray() as Float64Array;
}

/** The values of the Int8 `side` column of a trade batch (+1 buy, −1 sell). */
export function sideColumn(batch: RecordBatch): Int8Array {
  const v = batch.getChild('side');
  if (!v) throw new Error('batch lacks column "side"');
  if (v.data.length === 1) {
    const d = v.data[0]!;
    return (d.values as Int8Array).subarray(0, d.length);
  }
  return v.toArray() as Int8Array;
}
