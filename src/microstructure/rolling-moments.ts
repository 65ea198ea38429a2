/**
 * The kernel behind rolling mean, standard deviation and z-score: one ring buffer and two
 * compensated running sums, updated O(1) per input by adding the arriving value and
 * subtracting the leaving one.
 *
 * Numerics. The sums are of `x − K` and `(x − K)²` for a shift `K` (the first value of the
 * window, then the window mean at each exact recompute), so the variance `Σd² − (Σd)²/n` does
 * not cancel catastrophically when the mean is far from zero (prices). Each sum is a Neumaier
 * compensated sum, and every `max(n, recomputeEvery)` updates the sums are recomputed exactly
 * from the ring (two passes, re-centred), so error cannot build up over a long run; the cost is
 * amortised O(1). The sums are also re-centred early when the window mean has drifted more
 * than 1024 deviations from the shift (a jump, then a quiet window), where the shifted formula
 * would lose more than 20 bits. A variance below the rounding noise of the sums (1e-13 of `Σd²`) is zero, so a
 * constant window has a standard deviation of exactly 0.
 *
 * The state is a plain object the streaming classes hold and the columnar functions accept and
 * carry, so a columnar call over chunks continues exactly where the previous chunk ended.
 *
 * @see Neumaier (1974), "Rundungsfehleranalyse einiger Verfahren zur Summation endlicher Summen", ZAMM 54.
 * @see Chan, Golub & LeVeque (1983), "Algorithms for computing the sample variance" (shifted sums).
 */
import { UserInputError } from '../core/errors.js';
import { initialCapacity, resolveWindow, sameWindow, unwrapGrow, type ResolvedWindow, type RollingOptions } from './rolling-window.js';

/** Which statistic a moments state serves (it decides the warm-up defaults). */
export type MomentsKind = 'mean' | 'std' | 'zscore';

/** Options of a rolling standard deviation. */
export interface RollingStdOptions extends RollingOptions {
  /**
   * Delta degrees of freedom: 1 (default) divides by n − 1, the sample standard deviation;
   * 0 divides by n, the population one. Sample is the default because a window is a sample of
   * the process, n − 1 makes the variance unbiased, and it is what pandas' `rolling().std()`
   * computes, so results compare with the usual research notebooks.
   */
  ddof?: 0 | 1;
  /** Updates between exact recomputes of the sums (at least the window length is used). Default 1024. */
  recomputeEvery?: number;
}

/** Options of a rolling z-score. */
export interface RollingZScoreOptions extends RollingStdOptions {
  /**
   * The window x is scored against. `'prior'` (default): the window *before* x, so the mean and
   * deviation are fixed before x is seen — an out-of-sample score, not diluted by x itself
   * (scored against a window that includes it, |z| can never exceed (n − 1)/√n). `'trailing'`:
   * the window including x, as `(s − s.rolling(n).mean()) / s.rolling(n).std()` in pandas.
   */
  reference?: 'prior' | 'trailing';
}

/** Default updates between exact recomputes. */
export const DEFAULT_RECOMPUTE_EVERY = 1024;
/** Relative size under which a variance is rounding noise. */
const VAR_NOISE = 1e-13;
/** (mean − shift)² over the variance above which the sums are re-centred (2^20: 20 bits lost). */
const RECENTRE = 2 ** 20;
/** A mean offset below this fraction of the shift is the shift's own rounding, not drift. */
const SHIFT_ROUNDING = 2 ** -40;

/** State of one rolling moments window. Create one per series; pass it back to continue. */
export class RollingMomentsState {
  readonly kind: MomentsKind;
  readonly window: ResolvedWindow;
  readonly timed: boolean;
  readonly span: number;
  readonly minPeriods: number;
  readonly ddof: number;
  readonly prior: boolean;
  readonly recomputeEvery: number;
  values: Float64Array;
  times: Float64Array;
  head = 0;
  count = 0;
  /** Latest effective timestamp (time windows). */
  lastTs = -Infinity;
  shift = 0;
  s1 = 0;
  c1 = 0;
  s2 = 0;
  c2 = 0;
  sinceExact = 0;
  /** Timestamps that went back (or were NaN) and were clamped to the latest one. */
  clamped = 0;
  /** Non-finite inputs skipped. */
  skipped = 0;

  constructor(kind: MomentsKind, options: RollingZScoreOptions) {
    const c = resolveMoments(kind, options);
    this.kind = kind;
    this.window = c.window;
    this.timed = c.window.timed;
    this.span = c.window.span;
    this.minPeriods = c.window.minPeriods;
    this.ddof = c.ddof;
    this.prior = c.prior;
    this.recomputeEvery = c.recomputeEvery;
    const cap = initialCapacity(this.window);
    this.values = new Float64Array(cap);
    this.times = new Float64Array(this.timed ? cap : 0);
  }

  /** Empty the window and counters, keeping the buffers. */
  reset(): void {
    this.head = 0;
    this.count = 0;
    this.lastTs = -Infinity;
    this.zero();
    this.sinceExact = 0;
    this.clamped = 0;
    this.skipped = 0;
  }

  zero(): void {
    this.shift = 0;
    this.s1 = 0;
    this.c1 = 0;
    this.s2 = 0;
    this.c2 = 0;
  }

  /** Throw unless this state was made for the same statistic and options (a state passed to a columnar call). */
  check(kind: MomentsKind, options: RollingZScoreOptions): void {
    const c = resolveMoments(kind, options);
    if (kind !== this.kind || c.ddof !== this.ddof || c.prior !== this.prior || c.recomputeEvery !== this.recomputeEvery || !sameWindow(c.window, this.window)) {
      throw new UserInputError('state: was created for other options than this call', 'E_OPTION');
    }
  }
}

interface MomentsConfig {
  window: ResolvedWindow;
  ddof: number;
  prior: boolean;
  recomputeEvery: number;
}

function resolveMoments(kind: MomentsKind, options: RollingZScoreOptions): MomentsConfig {
  const ddof = kind === 'mean' ? 0 : (options.ddof ?? 1);
  if (ddof !== 0 && ddof !== 1) throw new UserInputError(`ddof: expected 0 or 1, got ${String(options.ddof)}`, 'E_OPTION');
  const reference = options.reference ?? 'prior';
  if (reference !== 'prior' && reference !== 'trailing') throw new UserInputError(`reference: expected 'prior' or 'trailing', got ${String(reference)}`, 'E_OPTION');
  const every = options.recomputeEvery ?? DEFAULT_RECOMPUTE_EVERY;
  if (!Number.isInteger(every) || every < 1) throw new UserInputError(`recomputeEvery: expected an integer ≥ 1, got ${String(every)}`, 'E_OPTION');
  const window = resolveWindow(options, kind === 'mean' ? 1 : 2, ddof + 1);
  return { window, ddof, prior: kind === 'zscore' && reference === 'prior', recomputeEvery: every };
}

function grow(st: RollingMomentsState): void {
  st.values = unwrapGrow(st.values, st.head, st.count);
  st.times = unwrapGrow(st.times, st.head, st.count);
  st.head = 0;
}

function addPoint(st: RollingMomentsState, x: number, t: number): void {
  let cap = st.values.length;
  if (st.count === cap) {
    grow(st);
    cap = st.values.length;
  }
  let slot = st.head + st.count;
  if (slot >= cap) slot -= cap;
  st.values[slot] = x;
  if (st.timed) st.times[slot] = t;
  if (st.count === 0) {
    st.zero();
    st.shift = x;
  }
  st.count++;
  const d = x - st.shift;
  const dd = d * d;
  // Neumaier: the compensation takes the low-order part the rounded sum lost.
  let s = st.s1;
  let u = s + d;
  st.c1 += Math.abs(s) >= Math.abs(d) ? s - u + d : d - u + s;
  st.s1 = u;
  s = st.s2;
  u = s + dd;
  st.c2 += Math.abs(s) >= dd ? s - u + dd : dd - u + s;
  st.s2 = u;
}

function removeOldest(st: RollingMomentsState): void {
  const x = st.values[st.head]!;
  st.head++;
  if (st.head === st.values.length) st.head = 0;
  st.count--;
  if (st.count === 0) {
    st.zero();
    return;
  }
  const d = st.shift - x;
  const dd = -(d * d);
  let s = st.s1;
  let u = s + d;
  st.c1 += Math.abs(s) >= Math.abs(d) ? s - u + d : d - u + s;
  st.s1 = u;
  s = st.s2;
  u = s + dd;
  st.c2 += Math.abs(s) >= -dd ? s - u + dd : dd - u + s;
  st.s2 = u;
}

/** Recompute the sums exactly from the ring, re-centred on the window mean. */
function recompute(st: RollingMomentsState): void {
  st.sinceExact = 0;
  const n = st.count;
  if (n === 0) return;
  const vals = st.values;
  const cap = vals.length;
  let sum = 0;
  let comp = 0;
  for (let i = 0, j = st.head; i < n; i++) {
    const x = vals[j]!;
    const u = sum + x;
    comp += Math.abs(sum) >= Math.abs(x) ? sum - u + x : x - u + sum;
    sum = u;
    if (++j === cap) j = 0;
  }
  const k = (sum + comp) / n;
  let s1 = 0;
  let c1 = 0;
  let s2 = 0;
  let c2 = 0;
  for (let i = 0, j = st.head; i < n; i++) {
    const d = vals[j]! - k;
    const dd = d * d;
    let u = s1 + d;
    c1 += Math.abs(s1) >= Math.abs(d) ? s1 - u + d : d - u + s1;
    s1 = u;
    u = s2 + dd;
    c2 += Math.abs(s2) >= dd ? s2 - u + dd : dd - u + s2;
    s2 = u;
    if (++j === cap) j = 0;
  }
  st.shift = k;
  st.s1 = s1;
  st.c1 = c1;
  st.s2 = s2;
  st.c2 = c2;
}

/**
 * Move the clock to `t` and drop what left the window (time windows); returns the effective
 * timestamp (clamped to the latest one when `t` goes back or is NaN).
 */
function advance(st: RollingMomentsState, t: number): number {
  if (t >= st.lastTs) st.lastTs = t;
  else {
    st.clamped++;
    t = st.lastTs;
  }
  const edge = t - st.span;
  const times = st.times;
  while (st.count > 0 && times[st.head]! <= edge) removeOldest(st);
  return t;
}

/** Add x (the window already advanced), evicting the oldest point of a full event window, and keep the sums exact. */
function admit(st: RollingMomentsState, x: number, t: number): void {
  if (!st.timed && st.count === st.span) removeOldest(st);
  addPoint(st, x, t);
  if (++st.sinceExact >= st.recomputeEvery && st.sinceExact >= st.count) recompute(st);
}

function meanOf(st: RollingMomentsState): number {
  return st.shift + (st.s1 + st.c1) / st.count;
}

function varianceOf(st: RollingMomentsState): number {
  const n = st.count;
  let s1 = st.s1 + st.c1;
  let s2 = st.s2 + st.c2;
  let m2 = s2 - (s1 * s1) / n;
  const off = s1 / n;
  // The window mean has moved more than 1024 deviations from the shift (and more than the shift's
  // own rounding): Σd² − (Σd)²/n would cancel away most of its digits, so re-centre first.
  if (off * off * n > RECENTRE * m2 && Math.abs(off) > SHIFT_ROUNDING * Math.abs(st.shift)) {
    recompute(st);
    s1 = st.s1 + st.c1;
    s2 = st.s2 + st.c2;
    m2 = s2 - (s1 * s1) / n;
  }
  return m2 <= s2 * VAR_NOISE ? 0 : m2 / (n - st.ddof);
}

function zOf(st: RollingMomentsState, x: number): number {
  const sd = Math.sqrt(varianceOf(st));
  // A window without dispersion has nothing to be surprised against: z = 0 (read `std` to tell).
  return sd > 0 ? (x - meanOf(st)) / sd : 0;
}

/** One step of a rolling mean; `NaN` stands for "no value" (warming up, or a non-finite input). */
export function meanStep(st: RollingMomentsState, x: number, t: number): number {
  if (x - x !== 0) {
    st.skipped++;
    return NaN;
  }
  if (st.timed) t = advance(st, t);
  admit(st, x, t);
  return st.count >= st.minPeriods ? meanOf(st) : NaN;
}

/** One step of a rolling standard deviation; `NaN` stands for "no value". */
export function stdStep(st: RollingMomentsState, x: number, t: number): number {
  if (x - x !== 0) {
    st.skipped++;
    return NaN;
  }
  if (st.timed) t = advance(st, t);
  admit(st, x, t);
  return st.count >= st.minPeriods ? Math.sqrt(varianceOf(st)) : NaN;
}

/** One step of a rolling z-score; `NaN` stands for "no value". */
export function zScoreStep(st: RollingMomentsState, x: number, t: number): number {
  if (x - x !== 0) {
    st.skipped++;
    return NaN;
  }
  if (st.timed) t = advance(st, t);
  let z = NaN;
  if (st.prior && st.count >= st.minPeriods) z = zOf(st, x);
  admit(st, x, t);
  if (!st.prior && st.count >= st.minPeriods) z = zOf(st, x);
  return z;
}

/** Mean and standard deviation of the window as it stands (`NaN` while it holds fewer than `minPeriods`). */
export function momentsSnapshot(st: RollingMomentsState): { count: number; mean: number; std: number } {
  if (st.count < st.minPeriods) return { count: st.count, mean: NaN, std: NaN };
  return { count: st.count, mean: meanOf(st), std: Math.sqrt(varianceOf(st)) };
}
