/**
 * The price grid of an order book: the tick as an exact decimal fraction `num / 10^dec`, so a
 * price becomes an integer number of ticks and back **bit for bit**.
 *
 * Why exact and not a float tolerance: exchange prices arrive as decimal strings (Binance's
 * `"61800.2"`) and are parsed once with `Number()`, which yields the double nearest to the
 * decimal. For an integer `n` of grid units, `(n · num) / 10^dec` is one exact product and one
 * correctly rounded division, i.e. the double nearest to the same decimal — the parsed price
 * itself. So a book that stores levels by tick index can hand back the very prices it was given
 * (tests compare them with `toEqual` against bookTicker), and a price that does not survive the
 * round trip is, by that test alone, not on the grid.
 *
 * The tick is either given (an instrument's `tickSize` from exchangeInfo, e.g.
 * `config.symbols.BTCUSDT.tick_size`) and then fixed, or inferred as the greatest common grid of
 * the prices seen so far: every price is an integer of units of `10^-dec` (its decimals, at most
 * {@link MAX_DECIMALS}) and the tick is the gcd of those integers. An inferred tick only ever
 * gets finer (a snapshot of prices that are all multiples of 0.2 gives 0.2; a later 0.1 refines
 * it).
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Exchange-Information (PRICE_FILTER tickSize)
 */

/** Most decimals a price may carry to sit on a grid (Binance quotes at most 8). */
export const MAX_DECIMALS = 12;
/** Largest grid index kept exact: products with the tick's numerator must stay below 2^53. */
const MAX_UNITS = 2 ** 50;
const POW10: readonly number[] = Array.from({ length: MAX_DECIMALS + 1 }, (_, i) => 10 ** i);

/**
 * The fewest decimals `d ≤ MAX_DECIMALS` for which `x` is the double nearest to a decimal with
 * `d` places (`Math.round(x · 10^d) / 10^d === x`); −1 when there is none (a computed value such
 * as `0.1 + 0.2`, a non-finite value, or a value too large to count exactly).
 * @example decimalsOf(61800.2) // 1 — decimalsOf(0.1 + 0.2) // -1
 */
export function decimalsOf(x: number): number {
  if (!Number.isFinite(x)) return -1;
  for (let d = 0; d <= MAX_DECIMALS; d++) {
    const p = POW10[d]!;
    const n = Math.round(x * p);
    if (Math.abs(n) > MAX_UNITS) return -1;
    if (n / p === x) return d;
  }
  return -1;
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/** A tick `num / 10^dec` (`num` 0: none yet), fixed when given, else refined from prices. */
export class PriceGrid {
  /** Tick numerator in units of 10^-dec; 0 while no price has been seen. */
  num = 0;
  /** 10^dec (0 while no price has been seen). */
  den = 0;
  private dec = 0;
  readonly fixed: boolean;

  /** @param tickSize the instrument's tick; omitted: inferred from the prices. */
  constructor(tickSize?: number) {
    this.fixed = tickSize !== undefined;
    if (tickSize === undefined) return;
    const d = decimalsOf(tickSize);
    if (!(tickSize > 0) || d < 0) throw new RangeError(`tickSize: expected a positive decimal with at most ${MAX_DECIMALS} places, got ${tickSize}`);
    this.dec = d;
    this.den = POW10[d]!;
    this.num = Math.round(tickSize * this.den);
  }

  /** The tick as a number (`NaN` before any price). */
  get tick(): number {
    return this.num === 0 ? NaN : this.num / this.den;
  }

  /** Whether `price` is a whole number of ticks that maps back to itself exactly. */
  has(price: number): boolean {
    if (this.num === 0) return false;
    const n = Math.round((price * this.den) / this.num);
    return Math.abs(n) <= MAX_UNITS && (n * this.num) / this.den === price;
  }

  /**
   * Refine an inferred grid so that `price` lies on it; true when the grid changed. False for a
   * fixed grid, a price already on it, or one that cannot be on any grid (too many decimals, too
   * large, or 0 on an empty grid) — the caller keeps such a price off the grid.
   */
  admit(price: number): boolean {
    if (this.fixed || this.has(price)) return false;
    const d = decimalsOf(price);
    if (d < 0) return false;
    const dec = this.num === 0 ? d : Math.max(d, this.dec);
    const den = POW10[dec]!;
    const n = Math.abs(Math.round(price * den));
    const num = this.num === 0 ? n : gcd(this.num * POW10[dec - this.dec]!, n);
    if (num === 0 || n / num > MAX_UNITS) return false;
    this.num = num;
    this.den = den;
    this.dec = dec;
    return true;
  }

  /** Forget an inferred tick (a fixed one stays). */
  reset(): void {
    if (this.fixed) return;
    this.num = 0;
    this.den = 0;
    this.dec = 0;
  }
}
