/**
 * Realised volatility for sizing: the RiskMetrics exponentially weighted moving average of
 * squared mid-price log returns, the mid sampled on a fixed clock and the result annualised
 * for a market that trades around the clock.
 *
 * Why a fixed clock: returns between ticks would count a burst of quotes as more variance and
 * a still book as none; a return per clock step measures the price path alone. Why EWMA: it
 * keeps O(1) state, and its one parameter λ sets the memory (about 1/(1−λ) samples).
 *
 * @see J.P. Morgan/Reuters, RiskMetrics — Technical Document, 4th ed. (1996), §5.2.1: σ²ₜ = λσ²ₜ₋₁ + (1−λ)r²ₜ with zero mean.
 */

/** Seconds in a 365-day year: crypto perpetuals trade every second of every day. */
export const SECONDS_PER_YEAR = 365 * 24 * 3600;

/**
 * A per-step standard deviation of log returns as an annualised volatility: √(steps a year).
 * @example annualise(1e-4, 1) // 1e-4 · √31,536,000 ≈ 0.5616
 */
export function annualise(sdPerStep: number, stepSec: number): number {
  return sdPerStep * Math.sqrt(SECONDS_PER_YEAR / stepSec);
}

/** Options of {@link EwmaVolatility}; the `risk` config's `vol_lambda`, `vol_step_sec`, `vol_warmup`. */
export interface EwmaVolatilityOptions {
  /** Decay per sample, 0 < λ < 1. */
  lambda: number;
  /** Sampling clock, seconds. */
  stepSec: number;
  /** Returns needed before a value is given; they also seed the EWMA with their equal-weighted mean square. */
  warmup: number;
}

/**
 * Streaming EWMA volatility of mid-price log returns on a fixed clock, annualised.
 *
 * The mid at a clock point `b` (multiples of the step since the epoch) is the last mid with
 * `ts ≤ b`; a point is closed once an input with a later `ts` (or {@link advance}) shows no more
 * can arrive for it, and its return is `ln(mid_b / mid_{b−step})`. Steps without a new mid are
 * zero returns (the price did not move). The first `warmup` returns are averaged with equal
 * weights (the seed, so the first squared return does not dominate the estimate); from then on
 * σ² ← λσ² + (1−λ)r². `value` is `null` until `warmup` returns have been seen.
 *
 * Inputs with a non-finite or non-positive mid are skipped (counted in `skipped`); a `ts` that
 * goes back is taken as the latest one seen.
 *
 * @example
 * const v = new EwmaVolatility({ lambda: 0.9, stepSec: 1, warmup: 2 });
 * v.update(0, 100); v.update(1000, 101); v.update(2000, 100); v.update(3000, 100);
 * v.value; // √((ln(1.01)² + ln(100/101)²)/2) · √31,536,000 ≈ 55.9
 */
export class EwmaVolatility {
  /** Inputs ignored for a bad mid or time. */
  skipped = 0;
  private readonly stepMs: number;
  private next = NaN;
  private lastTs = -Infinity;
  private mid = NaN;
  private sampleMid = NaN;
  private n = 0;
  private sumSq = 0;
  private variance = NaN;
  private inTs = NaN;
  private inMid = NaN;

  constructor(readonly options: EwmaVolatilityOptions) {
    if (!(options.lambda > 0 && options.lambda < 1)) throw new RangeError(`lambda: expected 0 < λ < 1, got ${options.lambda}`);
    if (!(options.stepSec > 0)) throw new RangeError(`stepSec: expected > 0, got ${options.stepSec}`);
    if (!(Number.isInteger(options.warmup) && options.warmup >= 1)) throw new RangeError(`warmup: expected an integer ≥ 1, got ${options.warmup}`);
    this.stepMs = options.stepSec * 1000;
  }

  /** Feed a mid at exchange time `ts` (ms). Returns the annualised volatility, `null` while warming up. */
  update(ts: number, mid: number): number | null {
    this.observe(ts, mid);
    return this.value;
  }

  /** {@link update} without reading the volatility back: for a caller feeding every quote and reading the value now and then. */
  observe(ts: number, mid: number): void {
    this.inTs = ts;
    this.inMid = mid;
    this.step();
  }

  /**
   * {@link observe} of a quote's mid, `0.5 · (bid + ask)`: the numbers are read from the quote
   * here, so a caller on a per-event path passes none (a number passed to a call V8 does not
   * inline is boxed, an allocation per call).
   */
  observeQuote(q: { readonly ts: number; readonly bidPrice: number; readonly askPrice: number }): void {
    this.inTs = q.ts;
    this.inMid = 0.5 * (q.bidPrice + q.askPrice);
    this.step();
  }

  /** The input in `inTs`, `inMid` (fields, not arguments: see {@link observeQuote}). */
  private step(): void {
    let ts = this.inTs;
    const mid = this.inMid;
    if (!(mid > 0) || !Number.isFinite(mid) || !Number.isFinite(ts)) {
      this.skipped++;
      return;
    }
    if (ts < this.lastTs) ts = this.lastTs;
    this.lastTs = ts;
    if (this.next !== this.next) this.next = Math.ceil(ts / this.stepMs) * this.stepMs;
    else if (ts > this.next) this.close(ts);
    this.mid = mid;
  }

  /** Move the clock to `ts` without a new mid, closing every clock point before it (a timer in a quiet market). */
  advance(ts: number): number | null {
    if (Number.isFinite(ts) && ts > this.lastTs) {
      this.lastTs = ts;
      if (this.next === this.next && ts > this.next) this.close(ts);
    }
    return this.value;
  }

  /**
   * The value {@link advance} would give at `ts`, without moving the clock: a read that changes
   * nothing, so the estimate never depends on when (or whether) someone looked at it. A
   * strategy reading the volatility for a risk check uses this; closing the points in two
   * pieces (a read, then the next mid) would round the decay differently from closing them
   * at once (λ^a · λ^b against λ^(a+b)).
   */
  valueAt(ts: number): number | null {
    if (!(Number.isFinite(ts) && ts > this.lastTs && this.next === this.next && ts > this.next)) return this.value;
    const { n, sumSq, variance, next, sampleMid } = this;
    this.close(ts);
    const v = this.value;
    this.n = n;
    this.sumSq = sumSq;
    this.variance = variance;
    this.next = next;
    this.sampleMid = sampleMid;
    return v;
  }

  /** Annualised volatility, `null` until `warmup` returns have been seen. */
  get value(): number | null {
    return this.n >= this.options.warmup ? annualise(Math.sqrt(this.variance), this.options.stepSec) : null;
  }

  get isReady(): boolean {
    return this.n >= this.options.warmup;
  }

  /** Returns seen so far (the warm-up counts them). */
  get samples(): number {
    return this.n;
  }

  /** Variance per step (not annualised), `NaN` before the first return. */
  get stepVariance(): number {
    return this.variance;
  }

  reset(): void {
    this.skipped = 0;
    this.next = NaN;
    this.lastTs = -Infinity;
    this.mid = NaN;
    this.sampleMid = NaN;
    this.n = 0;
    this.sumSq = 0;
    this.variance = NaN;
  }

  /** Close the clock points before `ts`: the first takes the current mid, the rest repeat it (zero returns). */
  private close(ts: number): void {
    const k = Math.ceil((ts - this.next) / this.stepMs);
    const prev = this.sampleMid;
    this.sampleMid = this.mid;
    this.next += k * this.stepMs;
    if (prev !== prev) {
      // the first clock point only starts the series; the rest are zero returns after it
      if (k > 1) this.addZeros(k - 1);
      return;
    }
    const r = Math.log(this.mid / prev);
    this.add(r * r);
    if (k > 1) this.addZeros(k - 1);
  }

  private add(r2: number): void {
    this.n++;
    if (this.n <= this.options.warmup) {
      this.sumSq += r2;
      this.variance = this.sumSq / this.n;
    } else this.variance = this.options.lambda * this.variance + (1 - this.options.lambda) * r2;
  }

  /** `k` zero returns at once: the seed's mean takes them one by one, the EWMA decays by λᵏ. */
  private addZeros(k: number): void {
    const seed = Math.min(k, Math.max(0, this.options.warmup - this.n));
    if (seed > 0) {
      this.n += seed;
      this.variance = this.sumSq / this.n;
    }
    const rest = k - seed;
    if (rest > 0) {
      this.n += rest;
      this.variance *= Math.pow(this.options.lambda, rest);
    }
  }
}
