/**
 * Fill models for liquidity takers: given the side of the book an order takes from and its
 * limit, at what prices and in what sizes it executes. (Makers fill through a queue model,
 * `queue.ts`.) The simulator hands the model the levels it knows, best first; a model never
 * executes at a price better than the best level it was handed, and never beyond the limit.
 *
 * Taking does not deplete the recorded book: the next update comes from the data, which did not
 * see the order. Two takers in a row meet the same liquidity, as in hftbacktest's exchange
 * models; keep orders small against the displayed size, or read the results with that in mind.
 *
 * @see https://hftbacktest.readthedocs.io/en/latest/order_fill.html
 */

/** The side of the book a taker meets: asks for a buy (prices rising), bids for a sell (falling). */
export interface TakerBook {
  /** +1 taking asks (a buy), −1 taking bids (a sell): a worse price is `dir ×` larger. */
  dir: 1 | -1;
  /** Levels known; level 0 is the touch. */
  n: number;
  prices: Float64Array;
  qtys: Float64Array;
  /** True when the levels beyond the touch come from depth data; false when only the touch (a quote) is known. */
  hasDepth: boolean;
  /**
   * True when the side has (or may have) levels beyond the `n` given: the simulator hands a
   * taker the touch first, then the best 32 levels (copying a side of thousands of levels per
   * order costs more than the walk), and asks again with more when the executions fill less
   * than the quantity.
   */
  more?: boolean;
}

/** Where executions are written: price and quantity pairs, grown by the simulator as needed. */
export interface Executions {
  prices: Float64Array;
  qtys: Float64Array;
}

/** How a taker executes. */
export interface FillModel {
  readonly name: string;
  /**
   * Execute up to `qty` against `book`, no worse than `limit` (`Infinity` for a market buy,
   * `-Infinity` for a market sell). Writes executions into `out` from index 0, at most
   * `out.prices.length` of them, and returns how many; their quantities sum to at most `qty`
   * (less when liquidity within the limit runs out). When `book.more` is set and the
   * executions fill less than `qty`, the simulator calls again with the whole side; a model
   * that fills `qty` from the levels given must not depend on the levels behind them.
   */
  take(qty: number, limit: number, book: TakerBook, out: Executions): number;
}

export interface TouchFillOptions {
  /** Marginal price impact, in bps of the touch price, once one more touch size has been taken beyond the touch. Default 1 (measured, see {@link TouchFill}). */
  slippageBps?: number;
  /** How impact grows with the quantity beyond the touch, in touch sizes: 1 linear (a book of equal levels), 0.5 the square-root law. Default 0.5 (measured). */
  slippageExponent?: number;
}

/**
 * Fill at the touch, with size-aware slippage beyond it: the displayed touch size fills at the
 * touch price; past it the book is taken to be a smooth continuation whose marginal price, after
 * `x` more units, is `touch × (1 + dir × s × (x / T)^e / 10⁴)` (`T` the touch size, `s`
 * `slippageBps`, `e` `slippageExponent`). The part beyond the touch executes as one fill at
 * the average of that curve, `touch × (1 + dir × s × (r / T)^e / ((e + 1) × 10⁴))` for `r`
 * units, and stops where the marginal price reaches the limit. `e = 1` is a book of equal
 * levels; `e = 0.5` is the square-root impact law (Bouchaud et al., "Trades, Quotes and
 * Prices", 2018, ch. 12).
 *
 * For when only the best bid and ask are known (bookTicker, a dump's bookTicker, LOBSTER
 * level 1). A touch with no size (0 or NaN) gives no execution: nothing was offered.
 *
 * The defaults come from the full books of the USD-M captures in `../shared/data` (every 20th
 * depth update once in sync, both sides): the price of the level where the depth beyond the
 * touch reaches `x` touch sizes lay, at the median, 0.93 / 1.28 / 1.96 / 3.02 / 4.79 / 7.22 bps
 * from the touch for x = 1 / 2 / 4 / 8 / 16 / 32 on BTCUSDT (2024-08-08), 1.01 / 1.42 / 1.90 /
 * 2.46 / 3.36 / 5.00 on ETHUSDT, 1.61 … 13.6 on BTCUSDT (2024-07-18): about 1 bp at one
 * touch size, growing ×1.3–1.6 per doubling, i.e. `x^0.4–0.7` — the square-root law.
 *
 * @example
 * // touch 100 × 2, buying 4 with s = 1 bps, e = 1: 2 @ 100, then 2 more at 100 × (1 + 1 × 1 / 2 / 10⁴) = 100.005
 */
export class TouchFill implements FillModel {
  readonly name: string = 'touch';
  readonly slippageBps: number;
  readonly slippageExponent: number;

  constructor(options: TouchFillOptions = {}) {
    this.slippageBps = options.slippageBps ?? 1;
    this.slippageExponent = options.slippageExponent ?? 0.5;
    if (!(this.slippageBps >= 0) || !Number.isFinite(this.slippageBps)) throw new RangeError(`slippageBps ${this.slippageBps}: expected a finite number ≥ 0`);
    if (!(this.slippageExponent > 0) || !Number.isFinite(this.slippageExponent)) throw new RangeError(`slippageExponent ${this.slippageExponent}: expected a finite number > 0`);
  }

  take(qty: number, limit: number, book: TakerBook, out: Executions): number {
    if (book.n === 0) return 0;
    return this.fromTouch(qty, limit, book.dir, book.prices[0]!, book.qtys[0]!, out, 0);
  }

  /** Executions at and beyond a touch of `touchQty` at `touch`, written from `k`; returns the new count. */
  protected fromTouch(qty: number, limit: number, dir: 1 | -1, touch: number, touchQty: number, out: Executions, k: number): number {
    if (!(touchQty > 0) || !(touch > 0) || dir * (touch - limit) > 0) return k;
    const first = Math.min(qty, touchQty);
    out.prices[k] = touch;
    out.qtys[k] = first;
    k++;
    let rest = qty - first;
    const s = this.slippageBps / 10_000;
    if (rest <= 0 || s === 0 || k >= out.prices.length) {
      // no impact configured: the touch size is all that was offered at a known price
      return k;
    }
    const e = this.slippageExponent;
    // the most the curve allows before its marginal price passes the limit
    if (Number.isFinite(limit)) {
      const room = (dir * (limit - touch)) / touch / s;
      const maxRest = touchQty * Math.pow(room, 1 / e);
      if (maxRest < rest) rest = maxRest;
    }
    if (!(rest > 0)) return k;
    let price = touch * (1 + (dir * s * Math.pow(rest / touchQty, e)) / (e + 1));
    // the average never passes the limit, but rounding may graze it
    if (Number.isFinite(limit) && dir * (price - limit) > 0) price = limit;
    out.prices[k] = price;
    out.qtys[k] = rest;
    return k + 1;
  }
}

/**
 * Walk the book: take each level in turn, best first, at its price and up to its size, while
 * the price is within the limit. Used when the simulator keeps a local book from depth data
 * (every level is then known). Beyond the last level the data shows, nothing more executes:
 * liquidity that was not recorded is not invented. With only a touch known (no depth yet,
 * or a book out of sync) it falls back to {@link TouchFill} and its slippage curve.
 *
 * @example
 * // asks 100 × 1, 101 × 2, 102 × 5; a market buy of 6: 1 @ 100, 2 @ 101, 3 @ 102
 */
export class BookWalkFill extends TouchFill {
  override readonly name: string = 'book_walk';

  override take(qty: number, limit: number, book: TakerBook, out: Executions): number {
    if (!book.hasDepth) return super.take(qty, limit, book, out);
    const { dir, prices, qtys } = book;
    let left = qty;
    let k = 0;
    for (let i = 0; i < book.n && left > 0 && k < out.prices.length; i++) {
      const p = prices[i]!;
      if (dir * (p - limit) > 0) break;
      const q = qtys[i]!;
      if (!(q > 0)) continue;
      const x = q < left ? q : left;
      out.prices[k] = p;
      out.qtys[k] = x;
      k++;
      left -= x;
    }
    return k;
  }
}
