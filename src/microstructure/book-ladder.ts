/**
 * One side of a local order book as a price-indexed ladder: sizes in a `Float64Array` indexed by
 * tick, so setting, adding or removing a level is one array write — where a sorted array shifts
 * half a side (thousands of levels on a Binance book that has been diffed for a while, as far-off
 * levels accumulate).
 *
 * **Keys.** A price `p` on the grid (see {@link PriceGrid}) has key `dir · p / tick`, an
 * integer, so on both sides the best level has the highest key (bids: `dir` +1, asks −1) and one
 * code path serves both. The ladder covers keys `[base, base + W)`: slot `s` holds key
 * `base + s`. A bitset marks the occupied slots, so the next level behind the best and the top k
 * are found a word (32 ticks) at a time, and the best slot is kept incrementally (a scan only
 * when the best level empties).
 *
 * **Window.** The window sits with the best a quarter of the way from its front edge, where the
 * market moves: a new level beyond the front moves it (the touch moved), a best that drifts
 * into the back eighth re-centres it, and far-off levels that do not fit even a window of the
 * largest size go to a small sorted store ({@link SortedLevels}) — Binance's books keep levels
 * at 1000.00 and at ten times the price, which no useful window covers. The window starts at
 * {@link MIN_WINDOW} ticks and doubles up to a maximum (default {@link MAX_WINDOW}) when levels
 * arrive outside it. Prices off the grid are kept in the sorted store too (after the grid has
 * had a chance to refine: the book decides, see {@link GridKeeper}), so any price is accepted
 * and handed back exactly.
 *
 * **Invariant.** A price is in the ladder iff it is on the grid and its key is inside the
 * window; otherwise it is in the sorted store. Every path (a diff, a snapshot, a rebuild when the
 * window or the grid changes) places levels by this one rule, so a later change finds its level.
 */
import { ArrayPool } from '../core/array-pool.js';
import { SortedLevels } from './book-sparse.js';
import type { PriceGrid } from './price-grid.js';

/** Initial ladder size in ticks (a power of two, at least 32). */
export const MIN_WINDOW = 4096;
/**
 * Default largest ladder, in ticks: 2^18 slots, 2 MiB of sizes a side (pages never touched cost
 * no memory). On the 2024-08-08 captures it holds all but ~3% (BTCUSDT, tick 0.1: ±13,000 USD)
 * and ~5% (ETHUSDT, tick 0.01: ±1,300 USD) of the level changes; the rest hit a few dozen
 * standing far-off levels in the sorted store.
 */
export const MAX_WINDOW = 2 ** 18;
/**
 * Ladders of grown and released sides, for the next side that needs one of their size (a sweep
 * builds new books run after run). Every array here is zero: a side is emptied before its arrays
 * go back.
 */
const ladderSlots = new ArrayPool<Float64Array>((n) => new Float64Array(n));
const ladderBits = new ArrayPool<Int32Array>((n) => new Int32Array(n));

/** Grid indices beyond this are not trusted to be exact (products must stay below 2^53). */
const MAX_KEY = 2 ** 50;

/** The book's answer to a price off the grid: refine the grid (rebuilding both sides) or keep the level in the sorted store. */
export interface GridKeeper {
  offGrid(side: LadderSide, price: number, qty: number): void;
}

export class LadderSide {
  private q: Float64Array;
  private bits: Int32Array;
  /** Window size in ticks (a power of two). */
  W: number;
  /** Key of slot 0. */
  base = 0;
  /** Levels in the ladder. */
  count = 0;
  /** Slot of the ladder's best level (−1: none) and its price. */
  top = -1;
  topPx = NaN;
  /** Far and off-grid levels. */
  readonly ov: SortedLevels;
  private scale = NaN;
  private unit = 0;
  private den = 0;
  private busy = false;
  private sp = new Float64Array(0);
  private sq = new Float64Array(0);

  constructor(
    /** +1 bids, −1 asks. */
    readonly dir: 1 | -1,
    sparseCapacity: number,
    private readonly maxW: number,
    private readonly grid: PriceGrid,
    private readonly keeper: GridKeeper,
  ) {
    this.W = Math.min(MIN_WINDOW, maxW);
    this.q = ladderSlots.take(this.W);
    this.bits = ladderBits.take(this.W >> 5);
    this.ov = new SortedLevels(sparseCapacity, dir);
    this.syncGrid();
  }

  /** Levels on this side. */
  get size(): number {
    return this.count + this.ov.n;
  }

  /** Set the size at `price` (0 removes the level), the window moved or grown as needed. */
  set(price: number, qty: number): void {
    const key = Math.round(price * this.scale);
    const d = key - this.base;
    if (d >= 0 && d < this.W && (key * this.unit) / this.den === price) this.put(d | 0, price, qty);
    else this.setOutside(price, qty, key);
  }

  /**
   * {@link LadderSide.set} over a diff's levels: the hot path. The window, grid and best are
   * held in locals, written back around the rare calls that may move the window or change the
   * grid. Whether a change adds, updates or removes a level is data (on Binance diffs roughly
   * 20% / 57% / 18%, the rest removals of absent levels), so the count and the bitset are
   * updated without branching on it (`+(x !== 0)` compiles to a flag, not a jump): a
   * mispredicted branch costs more than the whole update. Only a change at or above the best
   * branches (a few % of changes).
   */
  apply(prices: ArrayLike<number>, qtys: ArrayLike<number>, from = 0, to = prices.length): void {
    let scale = this.scale;
    let base = this.base;
    let W = this.W;
    let unit = this.unit;
    let den = this.den;
    let q = this.q;
    let bits = this.bits;
    let top = this.top;
    let count = this.count;
    for (let i = from; i < to; i++) {
      const price = prices[i]!;
      const qty = qtys[i]!;
      const key = Math.round(price * scale);
      const d = key - base;
      if (d >= 0 && d < W && (key * unit) / den === price) {
        const s = d | 0;
        const was = +(q[s]! !== 0);
        const is = +(qty !== 0);
        q[s] = qty;
        count += is - was;
        bits[s >> 5]! ^= (was ^ is) << (s & 31);
        if (s < top) continue;
        if (is === 1) {
          if (s > top) {
            top = s;
            this.topPx = price;
          }
          continue;
        }
        if (s !== top) continue;
        this.top = top;
        this.count = count;
        this.dropTop(s);
      } else {
        this.top = top;
        this.count = count;
        this.setOutside(price, qty, key);
      }
      scale = this.scale;
      base = this.base;
      W = this.W;
      unit = this.unit;
      den = this.den;
      q = this.q;
      bits = this.bits;
      top = this.top;
      count = this.count;
    }
    this.top = top;
    this.count = count;
  }

  /** A price outside the ladder: off the grid, far off, or one that moves or grows the window. */
  private setOutside(price: number, qty: number, key: number): void {
    if (!((key * this.unit) / this.den === price)) return this.keeper.offGrid(this, price, qty);
    if (qty === 0 || !(Math.abs(key) <= MAX_KEY) || this.busy) return this.ov.set(price, qty);
    let anchor: number;
    let W = this.W;
    if (this.count === 0) anchor = key;
    else {
      const best = this.base + this.top;
      const dist = key > best ? key - best : best - key;
      while (W < this.maxW && dist >= W - (W >> 2)) W *= 2;
      if (dist >= W - (W >> 2)) return this.ov.set(price, qty); // both cannot fit: the touch keeps the window
      anchor = key > best ? key : best;
    }
    this.rebuild(W, anchor);
    this.place(price, qty);
  }

  /** Put a level where the invariant says it lives, without moving the window. */
  place(price: number, qty: number): void {
    const key = Math.round(price * this.scale);
    const s = key - this.base;
    if (s >= 0 && s < this.W && (key * this.unit) / this.den === price) this.put(s, price, qty);
    else this.ov.set(price, qty);
  }

  /** Whether `price` is on the grid with a key the ladder can hold. */
  onGrid(price: number): boolean {
    const key = Math.round(price * this.scale);
    return Math.abs(key) <= MAX_KEY && (key * this.unit) / this.den === price;
  }

  private put(s: number, price: number, qty: number): void {
    const old = this.q[s]!;
    if (qty === 0) {
      if (old !== 0) this.drop(s);
      return;
    }
    this.q[s] = qty;
    if (old !== 0) return;
    this.bits[s >> 5]! |= 1 << (s & 31);
    this.count++;
    if (s > this.top) {
      this.top = s;
      this.topPx = price;
    }
  }

  private drop(s: number): void {
    this.q[s] = 0;
    this.bits[s >> 5]! &= ~(1 << (s & 31));
    this.count--;
    if (s === this.top) this.dropTop(s);
  }

  /** The best level (slot `s`) is gone: the next one behind it becomes the best. */
  private dropTop(s: number): void {
    if (this.count === 0) {
      this.top = -1;
      this.topPx = NaN;
      return;
    }
    const t = this.below(s);
    this.top = t;
    this.topPx = this.priceAt(t);
    // the best drifted to the back of the window: re-centre before the book spills into the sorted store
    if (t < this.W >> 3 && !this.busy) this.rebuild(this.W, this.base + t);
  }

  /** Highest occupied slot below `s`, or −1. */
  private below(s: number): number {
    const bits = this.bits;
    let w = s >> 5;
    const b = s & 31;
    let word = b === 0 ? 0 : bits[w]! & ((1 << b) - 1);
    while (word === 0) {
      if (--w < 0) return -1;
      word = bits[w]!;
    }
    return (w << 5) + 31 - Math.clz32(word);
  }

  private priceAt(s: number): number {
    return ((this.base + s) * this.unit) / this.den;
  }

  /** Best price (`NaN`: empty side) and its size (0: empty). */
  bestPrice(): number {
    const n = this.ov.n;
    if (n === 0) return this.topPx;
    const o = this.ov.px[n - 1]!;
    return this.top >= 0 && this.topPx * this.dir > o * this.dir ? this.topPx : o;
  }
  bestQty(): number {
    const n = this.ov.n;
    if (n === 0) return this.top >= 0 ? this.q[this.top]! : 0;
    return this.top >= 0 && this.topPx * this.dir > this.ov.px[n - 1]! * this.dir ? this.q[this.top]! : this.ov.qty[n - 1]!;
  }

  /**
   * The best k levels, best first, merged from the ladder and the sorted store; missing levels
   * get price NaN and size 0. The ladder is walked a bitset word at a time (32 ticks; empty
   * words cost one compare), a level's price computed only when it is written.
   */
  writeTop(k: number, prices: Float64Array, qtys: Float64Array): void {
    const dir = this.dir;
    const ov = this.ov;
    const opx = ov.px;
    const oq = ov.qty;
    let j = ov.n - 1;
    let m = 0;
    if (this.top >= 0 && k > 0) {
      const { q, bits, base, unit, den } = this;
      let w = this.top >> 5;
      // the best is the highest occupied slot: no bit above it in its word
      let word = bits[w]!;
      walk: for (;;) {
        while (word !== 0) {
          const b = 31 - Math.clz32(word);
          word ^= 1 << b;
          const s = (w << 5) + b;
          const p = ((base + s) * unit) / den;
          // sparse levels better than this one go first
          while (j >= 0 && opx[j]! * dir > p * dir) {
            prices[m] = opx[j]!;
            qtys[m] = oq[j]!;
            j--;
            if (++m === k) break walk;
          }
          prices[m] = p;
          qtys[m] = q[s]!;
          if (++m === k) break walk;
        }
        do if (--w < 0) break walk;
        while ((word = bits[w]!) === 0);
      }
    }
    for (; m < k && j >= 0; m++, j--) {
      prices[m] = opx[j]!;
      qtys[m] = oq[j]!;
    }
    for (; m < k; m++) {
      prices[m] = NaN;
      qtys[m] = 0;
    }
  }

  /** Take the grid's current tick (only with the side empty, or through {@link LadderSide.regrid}). */
  private syncGrid(): void {
    const g = this.grid;
    this.den = g.den;
    this.unit = this.dir * g.num;
    this.scale = (this.dir * g.den) / g.num;
  }

  /** Empty the side. */
  clear(): void {
    const bits = this.bits;
    const q = this.q;
    for (let w = 0; w < bits.length; w++) {
      let word = bits[w]!;
      if (word === 0) continue;
      while (word !== 0) {
        q[(w << 5) + 31 - Math.clz32(word & -word)] = 0;
        word &= word - 1;
      }
      bits[w] = 0;
    }
    this.count = 0;
    this.top = -1;
    this.topPx = NaN;
    this.ov.n = 0;
  }

  /**
   * Replace the side with a snapshot's levels: the window is centred on its best and sized to its
   * span first, so no level moves it; levels are read from the far end (a snapshot lists the best
   * first), so those kept in the sorted store append.
   */
  load(prices: ArrayLike<number>, qtys: ArrayLike<number>, from = 0, to = prices.length): void {
    this.clear();
    this.syncGrid();
    let hi = -Infinity;
    let lo = Infinity;
    for (let i = from; i < to; i++) {
      const p = prices[i]!;
      if (qtys[i] === 0 || !this.onGrid(p)) continue;
      const key = Math.round(p * this.scale);
      if (key > hi) hi = key;
      if (key < lo) lo = key;
    }
    if (hi >= lo) {
      let W = this.W;
      while (W < this.maxW && hi - lo >= W - (W >> 2)) W *= 2;
      this.resize(W);
      this.base = hi + (W >> 2) - W;
    }
    this.busy = true;
    for (let i = to - 1; i >= from; i--) this.place(prices[i]!, qtys[i]!);
    this.busy = false;
  }

  /** Re-place every level after the grid changed, the window around the best. */
  regrid(): void {
    const m = this.collect();
    this.clear();
    this.syncGrid();
    const best = m > 0 ? Math.round(this.sp[m - 1]! * this.scale) : 0;
    this.base = (Math.abs(best) <= MAX_KEY ? best : 0) + (this.W >> 2) - this.W;
    this.refill(m);
  }

  /** Move (and maybe grow) the window so `anchor` sits a quarter from its front; every level re-placed. */
  private rebuild(W: number, anchor: number): void {
    const m = this.collect();
    this.clear();
    this.resize(W);
    this.base = anchor + (W >> 2) - W;
    this.refill(m);
  }

  /** A window of `W` slots (the side is empty: every caller clears it first, so the old arrays go back zero). */
  private resize(W: number): void {
    if (W === this.W) return;
    ladderSlots.give(this.q);
    ladderBits.give(this.bits);
    this.W = W;
    this.q = ladderSlots.take(W);
    this.bits = ladderBits.take(W >> 5);
  }

  /** Empty the side and shrink it to the initial window, its ladder given back for another side. */
  release(): void {
    this.clear();
    this.resize(Math.min(MIN_WINDOW, this.maxW));
  }

  /** All levels into the scratch arrays, ascending `price · dir` (ladder and sorted store merged); returns their number. */
  private collect(): number {
    const n = this.size;
    if (this.sp.length < n) {
      this.sp = new Float64Array(n * 2);
      this.sq = new Float64Array(n * 2);
    }
    const { sp, sq, ov, bits, q, dir } = this;
    let m = 0;
    let j = 0;
    for (let w = 0; w < bits.length; w++) {
      let word = bits[w]!;
      while (word !== 0) {
        const s = (w << 5) + 31 - Math.clz32(word & -word);
        word &= word - 1;
        const p = this.priceAt(s);
        while (j < ov.n && ov.px[j]! * dir < p * dir) {
          sp[m] = ov.px[j]!;
          sq[m++] = ov.qty[j++]!;
        }
        sp[m] = p;
        sq[m++] = q[s]!;
      }
    }
    while (j < ov.n) {
      sp[m] = ov.px[j]!;
      sq[m++] = ov.qty[j++]!;
    }
    return m;
  }

  private refill(m: number): void {
    this.busy = true;
    for (let i = 0; i < m; i++) this.place(this.sp[i]!, this.sq[i]!);
    this.busy = false;
  }
}
