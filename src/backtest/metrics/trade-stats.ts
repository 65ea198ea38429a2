/**
 * Trade statistics over round trips, accumulated one round trip at a time (O(1) state), for
 * the whole run and for each layer (symbol, strategy mode, hour, signal).
 *
 * Closed round trips make the statistics; open ones are counted and their marked PnL is part
 * of the layer's PnL, but they do not enter the win rate, averages, profit factor or
 * expectancy — the convention of vectorbt's trade stats, since an open round trip has no
 * outcome yet. A winner has net PnL > 0, a loser < 0; a round trip at exactly 0 is neither
 * (it still counts in the denominator of the win rate and in the expectancy).
 *
 * - win rate = winners / closed
 * - profit factor = Σ winners' PnL / |Σ losers' PnL| (null without a loser)
 * - expectancy = mean net PnL of the closed round trips
 *   (= win rate · average win + loss rate · average loss, as vectorbt and Tharp define it)
 *
 * @see https://vectorbt.dev/api/portfolio/trades/ (win_rate, profit_factor, expectancy; closed vs open)
 * @see Tharp, V. K. (1998), Trade Your Way to Financial Freedom (expectancy).
 */
import type { RoundTrip } from './round-trips.js';

/** The best or worst round trip. */
export interface TripSummary {
  id: number;
  symbol: string;
  pnl: number;
  return: number;
  durationMs: number;
}

/** Statistics of a set of round trips. */
export interface TradeStatsResult {
  /** Round trips, open ones included. */
  trades: number;
  closed: number;
  open: number;
  winners: number;
  losers: number;
  /** winners / closed (null without a closed round trip). */
  winRate: number | null;
  /** Net PnL of every round trip, the open ones marked: quote currency. */
  pnl: number;
  /** Net PnL of the closed ones. */
  closedPnl: number;
  /** Marked net PnL of the open ones. */
  openPnl: number;
  grossProfit: number;
  grossLoss: number;
  profitFactor: number | null;
  expectancy: number | null;
  /** Best and worst closed round trip by net PnL (the first one on a tie). */
  best: TripSummary | null;
  worst: TripSummary | null;
  avgWinningTrade: number | null;
  avgLosingTrade: number | null;
  avgWinningTradeReturn: number | null;
  avgLosingTradeReturn: number | null;
  avgWinningTradeDurationMs: number | null;
  avgLosingTradeDurationMs: number | null;
  avgTradeDurationMs: number | null;
  /** Fees of every round trip, quote currency. */
  fees: number;
  /** Notional traded in and out (Σ qty · price of entries and exits), quote currency. */
  volume: number;
}

/** Accumulates round trips into {@link TradeStatsResult}. */
export class TradeStats {
  private closed = 0;
  private winners = 0;
  private losers = 0;
  private closedPnl = 0;
  private grossProfit = 0;
  private grossLoss = 0;
  private winReturn = 0;
  private lossReturn = 0;
  private winDur = 0;
  private lossDur = 0;
  private dur = 0;
  private fees = 0;
  private volume = 0;
  private best: TripSummary | null = null;
  private worst: TripSummary | null = null;

  /** Add a closed round trip. */
  add(t: RoundTrip): void {
    this.closed++;
    this.closedPnl += t.pnl;
    this.fees += t.fees;
    this.volume += t.entryQty * t.entryPrice + t.exitQty * t.exitPrice;
    this.dur += t.durationMs;
    if (t.pnl > 0) {
      this.winners++;
      this.grossProfit += t.pnl;
      this.winReturn += t.return;
      this.winDur += t.durationMs;
    } else if (t.pnl < 0) {
      this.losers++;
      this.grossLoss += t.pnl;
      this.lossReturn += t.return;
      this.lossDur += t.durationMs;
    }
    if (this.best === null || t.pnl > this.best.pnl) this.best = summary(t);
    if (this.worst === null || t.pnl < this.worst.pnl) this.worst = summary(t);
  }

  /** The statistics, with these open round trips (marked) counted in. */
  result(open: readonly RoundTrip[] = []): TradeStatsResult {
    let openPnl = 0;
    let openFees = 0;
    let openVolume = 0;
    for (const t of open) {
      openPnl += t.pnl;
      openFees += t.fees;
      openVolume += t.entryQty * t.entryPrice + (t.exitQty > 0 ? t.exitQty * t.exitPrice : 0);
    }
    const c = this.closed;
    const div = (a: number, b: number) => (b > 0 ? a / b : null);
    return {
      trades: c + open.length,
      closed: c,
      open: open.length,
      winners: this.winners,
      losers: this.losers,
      winRate: div(this.winners, c),
      pnl: this.closedPnl + openPnl,
      closedPnl: this.closedPnl,
      openPnl,
      grossProfit: this.grossProfit,
      grossLoss: this.grossLoss,
      profitFactor: this.losers > 0 ? this.grossProfit / -this.grossLoss : null,
      expectancy: div(this.closedPnl, c),
      best: this.best && { ...this.best },
      worst: this.worst && { ...this.worst },
      avgWinningTrade: div(this.grossProfit, this.winners),
      avgLosingTrade: div(this.grossLoss, this.losers),
      avgWinningTradeReturn: div(this.winReturn, this.winners),
      avgLosingTradeReturn: div(this.lossReturn, this.losers),
      avgWinningTradeDurationMs: div(this.winDur, this.winners),
      avgLosingTradeDurationMs: div(this.lossDur, this.losers),
      avgTradeDurationMs: div(this.dur, c),
      fees: this.fees + openFees,
      volume: this.volume + openVolume,
    };
  }
}

function summary(t: RoundTrip): TripSummary {
  return { id: t.id, symbol: t.symbol, pnl: t.pnl, return: t.return, durationMs: t.durationMs };
}
