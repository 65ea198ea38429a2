/**
 * One side's levels as a pair of sorted `Float64Array`s (prices, sizes) with the *best price at
 * the end*: ascending `price · dir`. The price ladder ({@link ./book-ladder.ts}) keeps here only
 * what it cannot index — levels far from the touch (Binance's standing bids at 1000.00, asks at
 * ten times the price) and prices off the tick grid — which are few and rarely touched, so a
 * binary search and a `copyWithin` shift are cheap enough. Levels arriving in ascending order
 * (a rebuild, a snapshot read from its far end) append in O(1).
 */
export class SortedLevels {
  px: Float64Array;
  qty: Float64Array;
  n = 0;

  constructor(
    cap: number,
    /** +1: bids (best = highest at the end); −1: asks (best = lowest at the end). */
    readonly dir: 1 | -1,
  ) {
    this.px = new Float64Array(Math.max(1, cap));
    this.qty = new Float64Array(Math.max(1, cap));
  }

  /** Index of `price`, or −(insertion point) − 1. */
  find(price: number): number {
    const key = price * this.dir;
    let lo = 0;
    let hi = this.n - 1;
    // appends (ascending input) and changes at the best end need no search
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

  /** Set the size at `price`; 0 removes the level. */
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
}
