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
 * **Layout.** Each side is a pair of sorted `Float64Array`s (prices, sizes) with the *best price
 * at the end*: bids ascending, asks descending. Most changes happen near the top of the book, so
 * an insertion or removal there shifts only a few entries (`copyWithin`), and a lookup is a
 * binary search. A size of 0 removes the level. Arrays grow by doubling; nothing is allocated per
 * diff or per level.
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly
 * @see https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#how-to-manage-a-local-order-book-correctly
 */

/** What became of a diff. */
export type BookDiffResult = 'applied' | 'stale' | 'gap' | 'unsynced';

/** A full book: a REST snapshot or a `DepthEvent` with `isSnapshot`; levels in any order. */
export interface BookSnapshot {
  lastUpdateId: number;
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

class Side {
  px: Float64Array;
  qty: Float64Array;
  n = 0;

  constructor(
    cap: number,
    /** +1: ascending prices (bids, best = highest at the end); −1: descending (asks). */
    readonly dir: 1 | -1,
  ) {
    this.px = new Float64Array(cap);
    this.qty = new Float64Array(cap);
  }

  /** Index of `price`, or −(insertion point) − 1. */
  find(price: number): number {
    const key = price * this.dir;
    let lo = 0;
    let hi = this.n - 1;
    // most changes are near the best price, at the end: look there first
    if (hi >= 0 && this.px[hi]! * this.dir < key) return -(hi + 1) - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.px[mid]! * this.dir;
      if (v < key) lo = mid + 1;
      else if (v > key) hi = mid - 1;
      else return mid;
    }
    return -lo - 1;
  }

  set(price: number, qty: number): void {
    const i = this.find(price);
    if (i >= 0) {
      if (qty === 0) {
        this.px.copyWithin(i, i + 1, this.n);
        this.qty.copyWithin(i, i + 1, this.n);
        this.n--;
      } else this.qty[i] = qty;
      return;
    }
    if (qty === 0) return;
    const at = -i - 1;
    if (this.n === this.px.length) this.grow();
    this.px.copyWithin(at + 1, at, this.n);
    this.qty.copyWithin(at + 1, at, this.n);
    this.px[at] = price;
    this.qty[at] = qty;
    this.n++;
  }

  private grow(): void {
    const px = new Float64Array(this.px.length * 2);
    const qty = new Float64Array(this.px.length * 2);
    px.set(this.px);
    qty.set(this.qty);
    this.px = px;
    this.qty = qty;
  }

  /** Write the best k levels, best first; missing levels get price NaN and size 0. */
  top(k: number, prices: Float64Array, qtys: Float64Array): void {
    const n = this.n;
    for (let m = 0; m < k; m++) {
      const j = n - 1 - m;
      if (j >= 0) {
        prices[m] = this.px[j]!;
        qtys[m] = this.qty[j]!;
      } else {
        prices[m] = NaN;
        qtys[m] = 0;
      }
    }
  }
}

/**
 * A local L2 book kept in sync with Binance depth diffs.
 * @example
 * const book = new LocalOrderBook();
 * book.applySnapshot({ lastUpdateId: 10, bidPrices: [100, 99], bidQtys: [1, 2], askPrices: [101], askQtys: [3] });
 * book.applyDiff({ firstUpdateId: 9, lastUpdateId: 12, prevUpdateId: 8, bidPrices: [100.5], bidQtys: [4], askPrices: [101], askQtys: [0] }); // 'applied'
 * book.bestBid; // 100.5 — and the ask side is now empty
 */
export class LocalOrderBook {
  private readonly bids: Side;
  private readonly asks: Side;
  /** True between a snapshot and a gap. */
  synced = false;
  /** `lastUpdateId` of the snapshot, then `u` of the last applied diff. */
  lastUpdateId = NaN;
  private firstPending = false;
  readonly stats: BookStats = { snapshots: 0, applied: 0, stale: 0, gaps: 0, unsynced: 0 };

  constructor(capacity = 1024) {
    this.bids = new Side(capacity, 1);
    this.asks = new Side(capacity, -1);
  }

  /** Replace the book with a snapshot; diffs are then checked against its `lastUpdateId`. */
  applySnapshot(s: BookSnapshot): void {
    this.bids.n = 0;
    this.asks.n = 0;
    // snapshots list the best level first: insert from the far end so each lands at the end
    for (let i = s.bidPrices.length - 1; i >= 0; i--) this.bids.set(s.bidPrices[i]!, s.bidQtys[i]!);
    for (let i = s.askPrices.length - 1; i >= 0; i--) this.asks.set(s.askPrices[i]!, s.askQtys[i]!);
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
    for (let i = 0; i < d.bidPrices.length; i++) this.bids.set(d.bidPrices[i]!, d.bidQtys[i]!);
    for (let i = 0; i < d.askPrices.length; i++) this.asks.set(d.askPrices[i]!, d.askQtys[i]!);
    this.lastUpdateId = u;
    this.stats.applied++;
    return 'applied';
  }

  private gap(): BookDiffResult {
    this.synced = false;
    this.stats.gaps++;
    return 'gap';
  }

  /** Write the best k levels of each side into `out`, best first (missing: price NaN, size 0). No allocation. */
  topK(k: number, out: TopLevels): void {
    this.bids.top(k, out.bidPrices, out.bidQtys);
    this.asks.top(k, out.askPrices, out.askQtys);
  }

  /** Levels on each side. */
  get depth(): { bids: number; asks: number } {
    return { bids: this.bids.n, asks: this.asks.n };
  }

  get bestBid(): number {
    return this.bids.n > 0 ? this.bids.px[this.bids.n - 1]! : NaN;
  }
  get bestBidQty(): number {
    return this.bids.n > 0 ? this.bids.qty[this.bids.n - 1]! : 0;
  }
  get bestAsk(): number {
    return this.asks.n > 0 ? this.asks.px[this.asks.n - 1]! : NaN;
  }
  get bestAskQty(): number {
    return this.asks.n > 0 ? this.asks.qty[this.asks.n - 1]! : 0;
  }

  /** Forget the book and the counters. */
  reset(): void {
    this.bids.n = 0;
    this.asks.n = 0;
    this.synced = false;
    this.firstPending = false;
    this.lastUpdateId = NaN;
    Object.assign(this.stats, { snapshots: 0, applied: 0, stale: 0, gaps: 0, unsynced: 0 });
  }
}

/** Preallocated top-k arrays for {@link LocalOrderBook.topK}. */
export function topLevels(k: number): TopLevels {
  return { bidPrices: new Float64Array(k), bidQtys: new Float64Array(k), askPrices: new Float64Array(k), askQtys: new Float64Array(k) };
}
