/**
 * What the simulated venue's local books make of an event table's depth events, recorded once
 * and shared by every run over the table: a parameter sweep replays the same market hundreds of
 * times, and the books are the same in each (fills never deplete the recorded book, see
 * `simulator.ts`), while keeping them — every level of every diff through Binance's sync rules —
 * was a fifth of a run.
 *
 * For each depth row: whether the book changed, whether it is in sync, and its best bid and ask
 * with their sizes after the row (all a venue reads on every event). Along each symbol's depth
 * events, every {@link DepthTrack.every}-th (where no diff waits for a snapshot), a copy of the
 * whole book ({@link BookCheckpoint}). A venue that follows the track
 * (`SymbolVenue.follow`) reads the row's entry instead of applying the row, and brings its own
 * book up to date only when an order or a strategy reads its levels (a taker's walk, a resting
 * order's place in the queue, `ctx.book`): from the nearest checkpoint, or from where it stood
 * if that is nearer. A run with a few dozen orders then applies a small part of the diffs, and
 * gets the book it would have kept itself, level for level (tested against venues that apply
 * every diff).
 *
 * Memory: about 45 bytes per depth row (the touch, the flags, its place in its symbol's rows,
 * the work to apply it), and the checkpoints (14 MB on the bundled sample × 2, every 64th event), kept under
 * {@link DepthTrackOptions.maxBytes} by dropping every other one (and doubling the spacing)
 * whenever they pass it.
 */
import type { DepthLevelsView } from '../core/events.js';
import type { BookCheckpoint } from '../microstructure/book.js';
import { DEPTH, type DepthColumnSet } from './data/columns.js';
import type { EventTable } from './data/event-table.js';
import { EventView } from './data/event-view.js';
import { SymbolVenue, type DepthRecord, type TrackCheckpoint } from './sim/venue-book.js';

export interface DepthTrackOptions {
  /** Depth events of a symbol between two checkpoints, at first (doubled as needed to stay under `maxBytes`). Default 64. */
  every?: number;
  /** Bytes the checkpoints may take. Default 64 MiB. */
  maxBytes?: number;
  /** Keep every array in shared memory (`SharedArrayBuffer`), so {@link DepthTrack.data} hands it to worker threads without a copy. Default false. */
  shared?: boolean;
}

/**
 * A {@link DepthTrack} as plain data ({@link DepthTrack.data}): what a worker thread is sent to
 * follow the track another thread made over the same table (`new DepthTrack(table, { data })`).
 * Its arrays are shared, not copied, when the track was made with `shared`.
 */
export type DepthTrackData = Pick<DepthTrack, 'every' | 'bytes' | 'flags' | 'bid' | 'bidQty' | 'ask' | 'askQty' | 'rows' | 'work'> & { checkpoints: TrackCheckpoint[][] };

const START: TrackCheckpoint = { ord: -1, book: null };
/** Cost of a depth event besides its levels, in level writes (the sync checks, the view). */
const DIFF_COST = 4;
/** Cost of restoring a level relative to writing one from a diff (the old levels are cleared, each restored level placed). */
const RESTORE_COST = 2;
const bytesOf = (c: BookCheckpoint) => 16 * (c.bidPrices.length + c.askPrices.length) + 64;

/** See the module comment. */
export class DepthTrack implements DepthRecord {
  /** The table the track was made over (its depth rows are read again to bring a book up to date). */
  readonly table: EventTable;
  /** The depth columns the track describes: a run's tables must be ranges of the same (`EventTable.range` shares them). */
  readonly columns: DepthColumnSet;
  readonly ts: Float64Array;
  readonly recvTs: Float64Array;
  /** Per depth row: 1 the book changed, 2 the book is in sync after it. */
  readonly flags: Uint8Array;
  readonly bid: Float64Array;
  readonly bidQty: Float64Array;
  readonly ask: Float64Array;
  readonly askQty: Float64Array;
  /** Per symbol code: its depth rows in event order. */
  readonly rows: Int32Array[];
  /**
   * Per symbol code: what applying its depth events costs, cumulated (`work[s][k]`: events 0 to
   * k − 1), in level writes ({@link DIFF_COST} per event besides its levels): what
   * {@link DepthTrack.from} weighs a restore against.
   */
  readonly work: Float64Array[];
  /** Depth events of a symbol between two checkpoints. */
  every: number;
  /** Bytes the checkpoints take. */
  bytes = 0;
  /** The scratch view {@link event} fills. */
  private readonly view = new EventView();
  private readonly checkpoints: TrackCheckpoint[][];

  /**
   * Make the track of `table`'s depth events, or (with `data`) take one another thread made over
   * the same table (its depth rows and symbols, checked by their counts; the other options are
   * then those it was made with).
   */
  constructor(table: EventTable, options: DepthTrackOptions & { data?: DepthTrackData } = {}) {
    this.table = table;
    const c = (this.columns = table.depth);
    this.ts = c.ts;
    this.recvTs = c.recvTs;
    const d = options.data;
    if (d !== undefined) {
      if (d.flags.length !== c.length || d.rows.length !== table.symbols.length) {
        throw new RangeError(`DepthTrack: the track given is of ${d.flags.length} depth rows and ${d.rows.length} symbols, the table has ${c.length} and ${table.symbols.length}`);
      }
      ({ every: this.every, bytes: this.bytes, flags: this.flags, bid: this.bid, bidQty: this.bidQty, ask: this.ask, askQty: this.askQty, rows: this.rows, work: this.work, checkpoints: this.checkpoints } = d);
      return;
    }
    const every = options.every ?? 64;
    const maxBytes = options.maxBytes ?? 64 * 2 ** 20;
    if (!(Number.isInteger(every) && every >= 1)) throw new RangeError(`every ${every}: expected an integer ≥ 1`);
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes ${maxBytes}: expected a number ≥ 0`);
    this.every = every;
    const n = c.length;
    const shared = options.shared === true;
    const f64 = (k: number) => (shared ? new Float64Array(new SharedArrayBuffer(8 * k)) : new Float64Array(k));
    this.flags = shared ? new Uint8Array(new SharedArrayBuffer(n)) : new Uint8Array(n);
    this.bid = f64(n);
    this.bidQty = f64(n);
    this.ask = f64(n);
    this.askQty = f64(n);
    const symbols = table.symbols;
    const count = new Int32Array(symbols.length);
    const { kind, row, sym } = table;
    for (let i = 0; i < table.length; i++) if (kind[i] === DEPTH) count[sym[i]!]!++;
    this.rows = symbols.map((_, s) => (shared ? new Int32Array(new SharedArrayBuffer(4 * count[s]!)) : new Int32Array(count[s]!)));
    this.work = symbols.map((_, s) => f64(count[s]! + 1));
    const bo = c.bidPrices.offsets;
    const ao = c.askPrices.offsets;
    this.checkpoints = symbols.map(() => []);
    count.fill(0);
    const venues = symbols.map((s) => new SymbolVenue(s));
    const view = this.view;
    for (let i = 0; i < table.length; i++) {
      if (kind[i] !== DEPTH) continue;
      const r = row[i]!;
      const s = sym[i]!;
      const v = venues[s]!;
      const changed = v.applyDepth(view.depthLevels(table, r, symbols[s]!));
      const b = v.book!;
      this.flags[r] = (changed ? 1 : 0) | (b.synced ? 2 : 0);
      this.bid[r] = b.bestBid;
      this.bidQty[r] = b.bestBidQty;
      this.ask[r] = b.bestAsk;
      this.askQty[r] = b.bestAskQty;
      const o = count[s]!++;
      this.rows[s]![o] = r;
      const w = this.work[s]!;
      w[o + 1] = w[o]! + DIFF_COST + (bo[r + 1]! - bo[r]!) + (ao[r + 1]! - ao[r]!);
      if ((o + 1) % this.every === 0 && v.settled) {
        const cp = b.checkpoint();
        this.checkpoints[s]!.push({ ord: o, book: cp });
        this.bytes += bytesOf(cp);
        while (this.bytes > maxBytes && this.thin());
      }
    }
    for (const v of venues) v.releaseBook();
    if (shared) this.share();
  }

  /** The track as plain data, for another thread over the same table (see {@link DepthTrackData}). */
  data(): DepthTrackData {
    const { every, bytes, flags, bid, bidQty, ask, askQty, rows, work, checkpoints } = this;
    return { every, bytes, flags, bid, bidQty, ask, askQty, rows, work, checkpoints };
  }

  /** Move the checkpoints' levels into one shared buffer (each checkpoint's arrays become views of it). */
  private share(): void {
    let total = 0;
    for (const cs of this.checkpoints) for (const c of cs) total += 2 * (c.book!.bidPrices.length + c.book!.askPrices.length);
    const all = new Float64Array(new SharedArrayBuffer(8 * total));
    let at = 0;
    const move = (a: Float64Array) => {
      const v = all.subarray(at, (at += a.length));
      v.set(a);
      return v;
    };
    for (const cs of this.checkpoints) {
      for (const c of cs) {
        const b = c.book!;
        c.book = { ...b, bidPrices: move(b.bidPrices), bidQtys: move(b.bidQtys), askPrices: move(b.askPrices), askQtys: move(b.askQtys) };
      }
    }
  }

  /** Keep every other checkpoint (those on the doubled spacing); false when none is left to drop. */
  private thin(): boolean {
    if (this.bytes === 0) return false;
    this.every *= 2;
    this.bytes = 0;
    for (let s = 0; s < this.checkpoints.length; s++) {
      const kept = this.checkpoints[s]!.filter((c) => (c.ord + 1) % this.every === 0);
      this.checkpoints[s] = kept;
      for (const c of kept) this.bytes += bytesOf(c.book!);
    }
    return true;
  }

  /** Depth row `r` as an event: a scratch object, valid until the next call (the venues bringing their books up to date call one at a time). */
  event(r: number, symbol: string): DepthLevelsView {
    return this.view.depthLevels(this.table, r, symbol);
  }

  /** Code of a symbol in the table, −1 when it has none. */
  code(symbol: string): number {
    return this.table.symbolCode(symbol);
  }

  /** Checkpoints kept, all symbols. */
  get checkpointCount(): number {
    let n = 0;
    for (const c of this.checkpoints) n += c.length;
    return n;
  }

  /**
   * Where a book of symbol `code` that stands after its depth event `at` (−1: no book yet) is
   * best brought to event `ord` from: itself (`null`), or a checkpoint to restore when that is
   * less work ({@link RESTORE_COST} per level restored, against the events applied). The book
   * is the same either way.
   */
  from(code: number, at: number, ord: number): TrackCheckpoint | null {
    const cp = this.checkpointAt(code, ord);
    if (cp.ord <= at) return null;
    const w = this.work[code]!;
    const levels = cp.book === null ? 0 : cp.book.bidPrices.length + cp.book.askPrices.length;
    const own = w[ord + 1]! - w[at + 1]!;
    return RESTORE_COST * levels + w[ord + 1]! - w[cp.ord + 1]! < own ? cp : null;
  }

  /** The latest checkpoint of symbol `code` at or before its depth event `ord` (the start when none). */
  checkpointAt(code: number, ord: number): TrackCheckpoint {
    const cs = this.checkpoints[code]!;
    let lo = 0;
    let hi = cs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cs[mid]!.ord <= ord) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? START : cs[lo - 1]!;
  }
}

const tracks = new WeakMap<DepthColumnSet, DepthTrack>();

/**
 * The track of a table's depth events, made on first use (or taken from another thread's, with
 * `data`) and kept while the table's depth columns live: a sweep worker's runs share it, and a
 * sweep's workers share one made with `shared`.
 */
export function depthTrackFor(table: EventTable, options?: DepthTrackOptions & { data?: DepthTrackData }): DepthTrack {
  let t = tracks.get(table.depth);
  if (t === undefined || t.table.length < table.length) {
    t = new DepthTrack(table, options);
    tracks.set(table.depth, t);
  }
  return t;
}
