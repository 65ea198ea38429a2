/**
 * The kernel behind rolling mean, standard deviation and z-score: one ring buffer and two
 * compensated running sums, updated O(1) per input by adding the arriving value and
 * subtracting the leaving one.
 *
 * Numerics. The sums are of `x − K` and `(x − K)²` for a shift `K` (the first value of the
 * window, then the window mean at each exact recompute), so the variance `Σd² − (Σd)²/n` does
 * not cancel catastrophically when the mean is far from zero (prices). Each sum is compensated
 * (Neumaier's idea, with Knuth's branch-free TwoSum for the error term), and every `max(n, recomputeEvery)` updates the sums are recomputed exactly
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
 * @see Knuth, TAOCP vol. 2, §4.2.2 (TwoSum: the exact rounding error of a sum).
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

/** What a moments kernel writes out. */
export const OUT_MEAN = 0;
export const OUT_STD = 1;
export const OUT_Z = 2;

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
  /** The statistic written out: {@link OUT_MEAN}, {@link OUT_STD} or {@link OUT_Z}. */
  readonly what: number;
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
  /** The kernel's running doubles within a call (see `momentsRun`). */
  readonly acc = new Float64Array(6);

  constructor(kind: MomentsKind, options: RollingZScoreOptions) {
    const c = resolveMoments(kind, options);
    this.kind = kind;
    this.what = kind === 'mean' ? OUT_MEAN : kind === 'std' ? OUT_STD : OUT_Z;
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
    const b = u - sum;
    comp += sum - (u - b) + (x - b);
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
    let b = u - s1;
    c1 += s1 - (u - b) + (d - b);
    s1 = u;
    u = s2 + dd;
    b = u - s2;
    c2 += s2 - (u - b) + (dd - b);
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
 * The statistic of the window held in the sums (`n` ≥ 1 points), for input x, without
 * re-centring: for reading a state ({@link momentsSnapshot}). The kernel has the same arithmetic
 * written out in its loop, where a call would box every double argument and the result (V8
 * passes them tagged unless it inlines the call, and whether it does varies from run to run).
 */
function evaluate(what: number, x: number, n: number, shift: number, s1: number, c1: number, s2: number, c2: number, ddof: number): number {
  const S1 = s1 + c1;
  const off = S1 / n;
  if (what === OUT_MEAN) return shift + off;
  const S2 = s2 + c2;
  const m2 = S2 - (S1 * S1) / n;
  const sd = m2 <= S2 * VAR_NOISE ? 0 : Math.sqrt(m2 / (n - ddof));
  if (what === OUT_STD) return sd;
  return sd > 0 ? (x - (shift + off)) / sd : 0;
}

/**
 * The one kernel of the moment statistics: feed `values[from … to)` (with `ts` for a time
 * window) and write each input's statistic to `out` at the same index, `NaN` for no value.
 * The columnar functions call it over a whole column; the streaming classes over one value.
 * The hot state lives in locals for the loop and goes back to `st` at the end (and around the
 * rare ring growth and exact recompute).
 */
export function momentsRun(st: RollingMomentsState, values: Float64Array, ts: Float64Array | undefined, out: Float64Array, from: number, to: number): void {
  const what = st.what;
  const timed = st.timed;
  const span = st.span;
  const minP = st.minPeriods;
  const ddof = st.ddof;
  const prior = st.prior;
  const every = st.recomputeEvery;
  let vals = st.values;
  let times = st.times;
  let cap = vals.length;
  let head = st.head;
  let count = st.count;
  let since = st.sinceExact;
  let clamped = st.clamped;
  let skipped = st.skipped;
  // The running doubles go from one row to the next through a typed array, not as loop-carried
  // locals: when V8 enters this loop by on-stack replacement (after a deoptimisation, say), it
  // keeps loop-carried doubles boxed, a heap number per row each; a typed array holds them raw.
  const acc = st.acc;
  acc[0] = st.shift;
  acc[1] = st.s1;
  acc[2] = st.c1;
  acc[3] = st.s2;
  acc[4] = st.c2;
  acc[5] = st.lastTs;
  for (let i = from; i < to; i++) {
    const x = values[i]!;
    if (x - x !== 0) {
      skipped++;
      out[i] = NaN;
      continue;
    }
    let shift: number = acc[0]!;
    let s1: number = acc[1]!;
    let c1: number = acc[2]!;
    let s2: number = acc[3]!;
    let c2: number = acc[4]!;
    let lastTs: number = acc[5]!;
    let t = 0;
    if (timed) {
      t = ts![i]!;
      if (t >= lastTs) lastTs = t;
      else {
        clamped++;
        t = lastTs;
      }
      const edge = t - span;
      while (count > 0 && times[head]! <= edge) {
        const d = shift - vals[head]!;
        if (++head === cap) head = 0;
        if (--count === 0) {
          s1 = c1 = s2 = c2 = 0;
        } else {
          // TwoSum: the compensation takes exactly the low-order part the rounded sum lost
          let u = s1 + d;
          let b = u - s1;
          c1 += s1 - (u - b) + (d - b);
          s1 = u;
          const dd = -(d * d);
          u = s2 + dd;
          b = u - s2;
          c2 += s2 - (u - b) + (dd - b);
          s2 = u;
        }
      }
    }
    let v = NaN;
    if (prior && count >= minP) {
      // the statistic of the window as it stands (inline: see evaluate)
      let S1 = s1 + c1;
      let off = S1 / count;
      if (what === OUT_MEAN) v = shift + off;
      else {
        let S2 = s2 + c2;
        let m2 = S2 - (S1 * S1) / count;
        if (off * off * count > RECENTRE * m2 && Math.abs(off) > SHIFT_ROUNDING * Math.abs(shift)) {
          // the mean drifted too far from the shift: re-centre, then read again
          st.head = head;
          st.count = count;
          recompute(st);
          since = 0;
          shift = st.shift;
          s1 = st.s1;
          c1 = st.c1;
          s2 = st.s2;
          c2 = st.c2;
          S1 = s1 + c1;
          off = S1 / count;
          S2 = s2 + c2;
          m2 = S2 - (S1 * S1) / count;
        }
        const sd = m2 <= S2 * VAR_NOISE ? 0 : Math.sqrt(m2 / (count - ddof));
        // A window without dispersion has nothing to be surprised against: z = 0 (read `std` to tell).
        v = what === OUT_STD ? sd : sd > 0 ? (x - (shift + off)) / sd : 0;
      }
    }
    // admit x
    if (!timed && count === span) {
      const d = shift - vals[head]!;
      if (++head === cap) head = 0;
      if (--count === 0) {
        s1 = c1 = s2 = c2 = 0;
      } else {
        let u = s1 + d;
        let b = u - s1;
        c1 += s1 - (u - b) + (d - b);
        s1 = u;
        const dd = -(d * d);
        u = s2 + dd;
        b = u - s2;
        c2 += s2 - (u - b) + (dd - b);
        s2 = u;
      }
    }
    if (count === cap) {
      st.head = head;
      st.count = count;
      grow(st);
      vals = st.values;
      times = st.times;
      cap = vals.length;
      head = 0;
    }
    let slot = head + count;
    if (slot >= cap) slot -= cap;
    vals[slot] = x;
    if (timed) times[slot] = t;
    if (count === 0) {
      shift = x;
      s1 = c1 = s2 = c2 = 0;
    } else {
      const d = x - shift;
      let u = s1 + d;
      let b = u - s1;
      c1 += s1 - (u - b) + (d - b);
      s1 = u;
      const dd = d * d;
      u = s2 + dd;
      b = u - s2;
      c2 += s2 - (u - b) + (dd - b);
      s2 = u;
    }
    count++;
    if (++since >= every && since >= count) {
      st.head = head;
      st.count = count;
      recompute(st);
      since = 0;
      shift = st.shift;
      s1 = st.s1;
      c1 = st.c1;
      s2 = st.s2;
      c2 = st.c2;
    }
    if (!prior && count >= minP) {
      // the statistic of the window as it stands (inline: see evaluate)
      let S1 = s1 + c1;
      let off = S1 / count;
      if (what === OUT_MEAN) v = shift + off;
      else {
        let S2 = s2 + c2;
        let m2 = S2 - (S1 * S1) / count;
        if (off * off * count > RECENTRE * m2 && Math.abs(off) > SHIFT_ROUNDING * Math.abs(shift)) {
          // the mean drifted too far from the shift: re-centre, then read again
          st.head = head;
          st.count = count;
          recompute(st);
          since = 0;
          shift = st.shift;
          s1 = st.s1;
          c1 = st.c1;
          s2 = st.s2;
          c2 = st.c2;
          S1 = s1 + c1;
          off = S1 / count;
          S2 = s2 + c2;
          m2 = S2 - (S1 * S1) / count;
        }
        const sd = m2 <= S2 * VAR_NOISE ? 0 : Math.sqrt(m2 / (count - ddof));
        // A window without dispersion has nothing to be surprised against: z = 0 (read `std` to tell).
        v = what === OUT_STD ? sd : sd > 0 ? (x - (shift + off)) / sd : 0;
      }
    }
    acc[0] = shift;
    acc[1] = s1;
    acc[2] = c1;
    acc[3] = s2;
    acc[4] = c2;
    acc[5] = lastTs;
    out[i] = v;
  }
  st.head = head;
  st.count = count;
  st.shift = acc[0]!;
  st.s1 = acc[1]!;
  st.c1 = acc[2]!;
  st.s2 = acc[3]!;
  st.c2 = acc[4]!;
  st.lastTs = acc[5]!;
  st.sinceExact = since;
  st.clamped = clamped;
  st.skipped = skipped;
}

/** Mean and standard deviation of the window as it stands (`NaN` while it holds fewer than `minPeriods`). */
export function momentsSnapshot(st: RollingMomentsState): { count: number; mean: number; std: number } {
  const n = st.count;
  if (n < st.minPeriods || n === 0) return { count: n, mean: NaN, std: NaN };
  const mean = evaluate(OUT_MEAN, 0, n, st.shift, st.s1, st.c1, st.s2, st.c2, st.ddof);
  const std = evaluate(OUT_STD, 0, n, st.shift, st.s1, st.c1, st.s2, st.c2, st.ddof);
  return { count: n, mean, std };
}
