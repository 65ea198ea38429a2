/**
 * The sampling behind the price-impact regression of Cont, Kukanov & Stoikov (2014): time cut
 * into intervals of equal length, and per interval the mid-price change and the order flow
 * imbalance, ready for `ΔP = α + β·OFI + ε` (or one β per book level, Xu, Gould & Howison 2019).
 *
 * Exactly:
 * - Intervals are `[kΔ, (k+1)Δ)` on the epoch (a 10 s interval starts on a whole 10 s), the grid
 *   of `bars.ts`. An interval closes when an event at or after its end arrives, or on `finish()`;
 *   an event earlier than the open interval (a late message) counts in the open interval, which
 *   never reopens a closed one.
 * - ΔP of interval k is the last mid of k minus the last mid of k − 1, a mid carried forward
 *   over intervals without quotes. The first interval that has a mid has no predecessor: it only
 *   sets the reference and is not an observation. Intervals before the first mid are not either.
 * - OFI of interval k is the sum of the flows (e_n, or e^m_n per level) of the updates in it.
 * - An interval with no event at all between two that have events is an observation with ΔP = 0
 *   and OFI = 0 (the price did not move and no flow arrived; it is counted in `empty`).
 *
 * Prices stay in price units here; the caller divides ΔP by the tick (see {@link TickEstimator}).
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1), §3 (eq. 8; 10-second intervals).
 * @see Xu, Gould & Howison (2019), "Multi-level order-flow imbalance in a limit order book", Market Microstructure and Liquidity 4(3–4), §4.
 */
import { UserInputError } from '../core/errors.js';

/** The observations gathered, one row per interval, as columns. */
export interface ImpactSamples {
  /** Interval starts (ms since epoch). */
  start: Float64Array;
  /** Mid change over the interval, in price units. */
  dP: Float64Array;
  /** One column per channel (level): the sum of the interval's flows. */
  ofi: Float64Array[];
  /** Events in each interval. */
  events: Float64Array;
  /** Intervals without any event. */
  empty: number;
}

/**
 * Streaming interval sampler: feed mids and flows in time order, read the rows at the end.
 * Allocation-free per event; the row columns grow by doubling.
 *
 * @example
 * const s = new ImpactSampler({ intervalMs: 10_000 });
 * s.update(1_000, 100, null); s.update(2_000, NaN, [3]);       // the first interval: the reference
 * s.update(12_000, 100.5, [-1]); s.update(19_000, 100.25, null);
 * s.finish(); // one observation: start 10 000, dP 0.25, ofi [[-1]]
 */
export class ImpactSampler {
  readonly intervalMs: number;
  readonly channels: number;
  private n = 0;
  private cap = 256;
  private start: Float64Array;
  private dP: Float64Array;
  private ofi: Float64Array[];
  private events: Float64Array;
  private empty = 0;
  // the open interval
  private open = false;
  private end = NaN;
  private begin = NaN;
  private readonly sums: Float64Array;
  private count = 0;
  private mid_ = NaN;
  /** Last mid of the previous closed interval (NaN before one had a mid). */
  private prevClose = NaN;

  constructor(options: { intervalMs: number; channels?: number }) {
    const ms = options?.intervalMs;
    if (!(ms > 0 && Number.isFinite(ms))) throw new UserInputError(`intervalMs: expected a finite number > 0, got ${String(ms)}`, 'E_OPTION');
    const k = options.channels ?? 1;
    if (!Number.isInteger(k) || k < 1) throw new UserInputError(`channels: expected an integer ≥ 1, got ${String(k)}`, 'E_OPTION');
    this.intervalMs = ms;
    this.channels = k;
    this.sums = new Float64Array(k);
    this.start = new Float64Array(this.cap);
    this.dP = new Float64Array(this.cap);
    this.events = new Float64Array(this.cap);
    this.ofi = Array.from({ length: k }, () => new Float64Array(this.cap));
  }

  /**
   * One event at `ts`: a quote's `mid` (`NaN` when the event sets none, or a side is empty: the
   * last mid is carried) and its flows, one per channel (`null` when it has none).
   */
  update(ts: number, mid: number, flows: ArrayLike<number> | null): void {
    this.advance(ts);
    if (mid === mid) this.mid_ = mid;
    if (flows !== null) {
      const s = this.sums;
      for (let m = 0; m < this.channels; m++) {
        const v = flows[m]!;
        if (v === v) s[m] = s[m]! + v;
      }
    }
    this.count++;
  }

  /** Close the open interval and return the rows (views; the sampler is done). */
  finish(): ImpactSamples {
    if (this.open) this.close();
    this.open = false;
    const n = this.n;
    return {
      start: this.start.subarray(0, n),
      dP: this.dP.subarray(0, n),
      ofi: this.ofi.map((c) => c.subarray(0, n)),
      events: this.events.subarray(0, n),
      empty: this.empty,
    };
  }

  private advance(ts: number): void {
    if (this.open) {
      if (!(ts >= this.end)) return; // inside, late or NaN: the open interval takes it
      const next = Math.floor(ts / this.intervalMs) * this.intervalMs;
      this.close();
      // intervals with no event between: the mid carried, no flow
      for (let s = this.end; s < next; s += this.intervalMs) {
        this.begin = s;
        this.end = s + this.intervalMs;
        if (this.close()) this.empty++;
      }
      this.begin = next;
      this.end = next + this.intervalMs;
    } else if (ts === ts) {
      this.begin = Math.floor(ts / this.intervalMs) * this.intervalMs;
      this.end = this.begin + this.intervalMs;
      this.open = true;
    }
  }

  /** Emit the open interval as a row when it has a predecessor's mid; returns whether it did. */
  private close(): boolean {
    const mid = this.mid_;
    const prev = this.prevClose;
    let emitted = false;
    if (prev === prev && mid === mid) {
      if (this.n === this.cap) this.grow();
      const i = this.n++;
      this.start[i] = this.begin;
      this.dP[i] = mid - prev;
      for (let m = 0; m < this.channels; m++) this.ofi[m]![i] = this.sums[m]!;
      this.events[i] = this.count;
      emitted = true;
    }
    this.prevClose = mid;
    this.sums.fill(0);
    this.count = 0;
    return emitted;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const g = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    this.start = g(this.start);
    this.dP = g(this.dP);
    this.events = g(this.events);
    this.ofi = this.ofi.map(g);
    this.cap = cap;
  }
}

/**
 * The tick size of an instrument inferred from its quotes: the greatest common divisor of the
 * price increments seen (changes of the bid, of the ask, and the spread), found by Euclid's
 * algorithm with a tolerance for binary floating point (0.1 is not exact) and written back to
 * 8 significant digits. On a few thousand quotes the spread alone is one tick most of the time,
 * so the estimate is the tick; a venue's published tick (`--tick`) overrides it. A price that
 * sits off the grid (a data error) would pull it down, which the caller can see in the output.
 *
 * @example
 * const t = new TickEstimator();
 * t.observe(61800.2, 61800.1); t.observe(61800.5, 61800.2);
 * t.tick; // 0.1
 */
export class TickEstimator {
  private g = NaN;
  /** Increments seen. */
  count = 0;

  /** One increment: the difference of two prices (either order); zero and non-finite ones are ignored. */
  observe(a: number, b: number): void {
    let d = a - b;
    if (d < 0) d = -d;
    if (!(d > 0) || d === Infinity) return;
    // differences of nearby floats carry an error of about 1e-16 of the prices: not an increment
    const scale = Math.max(Math.abs(a), Math.abs(b));
    if (d <= scale * 1e-12) return;
    this.count++;
    const g = this.g;
    if (g !== g) {
      this.g = d;
      return;
    }
    if (Math.abs(d - g) <= g * 1e-9 || isMultiple(d, g)) return;
    this.g = approxGcd(g, d);
  }

  /** The inferred tick (`NaN` before any increment). */
  get tick(): number {
    return this.g === this.g ? Number(this.g.toPrecision(8)) : NaN;
  }
}

function isMultiple(d: number, g: number): boolean {
  const r = d / g;
  return Math.abs(r - Math.round(r)) <= 1e-6 * Math.max(1, r);
}

/** Euclid's algorithm where a remainder within a relative tolerance of 0 (or of the divisor) is 0. */
function approxGcd(a: number, b: number): number {
  const tol = Math.min(a, b) * 1e-6;
  if (a < b) [a, b] = [b, a];
  while (b > tol) {
    let r = a % b;
    if (r > b - tol) r = 0;
    a = b;
    b = r;
  }
  return a;
}
