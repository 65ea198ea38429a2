/**
 * How per-event order flow is summed and normalised: the rules of best-level OFI (whose kernel,
 * `ofi-kernel.ts`, specialises them to one level for speed) and of multi-level OFI (which uses
 * {@link FlowAggregator} below). A property test holds the two to the same outputs.
 *
 * Each accepted book update n gives flows e¹_n … eᵏ_n (one per level) and a depth
 * d_n = (1/k) Σ_m (qb^m_n + qa^m_n) / 2. The aggregate over a set of events is
 * `OFI^m = Σ e^m_n`, and with `normalize` it is divided by the average depth over the same
 * events, `OFI^m / ((1/N) Σ d_n)`: Cont, Kukanov & Stoikov (2014) find the price impact of OFI
 * inversely proportional to the average depth at the best quotes, so OFI in units of depth is
 * comparable across instruments and times of day; Cont, Cucuringu & Zhang (2023) scale every
 * level's OFI by the average depth across the first M levels the same way (their Q^M).
 *
 * The set of events is chosen by `sum`:
 * - `'event'` (default): each update alone (e_n, or e_n / d_n);
 * - `'cumulative'`: everything since the start (or the last `reset()`);
 * - `{ events: N }`: the last N updates; `{ ms: T }`: the updates with timestamps in (t − T, t];
 * - `{ barMs: T }`: the updates so far in the current time bar `[⌊t/T⌋·T, ⌊t/T⌋·T + T)`
 *   (epoch-aligned: 1 s bars start on whole seconds); the bar's OFI is the value at its last update.
 *
 * Time-based sums run on the monotone clock of `rolling-window.ts`: a timestamp that goes back
 * is taken as the latest one (and counted in `clamped`), so a bar never reopens.
 * Rolling sums are compensated (TwoSum error terms) and recomputed exactly from the ring every
 * `max(N, 1024)` updates; cumulative and bar sums are compensated.
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1), §2–3.
 * @see Cont, Cucuringu & Zhang (2023), "Cross-impact of order flow imbalance in equity markets", Quantitative Finance 23(10), §2.
 */
import { UserInputError } from '../core/errors.js';
import { unwrapGrow, TIMED_INITIAL_CAPACITY } from './rolling-window.js';

/** Which updates an OFI value sums over. */
export type OfiSum = 'event' | 'cumulative' | { events: number } | { ms: number } | { barMs: number };

/** Options of every OFI calculator. */
export interface OfiAggregationOptions {
  /** Which updates each output sums over (default `'event'`). */
  sum?: OfiSum;
  /** Divide by the average depth over the same updates (default false). */
  normalize?: boolean;
}

export const MODE_EVENT = 0;
export const MODE_CUMULATIVE = 1;
export const MODE_ROLLING = 2;
export const MODE_BAR = 3;

/** Updates between exact recomputes of rolling sums (at least the window's length). */
export const RECOMPUTE_MIN = 1024;

/** A description of `sum` for error messages and state checks. */
function sumKey(sum: OfiSum): string {
  return typeof sum === 'string' ? sum : JSON.stringify(sum);
}

/** Checked sum options. */
export interface ResolvedOfiSum {
  mode: number;
  normalize: boolean;
  /** True when updates need a timestamp. */
  timed: boolean;
  /** N (events), T (ms window or bar), 1 (event) or Infinity (cumulative). */
  span: number;
  /** Initial ring capacity, in updates (rolling sums only). */
  capacity: number;
  /** Identity of the options, for checking a state handed back to a columnar call. */
  key: string;
}

/** Check the `sum` and `normalize` options once, naming the field that is wrong. */
export function resolveOfiSum(options: OfiAggregationOptions): ResolvedOfiSum {
  const sum = options.sum ?? 'event';
  const normalize = options.normalize ?? false;
  if (typeof normalize !== 'boolean') throw new UserInputError(`normalize: expected true or false, got ${String(options.normalize)}`, 'E_OPTION');
  const key = `${sumKey(sum)}|${normalize}`;
  const one = sum && typeof sum === 'object' && Object.keys(sum).length === 1;
  if (sum === 'event') return { mode: MODE_EVENT, normalize, timed: false, span: 1, capacity: 0, key };
  if (sum === 'cumulative') return { mode: MODE_CUMULATIVE, normalize, timed: false, span: Infinity, capacity: 0, key };
  if (one && 'events' in sum) {
    if (!Number.isInteger(sum.events) || sum.events < 1) throw new UserInputError(`sum.events: expected an integer ≥ 1, got ${String(sum.events)}`, 'E_OPTION');
    return { mode: MODE_ROLLING, normalize, timed: false, span: sum.events, capacity: sum.events, key };
  }
  if (one && 'ms' in sum) {
    if (!(sum.ms > 0 && Number.isFinite(sum.ms))) throw new UserInputError(`sum.ms: expected a finite number > 0, got ${String(sum.ms)}`, 'E_OPTION');
    return { mode: MODE_ROLLING, normalize, timed: true, span: sum.ms, capacity: TIMED_INITIAL_CAPACITY, key };
  }
  if (one && 'barMs' in sum) {
    if (!(sum.barMs > 0 && Number.isFinite(sum.barMs))) throw new UserInputError(`sum.barMs: expected a finite number > 0, got ${String(sum.barMs)}`, 'E_OPTION');
    return { mode: MODE_BAR, normalize, timed: true, span: sum.barMs, capacity: 0, key };
  }
  throw new UserInputError(`sum: expected 'event', 'cumulative', { events: N }, { ms: T } or { barMs: T }, got ${JSON.stringify(sum)}`, 'E_OPTION');
}

/**
 * Sums of k flow channels and one depth channel over the chosen set of updates. The value after
 * each push is in `out` (k numbers, reused); `NaN` where it is undefined (zero average depth).
 */
export class FlowAggregator {
  readonly levels: number;
  readonly mode: number;
  readonly normalize: boolean;
  /** True when pushes need a timestamp. */
  readonly timed: boolean;
  readonly span: number;
  readonly key: string;
  /** The value after the latest push, one number per level (reused across pushes). */
  readonly out: Float64Array;
  private readonly width: number;
  private readonly sums: Float64Array;
  private readonly comps: Float64Array;
  /** Updates in the current aggregate. */
  n = 0;
  private ring: Float64Array;
  private times: Float64Array;
  private head = 0;
  private count = 0;
  private bar = -Infinity;
  private lastTs = -Infinity;
  private sinceExact = 0;
  /** Timestamps that went back (or were NaN) and were clamped to the latest one. */
  clamped = 0;

  constructor(levels: number, options: OfiAggregationOptions) {
    const c = resolveOfiSum(options);
    this.levels = levels;
    this.width = levels + 1;
    this.normalize = c.normalize;
    this.key = c.key;
    this.mode = c.mode;
    this.timed = c.timed;
    this.span = c.span;
    this.out = new Float64Array(levels);
    this.sums = new Float64Array(this.width);
    this.comps = new Float64Array(this.width);
    this.ring = new Float64Array(c.capacity * this.width);
    this.times = new Float64Array(this.timed && this.mode === MODE_ROLLING ? c.capacity : 0);
  }

  /** Forget every update. */
  reset(): void {
    this.sums.fill(0);
    this.comps.fill(0);
    this.out.fill(0);
    this.n = 0;
    this.head = 0;
    this.count = 0;
    this.bar = -Infinity;
    this.lastTs = -Infinity;
    this.sinceExact = 0;
    this.clamped = 0;
  }

  private addSums(flows: ArrayLike<number>, depth: number, sign: number): void {
    const k = this.levels;
    const sums = this.sums;
    const comps = this.comps;
    for (let m = 0; m <= k; m++) {
      const x = (m === k ? depth : flows[m]!) * sign;
      const s = sums[m]!;
      const u = s + x;
      const b = u - s;
      comps[m]! += s - (u - b) + (x - b);
      sums[m] = u;
    }
  }

  private removeOldest(): void {
    const w = this.width;
    const base = this.head * w;
    const k = this.levels;
    const sums = this.sums;
    const comps = this.comps;
    const ring = this.ring;
    for (let m = 0; m <= k; m++) {
      const x = -ring[base + m]!;
      const s = sums[m]!;
      const u = s + x;
      const b = u - s;
      comps[m]! += s - (u - b) + (x - b);
      sums[m] = u;
    }
    if (++this.head * w === ring.length) this.head = 0;
    this.count--;
    this.n--;
    if (this.count === 0) {
      sums.fill(0);
      comps.fill(0);
    }
  }

  private recompute(): void {
    this.sinceExact = 0;
    const w = this.width;
    const cap = this.ring.length / w;
    this.sums.fill(0);
    this.comps.fill(0);
    for (let m = 0; m < w; m++) {
      let s = 0;
      let c = 0;
      for (let i = 0, j = this.head; i < this.count; i++) {
        const x = this.ring[j * w + m]!;
        const u = s + x;
        const b = u - s;
        c += s - (u - b) + (x - b);
        s = u;
        if (++j === cap) j = 0;
      }
      this.sums[m] = s;
      this.comps[m] = c;
    }
  }

  private grow(): void {
    const w = this.width;
    const cap = this.ring.length / w;
    const next = new Float64Array(this.ring.length * 2);
    for (let i = 0, j = this.head; i < this.count; i++) {
      next.set(this.ring.subarray(j * w, j * w + w), i * w);
      if (++j === cap) j = 0;
    }
    this.ring = next;
    this.times = unwrapGrow(this.times, this.head, this.count);
    this.head = 0;
  }

  /** Add one update's flows and depth at time `t` (ms; needed by time windows and bars). */
  push(flows: ArrayLike<number>, depth: number, t: number): void {
    const k = this.levels;
    const out = this.out;
    if (this.mode === MODE_EVENT) {
      if (this.normalize) for (let m = 0; m < k; m++) out[m] = depth > 0 ? flows[m]! / depth : NaN;
      else for (let m = 0; m < k; m++) out[m] = flows[m]!;
      return;
    }
    if (this.timed) {
      if (t >= this.lastTs) this.lastTs = t;
      else {
        this.clamped++;
        t = this.lastTs;
      }
    }
    if (this.mode === MODE_BAR) {
      const b = Math.floor(t / this.span);
      if (b !== this.bar) {
        this.bar = b;
        this.sums.fill(0);
        this.comps.fill(0);
        this.n = 0;
      }
    } else if (this.mode === MODE_ROLLING) {
      const w = this.width;
      if (this.timed) {
        const edge = t - this.span;
        while (this.count > 0 && this.times[this.head]! <= edge) this.removeOldest();
        if (this.count * w === this.ring.length) this.grow();
      } else if (this.count === this.span) this.removeOldest();
      const cap = this.ring.length / w;
      let slot = this.head + this.count;
      if (slot >= cap) slot -= cap;
      const base = slot * w;
      for (let m = 0; m < k; m++) this.ring[base + m] = flows[m]!;
      this.ring[base + k] = depth;
      if (this.timed) this.times[slot] = t;
      this.count++;
    }
    this.addSums(flows, depth, 1);
    this.n++;
    if (this.mode === MODE_ROLLING && ++this.sinceExact >= RECOMPUTE_MIN && this.sinceExact >= this.count) this.recompute();
    if (this.normalize) {
      const avg = (this.sums[k]! + this.comps[k]!) / this.n;
      for (let m = 0; m < k; m++) out[m] = avg > 0 ? (this.sums[m]! + this.comps[m]!) / avg : NaN;
    } else for (let m = 0; m < k; m++) out[m] = this.sums[m]! + this.comps[m]!;
  }

  /** Value of the current aggregate when an update is skipped: unchanged, or no flow for `'event'` sums. */
  skip(): void {
    if (this.mode === MODE_EVENT) this.out.fill(0);
  }
}
