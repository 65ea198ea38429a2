/**
 * Maximum drawdown and the longest time under water, kept as the equity curve streams (O(1)).
 *
 * A drawdown starts at a peak (the highest equity so far) and lasts until equity is back at or
 * above that peak (its recovery) or, never recovered, until the last sample. Its depth is
 * (peak − trough) / peak. The maximum drawdown is the deepest; the maximum drawdown duration
 * is the longest drawdown from peak to recovery (or to the end), which need not be the deepest
 * one — vectorbt's `drawdowns.max_duration`. Both are measured on the equity samples as given,
 * not on the resampled returns, so a trough between two bins still counts.
 *
 * @see https://vectorbt.dev/api/generic/drawdowns/ (peak, valley, recovery; duration from peak to recovery or last index)
 * @see https://github.com/quantopian/empyrical/blob/master/empyrical/stats.py (max_drawdown: (value − running max) / running max)
 */

/** What {@link DrawdownTracker.result} reports. */
export interface DrawdownResult {
  /** Deepest (peak − trough) / peak, ≥ 0. */
  maxDrawdown: number;
  /** Its depth in quote currency. */
  maxDrawdownValue: number;
  /** Time of its peak, its trough and its recovery (NaN if not recovered), ms. */
  peakTs: number;
  troughTs: number;
  recoveryTs: number;
  /** Longest drawdown, peak to recovery or to the last sample, ms. */
  maxDurationMs: number;
}

export class DrawdownTracker {
  private peak = Number.NEGATIVE_INFINITY;
  private peakTs = Number.NaN;
  private lastTs = Number.NaN;
  private under = false;
  private maxDd = 0;
  private maxDdValue = 0;
  private ddPeakTs = Number.NaN;
  private ddTroughTs = Number.NaN;
  private ddRecoveryTs = Number.NaN;
  private ddOpen = false;
  private longest = 0;

  update(ts: number, value: number): void {
    this.lastTs = ts;
    if (value >= this.peak) {
      if (this.under) {
        const d = ts - this.peakTs;
        if (d > this.longest) this.longest = d;
        if (this.ddOpen) {
          this.ddRecoveryTs = ts;
          this.ddOpen = false;
        }
        this.under = false;
      }
      this.peak = value;
      this.peakTs = ts;
      return;
    }
    this.under = true;
    const dd = (this.peak - value) / this.peak;
    if (dd > this.maxDd) {
      this.maxDd = dd;
      this.maxDdValue = this.peak - value;
      this.ddPeakTs = this.peakTs;
      this.ddTroughTs = ts;
      this.ddRecoveryTs = Number.NaN;
      this.ddOpen = true;
    }
  }

  result(): DrawdownResult {
    const open = this.under ? this.lastTs - this.peakTs : 0;
    return {
      maxDrawdown: this.maxDd,
      maxDrawdownValue: this.maxDdValue,
      peakTs: this.ddPeakTs,
      troughTs: this.ddTroughTs,
      recoveryTs: this.ddRecoveryTs,
      maxDurationMs: Math.max(this.longest, open),
    };
  }

  reset(): void {
    this.peak = Number.NEGATIVE_INFINITY;
    this.peakTs = this.lastTs = this.ddPeakTs = this.ddTroughTs = this.ddRecoveryTs = Number.NaN;
    this.under = this.ddOpen = false;
    this.maxDd = this.maxDdValue = this.longest = 0;
  }
}
