/**
 * A local L2 order book rebuilt from a depth snapshot and Binance depth diffs, following
 * Binance's synchronisation rules, with allocation-free extraction of the top k levels (the
 * input of multi-level OFI).
 *
 * **Sync rules.** After {@link LocalOrderBook.applySnapshot} (REST `/depth`, `lastUpdateId` L):
 * - USD-M / COIN-M futures (diffs carry `pu`): a diff with `u < L` is stale and dropped; the first
 *   applied diff must have `U ≤ L ≤ u`; after it, every diff's `pu` must equal the previous
 *   diff's `u`.
 * - Spot (no `pu`): a diff with `u ≤ L` (or ≤ the last applied `u`) is stale; otherwise it needs
 *   `U ≤ last + 1`, and the first one `U ≤ L + 1 ≤ u`.
 * A diff that breaks the chain is a `'gap'`: the book is no longer in sync (`synced` false) and
 * every diff is `'unsynced'` until the next snapshot — the caller fetches one (this layer does no
 * I/O). A diff already applied (`u` not above the last applied `u`, as a replayed message) is
 * `'stale'`, not a gap, so a duplicate cannot break a good book. Before any snapshot every diff is
 * `'unsynced'`; buffering them for after the snapshot is the caller's business.
 *
 * **Layout.** Each side is a price-indexed ladder (`book-ladder.ts`): sizes in a
 * `Float64Array` indexed by tick inside a window that follows the touch, the best level kept
 * incrementally, far-off and off-grid levels in a small sorted store beside it. A level change
 * is one array write instead of a shift of half a side: on the real BTCUSDT capture, whose book
 * grows to ~5,000 levels a side, a diff went from ~8.5 µs to well under 1 µs (`bench/features.mjs`).
 * The tick is the instrument's (`tickSize`, e.g. `config.symbols.BTCUSDT.tick_size`) or inferred
 * exactly from the prices (`price-grid.ts`); prices come back bit for bit. A price off the grid
 * (with an inferred tick: only one with more than 12 decimals) is accepted and kept in the
 * sorted store — correct, merely slower. Nothing is allocated per diff or per level.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly
 * @see https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#how-to-manage-a-local-order-book-correctly
 */

import type { LevelRanges } from '../core/events.js';
import { LadderSide, MAX_WINDOW, type GridKeeper } from './book-ladder.js';
import { PriceGrid } from './price-grid.js';

/** What became of a diff. */
export type BookDiffResult = 'applied' | 'stale' | 'gap' | 'unsynced';

/** A full book: a REST snapshot or a `DepthEvent` with `isSnapshot`; levels in any order. */
export interface BookSnapshot extends LevelRanges {
  lastUpdateId: number;
  /** Levels best first; with `bidFrom`/`bidTo` (`askFrom`/`askTo`) only that range of the arrays is the event's ({@link LevelRanges}). */
  bidPrices: ArrayLike<number>;
  bidQtys: ArrayLike<number>;
  askPrices: ArrayLike<number>;
  askQtys: ArrayLike<number>;
}

/** A depth diff (`depthUpdate`): a `DepthEvent` without `isSnapshot` satisfies it. */
export interface BookDiff extends BookSnapshot {
  /** `U`: first update id in the diff. */
  firstUpdateId: number;
  /** `pu`: the previous diff's `u` (futures); `NaN` where absent (spot). */
  prevUpdateId: number;
}

/** Preallocated arrays the top k levels are written into, best first. */
export interface TopLevels {
  bidPrices: Float64Array;
  bidQtys: Float64Array;
  askPrices: Float64Array;
  askQtys: Float64Array;
}

/** Counters of what the book has seen. */
export interface BookStats {
  snapshots: number;
  applied: number;
  stale: number;
  gaps: number;
  unsynced: number;
}

/** How a {@link LocalOrderBook} is built; every field optional. */
export interface LocalOrderBookOptions {
  /**
   * The instrument's tick (Binance `PRICE_FILTER.tickSize`, `config.symbols[SYMBOL].tick_size`).
   * Omitted: inferred exactly from the prices seen, refined when a finer price arrives. Given: a
   * price off it is still accepted (kept in the sorted store), never refused.
   */
  tickSize?: number;
  /** Ladder size limit per side in ticks, a power of two (default 2^18: 2 MiB a side at most). */
  maxWindow?: number;
  /** Initial capacity of each side's sorted store of far-off levels (it grows by doubling). */
  capacity?: number;
}

/** Where a book's levels live (see {@link LocalOrderBook.layout}). */
export interface BookLayout {
  tick: number;
  bids: { window: number; ladder: number; sparse: number };
  asks: { window: number; ladder: number; sparse: number };
}

/**
 * A local L2 book kept in sync with Binance depth diffs.
 * @example
 * const book = new LocalOrderBook();
 * book.applySnapshot({ lastUpdateId: 10, bidPrices: [100, 99], bidQtys: [1, 2], askPrices: [101], askQtys: [3] });
 * book.applyDiff({ firstUpdateId: 9, lastUpdateId: 12, prevUpdateId: 8, bidPrices: [100.5], bidQtys: [4], askPrices: [101], askQtys: [0] }); // 'applied'
 * book.bestBid; // 100.5 — and the ask side is now empty
 */
export class LocalOrderBook implements GridKeeper {
  private readonly grid: PriceGrid;
  private readonly bids: LadderSide;
  private readonly asks: LadderSide;
  /** True between a snapshot and a gap. */
  synced = false;
  /** `lastUpdateId` of the snapshot, then `u` of the last applied diff. */
  lastUpdateId = NaN;
  private firstPending = false;
  readonly stats: BookStats = { snapshots: 0, applied: 0, stale: 0, gaps: 0, unsynced: 0 };

  /** @param options the sorted store's initial capacity per side (a number), or {@link LocalOrderBookOptions}. */
  constructor(options: number | LocalOrderBookOptions = {}) {
    const o = typeof options === 'number' ? { capacity: options } : options;
    const cap = o.capacity ?? 64;
    const maxW = o.maxWindow ?? MAX_WINDOW;
    if (!(Number.isInteger(Math.log2(maxW)) && maxW >= 32)) throw new RangeError(`maxWindow: expected a power of two ≥ 32, got ${maxW}`);
    this.grid = new PriceGrid(o.tickSize);
    this.bids = new LadderSide(1, cap, maxW, this.grid, this);
    this.asks = new LadderSide(-1, cap, maxW, this.grid, this);
  }

  /** Replace the book with a snapshot; diffs are then checked against its `lastUpdateId`. */
  applySnapshot(s: BookSnapshot): void {
    const g = this.grid;
    const b0 = s.bidFrom ?? 0;
    const b1 = s.bidTo ?? s.bidPrices.length;
    const a0 = s.askFrom ?? 0;
    const a1 = s.askTo ?? s.askPrices.length;
    if (!g.fixed) {
      for (let i = b0; i < b1; i++) g.admit(s.bidPrices[i]!);
      for (let i = a0; i < a1; i++) g.admit(s.askPrices[i]!);
    }
    this.bids.load(s.bidPrices, s.bidQtys, b0, b1);
    this.asks.load(s.askPrices, s.askQtys, a0, a1);
    this.lastUpdateId = s.lastUpdateId;
    this.synced = true;
    this.firstPending = true;
    this.stats.snapshots++;
  }

  /** Apply a diff if it belongs next in the chain (see the module comment for the rules). */
  applyDiff(d: BookDiff): BookDiffResult {
    if (!this.synced) {
      this.stats.unsynced++;
      return 'unsynced';
    }
    const U = d.firstUpdateId;
    const u = d.lastUpdateId;
    const futures = !Number.isNaN(d.prevUpdateId);
    const last = this.lastUpdateId;
    if (this.firstPending) {
      if (futures ? u < last : u <= last) {
        this.stats.stale++;
        return 'stale';
      }
      if (futures ? !(U <= last && last <= u) : !(U <= last + 1 && last + 1 <= u)) return this.gap();
      this.firstPending = false;
    } else {
      if (u <= last) {
        this.stats.stale++;
        return 'stale';
      }
      if (futures ? d.prevUpdateId !== last : U > last + 1) return this.gap();
    }
    this.bids.apply(d.bidPrices, d.bidQtys, d.bidFrom ?? 0, d.bidTo ?? d.bidPrices.length);
    this.asks.apply(d.askPrices, d.askQtys, d.askFrom ?? 0, d.askTo ?? d.askPrices.length);
    this.lastUpdateId = u;
    this.stats.applied++;
    return 'applied';
  }

  private gap(): BookDiffResult {
    this.synced = false;
    this.stats.gaps++;
    return 'gap';
  }

  /** @internal A side met a price off the grid: refine an inferred grid and re-place both sides, or keep the level in the sorted store. */
  offGrid(side: LadderSide, price: number, qty: number): void {
    if (this.grid.admit(price)) {
      this.bids.regrid();
      this.asks.regrid();
      if (side.onGrid(price)) return side.set(price, qty);
    }
    side.ov.set(price, qty);
  }

  /** Write the best k levels of each side into `out`, best first (missing: price NaN, size 0). No allocation. */
  topK(k: number, out: TopLevels): void {
    this.bids.writeTop(k, out.bidPrices, out.bidQtys);
    this.asks.writeTop(k, out.askPrices, out.askQtys);
  }

  /**
   * Write the best `k` levels of one side (`side` +1 bids, −1 asks) into `prices` and `qtys`,
   * best first (missing: price NaN, size 0). What a taker meets is one side: the other is not
   * walked. No allocation.
   */
  topSide(side: 1 | -1, k: number, prices: Float64Array, qtys: Float64Array): void {
    (side === 1 ? this.bids : this.asks).writeTop(k, prices, qtys);
  }

  /** Levels on one side (`side` +1 bids, −1 asks). */
  sideSize(side: 1 | -1): number {
    return (side === 1 ? this.bids : this.asks).size;
  }

  /** Levels on each side. */
  get depth(): { bids: number; asks: number } {
    return { bids: this.bids.size, asks: this.asks.size };
  }

  get bestBid(): number {
    return this.bids.bestPrice();
  }
  get bestBidQty(): number {
    return this.bids.bestQty();
  }
  get bestAsk(): number {
    return this.asks.bestPrice();
  }
  get bestAskQty(): number {
    return this.asks.bestQty();
  }

  /** Where the levels live (diagnostics, tests and benchmarks): the tick, each ladder's window size in ticks, and how many levels sit in the ladders and in the sorted stores. */
  get layout(): BookLayout {
    const side = (s: LadderSide) => ({ window: s.W, ladder: s.count, sparse: s.ov.n });
    return { tick: this.grid.tick, bids: side(this.bids), asks: side(this.asks) };
  }

  /**
   * The levels (best first) and the place in the diff chain, copied: a sweep keeps a few of these
   * along the data so a run's book can start from the nearest one instead of from the first
   * diff (`DepthTrack`).
   */
  checkpoint(): BookCheckpoint {
    const side = (s: LadderSide) => {
      const px = new Float64Array(s.size);
      const qty = new Float64Array(s.size);
      s.writeTop(s.size, px, qty);
      return [px, qty] as const;
    };
    const [bidPrices, bidQtys] = side(this.bids);
    const [askPrices, askQtys] = side(this.asks);
    return { bidPrices, bidQtys, askPrices, askQtys, lastUpdateId: this.lastUpdateId, synced: this.synced, firstPending: this.firstPending };
  }

  /**
   * Put back a {@link checkpoint}: the same levels and the same next diff expected, so the
   * diffs that followed it give the book they gave then, level for level. (Where the levels
   * live — the tick inferred, the ladder's window — may differ; they are not part of the book.)
   * The counters are not put back.
   */
  restore(c: BookCheckpoint): void {
    const g = this.grid;
    if (!g.fixed) {
      for (let i = 0; i < c.bidPrices.length; i++) g.admit(c.bidPrices[i]!);
      for (let i = 0; i < c.askPrices.length; i++) g.admit(c.askPrices[i]!);
    }
    this.bids.load(c.bidPrices, c.bidQtys);
    this.asks.load(c.askPrices, c.askQtys);
    this.lastUpdateId = c.lastUpdateId;
    this.synced = c.synced;
    this.firstPending = c.firstPending;
  }

  /** Forget the book and the counters (and an inferred tick). */
  reset(): void {
    this.bids.clear();
    this.asks.clear();
    this.grid.reset();
    this.synced = false;
    this.firstPending = false;
    this.lastUpdateId = NaN;
    Object.assign(this.stats, { snapshots: 0, applied: 0, stale: 0, gaps: 0, unsynced: 0 });
  }

  /**
   * {@link reset}, with each side's ladder shrunk to its first size and the large arrays kept for
   * the next book made in this thread: what a finished backtest does with its books, so a sweep's
   * next run does not allocate them again.
   */
  release(): void {
    this.reset();
    this.bids.release();
    this.asks.release();
  }
}

/**
 * A book's levels and place in the diff chain at one moment ({@link LocalOrderBook.checkpoint}):
 * what {@link LocalOrderBook.restore} needs to go on exactly where it was.
 */
export interface BookCheckpoint {
  bidPrices: Float64Array;
  bidQtys: Float64Array;
  askPrices: Float64Array;
  askQtys: Float64Array;
  lastUpdateId: number;
  synced: boolean;
  firstPending: boolean;
}

/** Preallocated top-k arrays for {@link LocalOrderBook.topK}. */
export function topLevels(k: number): TopLevels {
  return { bidPrices: new Float64Array(k), bidQtys: new Float64Array(k), askPrices: new Float64Array(k), askQtys: new Float64Array(k) };
}
