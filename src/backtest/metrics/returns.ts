/**
 * Moments of an equity curve's returns on a fixed clock, kept as it streams: what the Sharpe,
 * Sortino, Omega and Calmar ratios are computed from.
 *
 * Why resample. Equity samples arrive whenever the driver takes them (on its clock, at fills),
 * so their spacing is uneven, and a ratio of per-sample returns would depend on that spacing.
 * The curve is therefore cut into bins of `intervalMs` aligned to the epoch (bin k is
 * `[k·Δ, (k+1)·Δ)`), each bin's value is the last equity sample inside it, an empty bin keeps
 * the value before it (last observation carried forward), and the returns are the simple
 * returns from bin to bin: exactly `equity.resample(Δ).last().ffill().pct_change().dropna()`
 * in pandas. They compound to the last bin's value over the first bin's, which is end / start
 * when the first sample is alone in its bin (a driver sampling on the same clock).
 *
 * State is O(1): Welford's running mean and sum of squared deviations (empty bins join as a
 * block of zeros through Chan's pairwise update), the sum of squared negative returns and the
 * sums of gains and losses.
 *
 * @see https://github.com/quantopian/empyrical/blob/master/empyrical/stats.py (sharpe_ratio, sortino_ratio, downside_risk, omega_ratio)
 * @see Welford (1962), "Note on a method for calculating corrected sums of squares and products", Technometrics 4(3).
 * @see Chan, Golub & LeVeque (1979), "Updating formulae and a pairwise algorithm for computing sample variances".
 */

/** Milliseconds in a year of a market that trades every day: 365 days (quantstats' and vectorbt's crypto convention). */
export const MS_PER_YEAR = 365 * 86_400_000;

/** Moments of a finished series of returns. */
export interface ReturnMoments {
  /** Number of returns. */
  n: number;
  mean: number;
  /** Sum of squared deviations from the mean (variance × (n − 1) for the sample variance). */
  m2: number;
  /** Σ min(r, 0)²: the downside's squares against a threshold of 0. */
  downSq: number;
  /** Σ max(r, 0). */
  gains: number;
  /** Σ max(−r, 0). */
  losses: number;
}

/** Equity samples in, return moments on a fixed clock out. */
export class ReturnStats {
  private bin = Number.NaN;
  private binLast = Number.NaN;
  private prev = Number.NaN;
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private downSq = 0;
  private gains = 0;
  private losses = 0;

  /** @param intervalMs the bin width Δ, ms (> 0). */
  constructor(readonly intervalMs: number) {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`returns interval: expected a positive number of ms, got ${intervalMs}`);
  }

  /** Periods per year of this interval: the annualisation factor P of √P. */
  get periodsPerYear(): number {
    return MS_PER_YEAR / this.intervalMs;
  }

  /** Add an equity sample (times must not go back; a sample in an earlier bin is taken as the current bin's). */
  update(ts: number, value: number): void {
    const b = Math.floor(ts / this.intervalMs);
    if (this.bin !== this.bin) {
      this.bin = b;
      this.binLast = value;
      return;
    }
    if (b > this.bin) {
      if (this.prev === this.prev) this.add(this.binLast / this.prev - 1);
      this.prev = this.binLast;
      const empty = b - this.bin - 1;
      if (empty > 0) this.addZeros(empty);
      this.bin = b;
    }
    this.binLast = value;
  }

  /** The moments so far, the bin still open counted as the last return. */
  moments(): ReturnMoments {
    const m: ReturnMoments = { n: this.n, mean: this.mean, m2: this.m2, downSq: this.downSq, gains: this.gains, losses: this.losses };
    if (this.prev === this.prev) addReturn(m, this.binLast / this.prev - 1);
    return m;
  }

  reset(): void {
    this.bin = this.binLast = this.prev = Number.NaN;
    this.n = this.mean = this.m2 = this.downSq = this.gains = this.losses = 0;
  }

  private add(r: number): void {
    this.n++;
    const d = r - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (r - this.mean);
    if (r < 0) {
      this.downSq += r * r;
      this.losses -= r;
    } else this.gains += r;
  }

  /** k zero returns at once (Chan et al.: a block with mean 0 and no spread). */
  private addZeros(k: number): void {
    const n = this.n + k;
    const d = -this.mean;
    this.m2 += (d * d * this.n * k) / n;
    this.mean += (d * k) / n;
    this.n = n;
  }
}

function addReturn(m: ReturnMoments, r: number): void {
  m.n++;
  const d = r - m.mean;
  m.mean += d / m.n;
  m.m2 += d * (r - m.mean);
  if (r < 0) {
    m.downSq += r * r;
    m.losses -= r;
  } else m.gains += r;
}

/**
 * Annualised Sharpe ratio with a risk-free rate of 0: mean(r) / std(r) · √P, the standard
 * deviation with n − 1 (empyrical's `sharpe_ratio`, pandas' `std`). Null with fewer than two
 * returns or no spread.
 * @example sharpe({ n: 3, mean: 0.01, m2: 0.0002, … }, 252) // 0.01 / 0.01 · √252 ≈ 15.87
 */
export function sharpe(m: ReturnMoments, periodsPerYear: number): number | null {
  if (m.n < 2) return null;
  const sd = Math.sqrt(m.m2 / (m.n - 1));
  return sd > 0 ? (m.mean / sd) * Math.sqrt(periodsPerYear) : null;
}

/**
 * Annualised Sortino ratio with a required return of 0: mean(r) / √(mean(min(r, 0)²)) · √P,
 * the downside deviation over all n returns (empyrical's `sortino_ratio` and `downside_risk`).
 * Null with fewer than two returns or no return below 0.
 */
export function sortino(m: ReturnMoments, periodsPerYear: number): number | null {
  if (m.n < 2 || m.downSq === 0) return null;
  return (m.mean / Math.sqrt(m.downSq / m.n)) * Math.sqrt(periodsPerYear);
}

/**
 * Omega ratio with a threshold of 0: Σ max(r, 0) / Σ max(−r, 0) (Keating & Shadwick 2002;
 * empyrical's `omega_ratio` with risk_free = required_return = 0). Null with fewer than two
 * returns or no return below 0.
 * @see Keating, C. & Shadwick, W. F. (2002), "A Universal Performance Measure", Journal of Performance Measurement 6(3).
 */
export function omega(m: ReturnMoments): number | null {
  if (m.n < 2 || m.losses === 0) return null;
  return m.gains / m.losses;
}

/**
 * Compound annual growth rate over n returns of P a year: (end / start)^(P / n) − 1
 * (empyrical's `annual_return`). Over a window much shorter than a year this extrapolates
 * wildly; it is what the Calmar ratio is defined on, so it is reported as such.
 */
export function annualReturn(totalReturn: number, n: number, periodsPerYear: number): number | null {
  if (n < 1 || !(totalReturn > -1)) return null;
  const v = Math.pow(1 + totalReturn, periodsPerYear / n) - 1;
  return Number.isFinite(v) ? v : null;
}

/**
 * Calmar ratio: annual return (CAGR) / |maximum drawdown| (empyrical's `calmar_ratio`, Young
 * 1991). Null without a drawdown or when the annual return overflows.
 */
export function calmar(annual: number | null, maxDrawdown: number): number | null {
  if (annual === null || !(maxDrawdown > 0)) return null;
  const v = annual / maxDrawdown;
  return Number.isFinite(v) ? v : null;
}
