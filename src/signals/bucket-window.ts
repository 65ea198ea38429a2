/**
 * A trailing window of exchange time cut into fixed steps (buckets), keeping one number per
 * bucket: a sum (event counts, for rates) or a minimum (receive−exchange times, for the lag
 * baseline). The gates of `CoreAlgorithm` ask "how many trades in the last ten seconds" and
 * "what is the least delay of the last minute" on every update; buckets answer both in O(1)
 * per update and O(window/step) once per step, in preallocated typed arrays, so a long run
 * neither allocates nor drifts (sums of counts are exact integers; a minimum is recomputed
 * from the buckets, never updated by subtraction).
 *
 * The window at time `t` is the bucket holding `t` and the `n − 1` before it, `n =
 * ceil(windowMs / stepMs)`: up to one step longer than asked, never shorter.
 *
 * @see Bucketed sliding windows as in Hystrix/Resilience4j rolling metrics (a ring of per-interval counters).
 */

/** Sum or minimum over the buckets of a trailing window. */
export class BucketWindow {
  private readonly n: number;
  private readonly vals: Float64Array;
  private cur = NaN;
  /** Start of the bucket after the current one. */
  private curEnd = -Infinity;
  /** Ring index of the current bucket. */
  private cs = 0;
  private first = NaN;
  private last = -Infinity;
  /** Sum mode: the running total over the window's buckets. Min mode: the least of the completed buckets in the window. */
  private acc: number;

  constructor(
    readonly windowMs: number,
    readonly stepMs: number,
    readonly mode: 'sum' | 'min',
  ) {
    if (!(stepMs > 0) || !(windowMs > 0)) throw new RangeError(`window ${windowMs} ms / step ${stepMs} ms: expected both > 0`);
    this.n = Math.max(1, Math.ceil(windowMs / stepMs));
    this.vals = new Float64Array(this.n).fill(this.empty);
    this.acc = this.empty;
  }

  private get empty(): number {
    return this.mode === 'sum' ? 0 : Infinity;
  }

  /** Add `v` at time `ts` (a `ts` before the latest one seen counts at the latest). */
  add(ts: number, v: number): void {
    if (this.advance(ts)) this.put(v);
  }

  /**
   * {@link add} at `at.ts`: the time read from an object, for a caller on a per-event path (a
   * time passed as a number to a call V8 does not inline is boxed, an allocation per call; an
   * object is not). {@link advance} decides the common case — a time in the current bucket —
   * in code small enough to inline, so the time reaches no call; only a new bucket (once a
   * step) does.
   */
  addAt(at: { readonly ts: number }, v: number): void {
    if (this.advance(at.ts)) this.put(v);
  }

  /** {@link advance} to `at.ts` (see {@link addAt}). */
  advanceAt(at: { readonly ts: number }): void {
    this.advance(at.ts);
  }

  /** Move the window's end to `ts` without a value; false when `ts` is not a finite time. */
  advance(ts: number): boolean {
    // the common case: a later time in the current bucket (false for NaN, which goes on below)
    if (ts >= this.last && ts < this.curEnd) {
      this.last = ts;
      return true;
    }
    return this.roll(ts);
  }

  /** `v` into the current bucket. */
  private put(v: number): void {
    const s = this.cs;
    if (this.mode === 'sum') {
      this.vals[s]! += v;
      this.acc += v;
    } else if (v < this.vals[s]!) this.vals[s] = v;
  }

  /** {@link advance} past the common case: a new bucket, an earlier time, not a time. */
  private roll(ts: number): boolean {
    if (!Number.isFinite(ts)) return false;
    if (ts < this.last) ts = this.last;
    this.last = ts;
    const b = Math.floor(ts / this.stepMs);
    if (this.cur !== this.cur) {
      this.cur = b;
      this.cs = slot(b, this.n);
      this.curEnd = (b + 1) * this.stepMs;
      this.first = ts;
      return true;
    }
    if (b === this.cur) return true;
    const n = this.n;
    // clear the buckets that leave: those from cur+1 up to b (at most n of them)
    const from = Math.max(this.cur + 1, b - n + 1);
    for (let j = from; j <= b; j++) {
      const s = slot(j, n);
      if (this.mode === 'sum') this.acc -= this.vals[s]!;
      this.vals[s] = this.empty;
    }
    if (b - this.cur >= n && this.mode === 'sum') this.acc = 0;
    this.cur = b;
    this.cs = slot(b, n);
    this.curEnd = (b + 1) * this.stepMs;
    if (this.mode === 'min') {
      let m = Infinity;
      const cs = this.cs;
      for (let s = 0; s < n; s++) if (s !== cs && this.vals[s]! < m) m = this.vals[s]!;
      this.acc = m;
    }
    return true;
  }

  /** The sum, or the minimum (`Infinity` when empty), over the window ending at the latest time seen. */
  get value(): number {
    if (this.mode === 'sum') return this.acc;
    const c = this.vals[this.cs]!;
    return c < this.acc ? c : this.acc;
  }

  /**
   * Milliseconds the window covers at the latest time seen: from the later of its first
   * bucket's start and the first time ever seen, to that time. What a sum is divided by for
   * a rate; `NaN` before any time.
   */
  get span(): number {
    if (this.cur !== this.cur) return NaN;
    const start = Math.max(this.first, (this.cur - this.n + 1) * this.stepMs);
    return this.last - start;
  }

  reset(): void {
    this.vals.fill(this.empty);
    this.cur = NaN;
    this.curEnd = -Infinity;
    this.cs = 0;
    this.first = NaN;
    this.last = -Infinity;
    this.acc = this.empty;
  }
}

/** Ring index of bucket `j` (times before 1970 give negative buckets). */
function slot(j: number, n: number): number {
  const s = j % n;
  return s < 0 ? s + n : s;
}
