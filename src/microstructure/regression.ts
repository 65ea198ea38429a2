/**
 * Ordinary least squares with an intercept, for the few regressors of the price-impact
 * regressions (Cont, Kukanov & Stoikov 2014: ΔP = α + β·OFI + ε; Xu, Gould & Howison 2019: one β
 * per book level), with classical and Newey–West (HAC) standard errors. No dependency: the
 * normal equations of a handful of regressors are solved by Cholesky.
 *
 * Numerics: the regressors and the response are centred on their means before the cross
 * products are formed, so X'X is block-diagonal (n for the constant, the centred moments for
 * the slopes) and its condition number is that of the slopes alone, not inflated by large
 * means. α is recovered as ȳ − β·x̄ and its variance from the full covariance of (ȳ, β).
 *
 * - Classical: Var(θ) = σ²·(X'X)⁻¹, σ² = RSS / (n − p), p = k + 1.
 * - Newey–West: Var(θ) = (X'X)⁻¹·S·(X'X)⁻¹ with S = Σ_t e_t² x_t x_t' + Σ_{l=1..L} w_l Σ_t e_t e_{t−l}
 *   (x_t x_{t−l}' + x_{t−l} x_t'), Bartlett weights w_l = 1 − l/(L + 1), no small-sample factor;
 *   the default L = ⌊4·(n/100)^{2/9}⌋ (Newey & West 1994). It allows for the autocorrelation and
 *   heteroskedasticity of interval returns, which the classical errors assume away.
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1), §3 (the regression and its t-statistics).
 * @see Newey & West (1987), "A simple, positive semi-definite, heteroskedasticity and autocorrelation consistent covariance matrix", Econometrica 55(3).
 * @see Newey & West (1994), "Automatic lag selection in covariance matrix estimation", Review of Economic Studies 61(4): the lag rule.
 */
import { UserInputError } from '../core/errors.js';

/** Options of {@link ols}. */
export interface OlsOptions {
  /**
   * Standard errors: `'classical'` (default), or `'hac'` for Newey–West with the default lag,
   * or `{ hac: L }` with L lags.
   */
  se?: 'classical' | 'hac' | { hac: number };
}

/** The fit of `y = α + Σ_j β_j·x_j + ε`. */
export interface OlsResult {
  /** Observations. */
  n: number;
  /** Regressors, the constant excluded. */
  k: number;
  alpha: number;
  beta: number[];
  /** Standard errors of α and of each β. */
  seAlpha: number;
  seBeta: number[];
  /** t-statistics: coefficient over its standard error. */
  tAlpha: number;
  tBeta: number[];
  /** 1 − RSS/TSS. */
  r2: number;
  /** 1 − (1 − R²)(n − 1)/(n − p). */
  adjR2: number;
  /** Residual standard error √(RSS/(n − p)). */
  sigma: number;
  /** `'classical'` or `'hac'`, and the lag used by HAC. */
  se: 'classical' | 'hac';
  hacLags?: number;
}

/** Newey & West (1994)'s automatic lag: ⌊4·(n/100)^{2/9}⌋. */
export function neweyWestLags(n: number): number {
  return Math.floor(4 * Math.pow(n / 100, 2 / 9));
}

/**
 * In-place Cholesky factor (lower, row-major p×p) of a symmetric positive-definite matrix.
 * Returns false when a pivot is not positive (relative to the diagonal): collinear regressors.
 */
function cholesky(a: Float64Array, p: number): boolean {
  for (let j = 0; j < p; j++) {
    let d = a[j * p + j]!;
    const scale = d;
    for (let m = 0; m < j; m++) d -= a[j * p + m]! * a[j * p + m]!;
    if (!(d > 1e-12 * scale) || !(scale > 0)) return false;
    const ljj = Math.sqrt(d);
    a[j * p + j] = ljj;
    for (let i = j + 1; i < p; i++) {
      let s = a[i * p + j]!;
      for (let m = 0; m < j; m++) s -= a[i * p + m]! * a[j * p + m]!;
      a[i * p + j] = s / ljj;
    }
    for (let m = j + 1; m < p; m++) a[j * p + m] = 0;
  }
  return true;
}

/** The inverse of A = L·L' from its Cholesky factor, column by column. */
function choleskyInverse(l: Float64Array, p: number): Float64Array {
  const inv = new Float64Array(p * p);
  const z = new Float64Array(p);
  for (let c = 0; c < p; c++) {
    // L z = e_c
    for (let i = 0; i < p; i++) {
      let s = i === c ? 1 : 0;
      for (let m = 0; m < i; m++) s -= l[i * p + m]! * z[m]!;
      z[i] = s / l[i * p + i]!;
    }
    // L' x = z
    for (let i = p - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let m = i + 1; m < p; m++) s -= l[m * p + i]! * inv[m * p + c]!;
      inv[i * p + c] = s / l[i * p + i]!;
    }
  }
  return inv;
}

/**
 * OLS of `y` on the columns `x` (each as long as `y`) with an intercept. Throws a
 * {@link UserInputError} when there are too few observations or the regressors are collinear
 * (a column that never varies included).
 *
 * @example
 * ols([1, 3, 2, 5], [[0, 1, 2, 3]]) // { alpha: 1.1, beta: [1.1], r2: 0.7122…, … } (worked in test/microstructure/regression.test.ts)
 */
export function ols(y: ArrayLike<number>, x: readonly ArrayLike<number>[], options: OlsOptions = {}): OlsResult {
  const n = y.length;
  const k = x.length;
  const p = k + 1;
  for (const [j, col] of x.entries()) {
    if (col.length !== n) throw new UserInputError(`regressor ${j + 1} holds ${col.length} values, the response ${n}`, 'E_OPTION');
  }
  if (n <= p) throw new UserInputError(`regression: ${n} observations for ${p} coefficients; need more than ${p}`, 'E_INPUT');
  const seOpt = options.se ?? 'classical';
  let hacLags = -1;
  if (seOpt === 'hac') hacLags = neweyWestLags(n);
  else if (typeof seOpt === 'object') {
    hacLags = seOpt.hac;
    if (!Number.isInteger(hacLags) || hacLags < 0 || hacLags >= n) throw new UserInputError(`se.hac: expected an integer lag in 0…${n - 1}, got ${String(seOpt.hac)}`, 'E_OPTION');
  } else if (seOpt !== 'classical') throw new UserInputError(`se: expected 'classical', 'hac' or { hac: L }, got ${JSON.stringify(seOpt)}`, 'E_OPTION');

  // means, then centred cross products of the slopes (the constant's block is just n)
  let ybar = 0;
  for (let t = 0; t < n; t++) ybar += y[t]!;
  ybar /= n;
  const xbar = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const c = x[j]!;
    let s = 0;
    for (let t = 0; t < n; t++) s += c[t]!;
    xbar[j] = s / n;
  }
  const xc = x.map((c, j) => {
    const out = new Float64Array(n);
    const m = xbar[j]!;
    for (let t = 0; t < n; t++) out[t] = c[t]! - m;
    return out;
  });
  const a = new Float64Array(k * k);
  const b = new Float64Array(k);
  let tss = 0;
  for (let t = 0; t < n; t++) tss += (y[t]! - ybar) ** 2;
  for (let i = 0; i < k; i++) {
    const ci = xc[i]!;
    let sb = 0;
    for (let t = 0; t < n; t++) sb += ci[t]! * (y[t]! - ybar);
    b[i] = sb;
    for (let j = 0; j <= i; j++) {
      const cj = xc[j]!;
      let s = 0;
      for (let t = 0; t < n; t++) s += ci[t]! * cj[t]!;
      a[i * k + j] = a[j * k + i] = s;
    }
  }
  const l = a.slice();
  if (k > 0 && !cholesky(l, k)) throw new UserInputError('regression: the regressors are collinear (one is constant or a combination of the others), so their coefficients are not identified', 'E_INPUT');
  const ainv = k > 0 ? choleskyInverse(l, k) : new Float64Array(0);
  const beta = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += ainv[i * k + j]! * b[j]!;
    beta[i] = s;
  }
  let alpha = ybar;
  for (let j = 0; j < k; j++) alpha -= beta[j]! * xbar[j]!;
  // residuals
  const e = new Float64Array(n);
  let rss = 0;
  for (let t = 0; t < n; t++) {
    let f = ybar;
    for (let j = 0; j < k; j++) f += beta[j]! * xc[j]![t]!;
    const r = y[t]! - f;
    e[t] = r;
    rss += r * r;
  }
  const dof = n - p;
  const sigma2 = rss / dof;

  // covariance of θ = (c, β) in the centred design, where c = ȳ is the constant's coefficient
  // and X'X = diag(n, A)
  const v = new Float64Array(p * p);
  if (hacLags < 0) {
    v[0] = sigma2 / n;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) v[(i + 1) * p + (j + 1)] = sigma2 * ainv[i * k + j]!;
  } else {
    // S = Σ_t e_t² z_t z_t' + Σ_l w_l Σ_t e_t e_{t−l} (z_t z_{t−l}' + z_{t−l} z_t'), z_t = (1, xc_t)
    const s = new Float64Array(p * p);
    const zt = new Float64Array(p);
    const zs = new Float64Array(p);
    const fill = (z: Float64Array, t: number) => {
      z[0] = 1;
      for (let j = 0; j < k; j++) z[j + 1] = xc[j]![t]!;
    };
    for (let t = 0; t < n; t++) {
      fill(zt, t);
      const w = e[t]! * e[t]!;
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s[i * p + j] = s[i * p + j]! + w * zt[i]! * zt[j]!;
    }
    for (let lag = 1; lag <= hacLags; lag++) {
      const wl = 1 - lag / (hacLags + 1);
      for (let t = lag; t < n; t++) {
        fill(zt, t);
        fill(zs, t - lag);
        const w = wl * e[t]! * e[t - lag]!;
        for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s[i * p + j] = s[i * p + j]! + w * (zt[i]! * zs[j]! + zs[i]! * zt[j]!);
      }
    }
    // (X'X)⁻¹ = diag(1/n, A⁻¹)
    const xinv = new Float64Array(p * p);
    xinv[0] = 1 / n;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) xinv[(i + 1) * p + (j + 1)] = ainv[i * k + j]!;
    const tmp = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
      let acc = 0;
      for (let m = 0; m < p; m++) acc += xinv[i * p + m]! * s[m * p + j]!;
      tmp[i * p + j] = acc;
    }
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
      let acc = 0;
      for (let m = 0; m < p; m++) acc += tmp[i * p + m]! * xinv[m * p + j]!;
      v[i * p + j] = acc;
    }
  }
  // α = c − x̄'β: Var(α) = g' V g with g = (1, −x̄)
  let varAlpha = 0;
  for (let i = 0; i < p; i++) {
    const gi = i === 0 ? 1 : -xbar[i - 1]!;
    for (let j = 0; j < p; j++) varAlpha += gi * v[i * p + j]! * (j === 0 ? 1 : -xbar[j - 1]!);
  }
  const seAlpha = Math.sqrt(Math.max(varAlpha, 0));
  const seBeta = Array.from({ length: k }, (_, j) => Math.sqrt(Math.max(v[(j + 1) * p + (j + 1)]!, 0)));
  const r2 = tss > 0 ? 1 - rss / tss : NaN;
  const out: OlsResult = {
    n,
    k,
    alpha,
    beta: Array.from(beta),
    seAlpha,
    seBeta,
    tAlpha: alpha / seAlpha,
    tBeta: Array.from(beta, (bj, j) => bj / seBeta[j]!),
    r2,
    adjR2: 1 - ((1 - r2) * (n - 1)) / dof,
    sigma: Math.sqrt(sigma2),
    se: hacLags < 0 ? 'classical' : 'hac',
  };
  if (hacLags >= 0) out.hacLags = hacLags;
  return out;
}
