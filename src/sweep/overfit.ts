/**
 * How much of a sweep's best result is selection rather than skill: the deflated Sharpe ratio
 * of the best run (Bailey & López de Prado 2014) and the probability of backtest overfitting by
 * combinatorially symmetric cross-validation (Bailey, Borwein, López de Prado & Zhu 2015).
 *
 * Both read the runs' per-period returns on the sweep's common grid ({@link RunRecord.returns}).
 * Sharpe ratios here are per period (mean / sample standard deviation), never annualised: the
 * formulas of both papers are stated per observation, and annualising needs a period count the
 * grid, not this file, knows.
 *
 * A series (or a segment of one) without variation — a run that never traded — has Sharpe 0 by
 * convention: it is a trial that was made and found nothing, neither skill nor loss.
 *
 * @see Bailey & López de Prado (2014), "The Deflated Sharpe Ratio: Correcting for Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5).
 * @see Bailey, Borwein, López de Prado & Zhu (2015), "The Probability of Backtest Overfitting", Journal of Computational Finance 20(4).
 */
import { UserInputError } from '../core/errors.js';
import type { DeflatedSharpe, Pbo } from './types.js';

/** Euler–Mascheroni constant γ. */
const EULER_GAMMA = 0.5772156649015329;
const SQRT_2PI = 2.5066282746310002;

/**
 * exp(−x²/2) without the rounding of x² magnifying in the tail: x is split into a part with few
 * bits (exact square) and a small rest, as in Cody (1969) / Marsaglia (2004).
 */
function expHalfSquare(x: number): number {
  const hi = Math.round(x * 16) / 16;
  const lo = x - hi;
  return Math.exp(-0.5 * hi * hi) * Math.exp(-lo * (0.5 * lo + hi));
}

/** Standard normal density φ(x). */
function normalPdf(x: number): number {
  return expHalfSquare(x) / SQRT_2PI;
}

/** Upper tail Q(z) = 1 − Φ(z) for z ≥ 1.5 by Laplace's continued fraction φ(z)/(z + 1/(z + 2/(z + 3/(z + …)))), modified Lentz. */
function upperTail(z: number): number {
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    d = z + k * d;
    if (d === 0) d = tiny;
    c = z + k / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return normalPdf(z) / f;
}

/**
 * The standard normal distribution function Φ(x), to a few 1e-15 relative accuracy over the
 * whole line (tails included): Marsaglia's Taylor series Φ(x) = ½ + φ(x)·(x + x³/3 + x⁵/(3·5) + …)
 * for |x| < 1.5, Laplace's continued fraction for the tail beyond.
 *
 * @see Marsaglia (2004), "Evaluating the Normal Distribution", Journal of Statistical Software 11(4).
 * @see Cuyt et al. (2008), Handbook of Continued Fractions for Special Functions, Springer (the continued fractions of the complementary error function).
 * @example normalCdf(1.96) // 0.9750021048517795
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) < 1.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let i = 3; ; i += 2) {
      term *= x2 / i;
      const next = sum + term;
      if (next === sum) break;
      sum = next;
    }
    return 0.5 + sum * normalPdf(x);
  }
  if (x > 38.5) return 1;
  if (x < -38.5) return 0;
  return x < 0 ? upperTail(-x) : 1 - upperTail(x);
}

// Acklam's rational approximation of the normal quantile (relative error below 1.15e-9), refined below.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

function acklam(p: number): number {
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) / ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) / (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
}

/**
 * The standard normal quantile Φ⁻¹(p): Acklam's rational approximation, then Halley steps on
 * Φ(x) − p with {@link normalCdf}, which bring it to the accuracy of Φ itself. Computed in the
 * lower half (p ≤ ½) and reflected, since 1 − p is exact there. NaN outside [0, 1]; ∓∞ at 0 and 1.
 *
 * @see Acklam (2003), "An algorithm for computing the inverse normal cumulative distribution function" (the starting approximation and the Halley refinement).
 * @example normalQuantile(0.975) // 1.959963984540054
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p > 0.5) return -normalQuantile(1 - p);
  let x = acklam(p);
  for (let i = 0; i < 3; i++) {
    const density = normalPdf(x);
    if (density === 0) break;
    const u = (normalCdf(x) - p) / density;
    const step = u / (1 + 0.5 * x * u);
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.abs(x)) break;
  }
  return x;
}

/**
 * The probabilistic Sharpe ratio: the probability that the true Sharpe ratio exceeds `srBenchmark`
 * given an observed `sr` over `T` observations whose returns have skewness γ₃ and (non-excess)
 * kurtosis γ₄: Φ((SR − SR*)·√(T − 1) / √(1 − γ₃·SR + (γ₄ − 1)/4·SR²)). Sharpe ratios per period.
 * The denominator is ≥ 0 for any real moments (γ₄ ≥ γ₃² + 1); where it is 0 the answer is 1, ½ or 0.
 *
 * @see Bailey & López de Prado (2012), "The Sharpe Ratio Efficient Frontier", Journal of Risk 15(2) (the PSR).
 * @see Bailey & López de Prado (2014), JPM 40(5): the DSR is this with SR* = SR₀.
 */
export function probabilisticSharpe(sr: number, srBenchmark: number, T: number, skew: number, kurt: number): number {
  const denom = 1 - skew * sr + ((kurt - 1) / 4) * sr * sr;
  const diff = sr - srBenchmark;
  if (!(denom > 0)) return diff > 0 ? 1 : diff < 0 ? 0 : 0.5;
  return normalCdf((diff * Math.sqrt(T - 1)) / Math.sqrt(denom));
}

/**
 * The expected maximum Sharpe ratio of N independent unskilled trials whose Sharpe ratios have
 * variance V across trials (the false strategy theorem):
 * SR₀ = √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))), γ the Euler–Mascheroni constant.
 * N must be at least 2 (at N = 1 the approximation diverges).
 *
 * @see Bailey & López de Prado (2014), JPM 40(5), after Bailey, Borwein, López de Prado & Zhu (2014), "Pseudo-mathematics and financial charlatanism", Notices of the AMS 61(5).
 * @example expectedMaxSharpe(100, 0.5 / 250) // ≈ 0.1132
 */
export function expectedMaxSharpe(N: number, variance: number): number {
  if (!(N >= 2)) throw new UserInputError(`expectedMaxSharpe: trials N = ${N}, expected at least 2`);
  if (!(variance >= 0)) throw new UserInputError(`expectedMaxSharpe: variance = ${variance}, expected ≥ 0`);
  return Math.sqrt(variance) * ((1 - EULER_GAMMA) * normalQuantile(1 - 1 / N) + EULER_GAMMA * normalQuantile(1 - 1 / (N * Math.E)));
}

/** Mean and sum of squared deviations (Welford), checking every value is finite. */
function moments(r: ArrayLike<number>, what: string): { n: number; mean: number; m2: number } {
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < r.length; i++) {
    const x = r[i]!;
    if (!Number.isFinite(x)) throw new UserInputError(`${what}, return ${i}: ${x} is not a finite number`);
    const d = x - mean;
    mean += d / (i + 1);
    m2 += d * (x - mean);
  }
  return { n: r.length, mean, m2 };
}

/** Per-period Sharpe from count, mean and sum of squared deviations; 0 without variation. */
function sharpeOf(n: number, mean: number, m2: number): number {
  return m2 > 0 && n > 1 ? mean / Math.sqrt(m2 / (n - 1)) : 0;
}

/**
 * The deflated Sharpe ratio of the best of a sweep's trials: the probabilistic Sharpe ratio of the
 * best run against SR₀, the Sharpe ratio the best of N unskilled trials would reach by chance.
 *
 * - Each trial's Sharpe is per period, mean / sample standard deviation (n − 1); a constant series
 *   counts as a trial with Sharpe 0 (it still adds to N and to V).
 * - V is the sample variance (n − 1) of the N Sharpe ratios.
 * - The best is `best` when given, else the highest Sharpe among the non-constant trials (ties:
 *   the lowest index). Its skewness m₃/m₂^{3/2} and kurtosis m₄/m₂² use population moments.
 * - null with fewer than 2 trials, a trial with fewer than 3 returns, no trial with variation,
 *   or a `best` that is constant (its moments are undefined).
 *
 * Throws UserInputError on a non-finite return or a `best` out of range.
 *
 * @see Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", JPM 40(5): the definition and its numerical example (N = 100, SR 2.5 annualised over 1250 days → DSR ≈ 0.9004), reproduced in the tests.
 */
export function deflatedSharpe(returns: readonly ArrayLike<number>[], best?: number): DeflatedSharpe | null {
  const N = returns.length;
  if (best !== undefined && !(Number.isInteger(best) && best >= 0 && best < N)) {
    throw new UserInputError(`deflatedSharpe: best = ${best}, expected an index in [0, ${N - 1}]`);
  }
  if (N < 2) return null;
  const sharpe = new Float64Array(N);
  let pick = -1;
  for (let i = 0; i < N; i++) {
    const r = returns[i]!;
    if (r.length < 3) return null;
    const m = moments(r, `deflatedSharpe: trial ${i}`);
    sharpe[i] = sharpeOf(m.n, m.mean, m.m2);
    if (m.m2 > 0 && (pick < 0 || sharpe[i]! > sharpe[pick]!)) pick = i;
  }
  if (pick < 0) return null;
  if (best !== undefined) pick = best;
  let mean = 0;
  for (let i = 0; i < N; i++) mean += sharpe[i]!;
  mean /= N;
  let ss = 0;
  for (let i = 0; i < N; i++) ss += (sharpe[i]! - mean) ** 2;
  const variance = ss / (N - 1);

  const r = returns[pick]!;
  const T = r.length;
  let mu = 0;
  for (let i = 0; i < T; i++) mu += r[i]!;
  mu /= T;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < T; i++) {
    const d = r[i]! - mu;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  if (!(m2 > 0)) return null;
  m2 /= T;
  m3 /= T;
  m4 /= T;
  const skewness = m3 / Math.pow(m2, 1.5);
  const kurtosis = m4 / (m2 * m2);
  const sr0 = expectedMaxSharpe(N, variance);
  const sr = sharpe[pick]!;
  return {
    trials: N,
    sharpe: sr,
    observations: T,
    skewness,
    kurtosis,
    sharpeVariance: variance,
    expectedMaxSharpe: sr0,
    dsr: probabilisticSharpe(sr, sr0, T, skewness, kurtosis),
  };
}

/** Options of {@link cscvPbo}. */
export interface CscvOptions {
  /** Blocks S (even, ≥ 2; default 16), reduced to the largest even S with at least 2 rows per block when T is short. */
  blocks?: number;
  /**
   * The performance statistic of a run over a set of rows, given the rows (in time order) in a
   * reused buffer that must not be kept. Default: the per-period Sharpe ratio, computed from
   * per-block moments without touching the rows (O(S) per run and combination instead of O(T)).
   */
  metric?: (rows: Float64Array) => number;
}

/**
 * The probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV).
 *
 * The T × N matrix (one return series per run, equal lengths) is cut into S contiguous blocks of
 * equal size q = ⌊T/S⌋; the T − S·q oldest rows are left out so every block has the same size, as
 * the paper requires. For every combination c of S/2 blocks, in lexicographic order, train = c and
 * test = the complement (both in time order): n* = the run with the best train metric (ties: the
 * lowest index), ω̄_c = (rank of n*'s test metric among the N runs, 1 = worst, N = best, ties at
 * their mean rank) / (N + 1), and λ_c = ln(ω̄_c / (1 − ω̄_c)).
 *
 * PBO φ = the share of combinations with λ_c ≤ 0, the empirical ∫_{−∞}^{0} f(λ)dλ of the paper.
 * λ_c = 0 exactly when n* lands on the median out of sample; it counts as overfit, the
 * conservative reading (a selection that does no better than the median showed no skill). So runs
 * that are exact copies of each other give PBO 1.
 *
 * Degradation: the least-squares slope and R² of the test metric on the train metric of the
 * selected runs (null when the train metrics do not vary beyond rounding, R² null when the test
 * ones do not, and
 * both null with a non-finite metric). probLoss: the share of combinations whose selected run has
 * a test metric below 0.
 *
 * null with fewer than 2 runs or fewer than 4 rows (S = 2 blocks of 2 rows at least).
 * Throws UserInputError on unequal lengths, a non-finite return, a bad `blocks` or a NaN metric.
 *
 * @see Bailey, Borwein, López de Prado & Zhu (2015), "The Probability of Backtest Overfitting", J. Computational Finance 20(4): the CSCV algorithm, PBO, performance degradation and probability of loss.
 * @example cscvPbo(runs.map((r) => r.returns), { blocks: 16 })?.pbo
 */
export function cscvPbo(matrix: readonly ArrayLike<number>[], options: CscvOptions = {}): Pbo | null {
  const N = matrix.length;
  const requested = options.blocks ?? 16;
  if (!(Number.isInteger(requested) && requested >= 2 && requested % 2 === 0)) {
    throw new UserInputError(`cscvPbo: blocks = ${requested}, expected an even integer ≥ 2`);
  }
  if (N === 0) return null;
  const T = matrix[0]!.length;
  for (let n = 0; n < N; n++) {
    const r = matrix[n]!;
    if (r.length !== T) throw new UserInputError(`cscvPbo: run ${n} has ${r.length} returns, run 0 has ${T}; CSCV needs a common grid`);
    for (let t = 0; t < T; t++) {
      if (!Number.isFinite(r[t]!)) throw new UserInputError(`cscvPbo: run ${n}, return ${t}: ${r[t]} is not a finite number`);
    }
  }
  if (N < 2 || T < 4) return null;
  const S = Math.min(requested, 2 * Math.floor(T / 4));
  const q = Math.floor(T / S);
  const skip = T - S * q;
  const half = S / 2;
  const custom = options.metric;

  // Per run and block: mean and sum of squared deviations (Welford), merged per combination (Chan et al.).
  const bMean = new Float64Array(N * S);
  const bM2 = new Float64Array(N * S);
  if (!custom) {
    for (let n = 0; n < N; n++) {
      const r = matrix[n]!;
      for (let b = 0; b < S; b++) {
        let mean = 0;
        let m2 = 0;
        const from = skip + b * q;
        for (let i = 0; i < q; i++) {
          const x = r[from + i]!;
          const d = x - mean;
          mean += d / (i + 1);
          m2 += d * (x - mean);
        }
        bMean[n * S + b] = mean;
        bM2[n * S + b] = m2;
      }
    }
  }

  const inTrain = new Uint8Array(S);
  const combo = Int32Array.from({ length: half }, (_, i) => i);
  const train = new Float64Array(N);
  const test = new Float64Array(N);
  const rows = custom ? new Float64Array(half * q) : null;
  const logits: number[] = [];
  const selIs: number[] = [];
  const selOos: number[] = [];
  let overfit = 0;
  let losses = 0;

  const evaluate = (n: number, side: 1 | 0, c: number): number => {
    if (rows && custom) {
      const r = matrix[n]!;
      let k = 0;
      for (let b = 0; b < S; b++) {
        if (inTrain[b] !== side) continue;
        const from = skip + b * q;
        for (let i = 0; i < q; i++) rows[k++] = r[from + i]!;
      }
      const v = custom(rows);
      if (Number.isNaN(v)) throw new UserInputError(`cscvPbo: the metric returned NaN for run ${n} in combination ${c}`);
      return v;
    }
    let count = 0;
    let mean = 0;
    let m2 = 0;
    for (let b = 0; b < S; b++) {
      if (inTrain[b] !== side) continue;
      const bm = bMean[n * S + b]!;
      if (count === 0) {
        // Taken as is: bm·q/q may not round back to bm, and blocks of one constant would then differ.
        mean = bm;
        m2 = bM2[n * S + b]!;
        count = q;
        continue;
      }
      const total = count + q;
      const delta = bm - mean;
      mean += (delta * q) / total;
      m2 += bM2[n * S + b]! + (delta * delta * count * q) / total;
      count = total;
    }
    return sharpeOf(count, mean, m2);
  };

  for (let c = 0; ; c++) {
    inTrain.fill(0);
    for (let j = 0; j < half; j++) inTrain[combo[j]!] = 1;
    let star = 0;
    for (let n = 0; n < N; n++) {
      train[n] = evaluate(n, 1, c);
      test[n] = evaluate(n, 0, c);
      if (train[n]! > train[star]!) star = n;
    }
    const x = test[star]!;
    let below = 0;
    let equal = 0;
    for (let n = 0; n < N; n++) {
      if (test[n]! < x) below++;
      else if (test[n] === x) equal++;
    }
    const omega = (below + (equal + 1) / 2) / (N + 1);
    const lambda = Math.log(omega / (1 - omega));
    logits.push(lambda);
    if (lambda <= 0) overfit++;
    if (x < 0) losses++;
    selIs.push(train[star]!);
    selOos.push(x);
    // Next combination in lexicographic order.
    let j = half - 1;
    while (j >= 0 && combo[j] === S - half + j) j--;
    if (j < 0) break;
    combo[j]!++;
    for (let k = j + 1; k < half; k++) combo[k] = combo[k - 1]! + 1;
  }

  const { slope, r2 } = degradation(selIs, selOos);
  return {
    blocks: S,
    combinations: logits.length,
    pbo: overfit / logits.length,
    logits,
    degradationSlope: slope,
    degradationR2: r2,
    probLoss: losses / logits.length,
  };
}

/** Least-squares slope and R² of y on x (two-pass, centred); null where x (or, for R², y) does not vary beyond rounding. */
function degradation(x: readonly number[], y: readonly number[]): { slope: number | null; r2: number | null } {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) return { slope: null, r2: null };
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  // Spread at the level of rounding (the same Sharpe merged from blocks in another order) is no spread.
  const noise = (v: number): number => n * (1e-13 * v) ** 2;
  let ax = 0;
  let ay = 0;
  for (let i = 0; i < n; i++) {
    ax = Math.max(ax, Math.abs(x[i]!));
    ay = Math.max(ay, Math.abs(y[i]!));
  }
  if (!(sxx > noise(ax))) return { slope: null, r2: null };
  return { slope: sxy / sxx, r2: syy > noise(ay) ? (sxy * sxy) / (sxx * syy) : null };
}
