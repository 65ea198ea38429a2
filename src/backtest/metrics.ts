/**
 * MetricsAggregator: the numbers researchers compare across backtesting tools, computed as a
 * run streams — per fill, per equity sample, per mark — in state that does not grow with the
 * number of events, with a {@link MetricsAggregator.result} snapshot at any time.
 *
 * Definitions (each with its source; the `metrics/` files give the details):
 * - start, end, period: the first and last equity sample's time, and the span between them.
 * - start value: the first equity sample (or `startValue` when given); end value: the last.
 * - total return = end value / start value − 1.
 * - benchmark return: buy-and-hold of the run's symbols, equal weight, each from its first mid
 *   to its last: mean over symbols of (last mid / first mid − 1). No fees, no funding.
 * - max gross exposure: the largest Σ|position · mark| of the equity samples, in quote
 *   currency and as a ratio to equity at that sample.
 * - total fees = Σ fill fees (rebates negative); total funding = Σ funding paid (received negative).
 * - max drawdown and its duration: {@link DrawdownTracker} (vectorbt's drawdowns).
 * - trades: round trips flat → flat, flips cut in two, partial exits FIFO ({@link RoundTrips});
 *   win rate, best / worst / average trades and durations, profit factor, expectancy on the
 *   closed ones ({@link TradeStats}; vectorbt's trade stats).
 * - Sharpe, Sortino, Omega on simple returns of the equity resampled to `returnsIntervalMs`
 *   bins (default 1 s) and annualised with √P, P = 365 days / interval (the market trades
 *   every day); risk-free rate 0, Sortino's required return 0, Omega's threshold 0
 *   (empyrical). Calmar = CAGR / max drawdown with CAGR = (end / start)^(P / n) − 1 over the n
 *   returns (empyrical's `annual_return`, `calmar_ratio`). See `metrics/returns.ts`.
 * - turnover = Σ |fill qty · price| / start value: how many times the starting capital was traded.
 *
 * A ratio that is undefined (no losing return, no drawdown, fewer than two returns, an
 * overflowing CAGR) is null, never ±Infinity or NaN, so the result is valid JSON as it stands.
 *
 * Layered metrics ({@link MetricsAggregator.layered}) split the round trips by symbol, strategy
 * mode, UTC hour of the entry and signal (the entry fill's tag, e.g. `strong_buy`). Every
 * round trip is in exactly one group of each layer, so a layer's PnL, fees and trade counts sum
 * to the totals.
 *
 * Pure: no clock, no file, no Node API; a driver feeds it, the Node side writes what it returns.
 *
 * @see https://vectorbt.dev/api/portfolio/base/ (Portfolio.stats: the field list this follows)
 * @see https://github.com/quantopian/empyrical/blob/master/empyrical/stats.py
 */
import type { BacktestHooks } from './driver.js';
import type { Fill } from './types.js';
import { DrawdownTracker } from './metrics/drawdown.js';
import { annualReturn, calmar, MS_PER_YEAR, omega, ReturnStats, sharpe, sortino } from './metrics/returns.js';
import { RoundTrips, type RoundTrip } from './metrics/round-trips.js';
import { TradeStats, type TradeStatsResult, type TripSummary } from './metrics/trade-stats.js';

export { MS_PER_YEAR } from './metrics/returns.js';
export type { RoundTrip } from './metrics/round-trips.js';
export type { TradeStatsResult, TripSummary } from './metrics/trade-stats.js';

/** Default width of the return bins the ratios are computed on: 1 second. */
export const DEFAULT_RETURNS_INTERVAL_MS = 1000;

/** Options of {@link MetricsAggregator}. */
export interface MetricsOptions {
  /** Width of the return bins, ms (default {@link DEFAULT_RETURNS_INTERVAL_MS}). */
  returnsIntervalMs?: number;
  /** The start value when known before the first sample (the initial cash); default the first equity sample. */
  startValue?: number;
  /** Hears each round trip as it closes (a writer of trades.parquet keeps them; the aggregator does not). */
  onTrade?: (trip: RoundTrip) => void;
}

/** The headline metrics of a run. Undefined values are null. */
export interface BacktestMetrics {
  /** First and last equity sample, ISO 8601 UTC, and in ms. */
  start: string | null;
  end: string | null;
  startTs: number | null;
  endTs: number | null;
  periodMs: number;
  startValue: number | null;
  endValue: number | null;
  totalReturn: number | null;
  benchmarkReturn: number | null;
  maxGrossExposure: number;
  maxGrossExposureRatio: number;
  totalFees: number;
  totalFunding: number;
  maxDrawdown: number;
  maxDrawdownValue: number;
  maxDrawdownDurationMs: number;
  maxDrawdownPeak: string | null;
  maxDrawdownTrough: string | null;
  maxDrawdownRecovery: string | null;
  totalTrades: number;
  closedTrades: number;
  openTrades: number;
  winRate: number | null;
  bestTrade: TripSummary | null;
  worstTrade: TripSummary | null;
  avgWinningTrade: number | null;
  avgLosingTrade: number | null;
  avgWinningTradeReturn: number | null;
  avgLosingTradeReturn: number | null;
  avgWinningTradeDurationMs: number | null;
  avgLosingTradeDurationMs: number | null;
  avgTradeDurationMs: number | null;
  profitFactor: number | null;
  expectancy: number | null;
  /** Net PnL of the round trips (closed, plus open ones marked), quote currency: end − start + funding. */
  tradePnl: number;
  closedTradePnl: number;
  openTradePnl: number;
  sharpe: number | null;
  sortino: number | null;
  calmar: number | null;
  omega: number | null;
  annualReturn: number | null;
  returnsIntervalMs: number;
  periodsPerYear: number;
  returnsCount: number;
  turnover: number | null;
  /** Σ |fill qty · price|, quote currency. */
  volume: number;
  fills: number;
  equitySamples: number;
}

/** One group of a layer: its round trips' statistics. */
export interface LayerGroup extends TradeStatsResult {
  /** Funding of the group (by symbol only; 0 elsewhere). */
  funding: number;
  /** Buy-and-hold return of the symbol (by symbol only). */
  benchmarkReturn: number | null;
  /** Signals of this type seen (by signal only). */
  signals: number;
}

/** Metrics split by symbol, strategy mode, UTC hour of entry and signal. Keys sorted. */
export interface LayeredMetrics {
  bySymbol: Record<string, LayerGroup>;
  byMode: Record<string, LayerGroup>;
  byHour: Record<string, LayerGroup>;
  bySignal: Record<string, LayerGroup>;
}

type LayerKey = 'bySymbol' | 'byMode' | 'byHour' | 'bySignal';
const LAYERS: readonly LayerKey[] = ['bySymbol', 'byMode', 'byHour', 'bySignal'];

/** The group a round trip belongs to in a layer. */
function groupOf(layer: LayerKey, t: RoundTrip): string {
  switch (layer) {
    case 'bySymbol':
      return t.symbol;
    case 'byMode':
      return t.mode || 'unknown';
    case 'byHour':
      return String(t.entryHour).padStart(2, '0');
    case 'bySignal':
      return t.entryTag || 'untagged';
  }
}

/** First and last mid of a symbol. */
interface MarkState {
  first: number;
  last: number;
  lastTs: number;
}

/**
 * Streams a run into its metrics. Feed fills ({@link onFill}), equity samples
 * ({@link onEquity}), mids ({@link onMark}), funding ({@link onFunding}) and, for the signal
 * layer, signals ({@link onSignal}); read {@link result} and {@link layered} at any time.
 *
 * @example
 * const m = new MetricsAggregator({ startValue: 10_000 });
 * m.onEquity(t0, 10_000, 10_000, 0);
 * m.onFill({ orderId: 1, symbol: 'BTCUSDT', side: 'buy', price: 60_000, qty: 0.01, liquidity: 'taker', fee: 0.24, ts: t0 + 5, tag: 'strong_buy' });
 * m.onMark('BTCUSDT', t0 + 1000, 60_100);
 * m.onEquity(t0 + 1000, 10_000.76, 9_399.76, 601);
 * m.result().openTrades // 1
 */
export class MetricsAggregator {
  readonly returnsIntervalMs: number;
  private readonly returns: ReturnStats;
  private readonly drawdown = new DrawdownTracker();
  private readonly trips: RoundTrips;
  private readonly total = new TradeStats();
  private readonly layers = new Map<LayerKey, Map<string, TradeStats>>(LAYERS.map((l) => [l, new Map()]));
  private readonly marks = new Map<string, MarkState>();
  private readonly funding = new Map<string, number>();
  private readonly signals = new Map<string, number>();
  private readonly onTrade: ((trip: RoundTrip) => void) | undefined;
  private startValue: number;
  private firstTs = Number.NaN;
  private lastTs = Number.NaN;
  private endValue = Number.NaN;
  private samples = 0;
  private maxGross = 0;
  private maxGrossRatio = 0;
  private fees = 0;
  private volume = 0;
  private fills = 0;
  private latest = Number.NaN;

  constructor(options: MetricsOptions = {}) {
    this.returnsIntervalMs = options.returnsIntervalMs ?? DEFAULT_RETURNS_INTERVAL_MS;
    this.returns = new ReturnStats(this.returnsIntervalMs);
    this.startValue = options.startValue ?? Number.NaN;
    this.onTrade = options.onTrade;
    this.trips = new RoundTrips((t) => this.closed(t));
  }

  /** A fill of the ledger; `mode` is the strategy mode it was made in (labels a round trip it opens). */
  onFill(fill: Fill, mode = ''): void {
    this.fills++;
    this.fees += fill.fee;
    this.volume += Math.abs(fill.qty * fill.price);
    this.see(fill.ts);
    this.trips.update(fill, mode);
  }

  /** An equity sample: total equity, cash, and gross exposure Σ|qty · mark|, quote currency. */
  onEquity(ts: number, equity: number, _cash: number, grossExposure: number): void {
    if (this.samples === 0) {
      this.firstTs = ts;
      if (this.startValue !== this.startValue) this.startValue = equity;
      this.drawdown.update(ts, this.startValue);
    }
    this.samples++;
    this.lastTs = ts;
    this.endValue = equity;
    this.see(ts);
    this.returns.update(ts, equity);
    this.drawdown.update(ts, equity);
    const g = Math.abs(grossExposure);
    if (g > this.maxGross) this.maxGross = g;
    if (equity > 0 && g / equity > this.maxGrossRatio) this.maxGrossRatio = g / equity;
  }

  /** A mid price of a symbol: the benchmark's first and last, and the mark of an open round trip. */
  onMark(symbol: string, ts: number, mid: number): void {
    if (!(mid > 0)) return;
    const m = this.marks.get(symbol);
    if (m) {
      m.last = mid;
      m.lastTs = ts;
    } else this.marks.set(symbol, { first: mid, last: mid, lastTs: ts });
  }

  /** Funding paid (> 0) or received (< 0) on a symbol's position, quote currency. */
  onFunding(symbol: string, ts: number, amount: number): void {
    this.funding.set(symbol, (this.funding.get(symbol) ?? 0) + amount);
    this.see(ts);
  }

  /** A signal the strategy saw (its type, e.g. `strong_buy`), for the signal layer's counts. */
  onSignal(signalType: string): void {
    this.signals.set(signalType, (this.signals.get(signalType) ?? 0) + 1);
  }

  /** Round trips still open, marked at the latest mids. */
  openTrades(): RoundTrip[] {
    return this.trips.open(this.latest, (s) => this.marks.get(s)?.last ?? Number.NaN);
  }

  /**
   * The driver's hooks feeding this aggregator as a run streams (`runBacktest({ hooks })`), only
   * what happens at or after exchange time `from`: a validation segment whose run went through
   * the data before it to warm up.
   */
  hooks(from = -Infinity): BacktestHooks {
    return {
      onEquity: (ts, equity, cash, gross) => {
        if (ts >= from) this.onEquity(ts, equity, cash, gross);
      },
      onFill: (fill, mode) => {
        if (fill.ts >= from) this.onFill(fill, mode);
      },
      onMark: (symbol, ts, mark) => {
        if (ts >= from) this.onMark(symbol, ts, mark);
      },
      onFunding: (symbol, ts, amount) => {
        if (ts >= from) this.onFunding(symbol, ts, amount);
      },
      onSignal: (r) => {
        if (r.ts >= from) this.onSignal(r.signal_type);
      },
    };
  }

  /** The headline metrics now. */
  result(): BacktestMetrics {
    const open = this.openTrades();
    const t = this.total.result(open);
    const dd = this.drawdown.result();
    const m = this.returns.moments();
    const P = this.returns.periodsPerYear;
    const has = this.samples > 0;
    const totalReturn = has && this.startValue > 0 ? this.endValue / this.startValue - 1 : null;
    const annual = totalReturn === null ? null : annualReturn(totalReturn, m.n, P);
    let funding = 0;
    for (const f of this.funding.values()) funding += f;
    return {
      start: has ? iso(this.firstTs) : null,
      end: has ? iso(this.lastTs) : null,
      startTs: has ? this.firstTs : null,
      endTs: has ? this.lastTs : null,
      periodMs: has ? this.lastTs - this.firstTs : 0,
      startValue: has ? this.startValue : null,
      endValue: has ? this.endValue : null,
      totalReturn,
      benchmarkReturn: this.benchmark(),
      maxGrossExposure: this.maxGross,
      maxGrossExposureRatio: this.maxGrossRatio,
      totalFees: this.fees,
      totalFunding: funding,
      maxDrawdown: dd.maxDrawdown,
      maxDrawdownValue: dd.maxDrawdownValue,
      maxDrawdownDurationMs: dd.maxDurationMs,
      maxDrawdownPeak: isoOrNull(dd.peakTs),
      maxDrawdownTrough: isoOrNull(dd.troughTs),
      maxDrawdownRecovery: isoOrNull(dd.recoveryTs),
      totalTrades: t.trades,
      closedTrades: t.closed,
      openTrades: t.open,
      winRate: t.winRate,
      bestTrade: t.best,
      worstTrade: t.worst,
      avgWinningTrade: t.avgWinningTrade,
      avgLosingTrade: t.avgLosingTrade,
      avgWinningTradeReturn: t.avgWinningTradeReturn,
      avgLosingTradeReturn: t.avgLosingTradeReturn,
      avgWinningTradeDurationMs: t.avgWinningTradeDurationMs,
      avgLosingTradeDurationMs: t.avgLosingTradeDurationMs,
      avgTradeDurationMs: t.avgTradeDurationMs,
      profitFactor: t.profitFactor,
      expectancy: t.expectancy,
      tradePnl: t.pnl,
      closedTradePnl: t.closedPnl,
      openTradePnl: t.openPnl,
      sharpe: sharpe(m, P),
      sortino: sortino(m, P),
      calmar: calmar(annual, dd.maxDrawdown),
      omega: omega(m),
      annualReturn: annual,
      returnsIntervalMs: this.returnsIntervalMs,
      periodsPerYear: P,
      returnsCount: m.n,
      turnover: has && this.startValue > 0 ? this.volume / this.startValue : null,
      volume: this.volume,
      fills: this.fills,
      equitySamples: this.samples,
    };
  }

  /** Round-trip statistics by symbol, strategy mode, UTC hour of entry and signal, keys sorted. */
  layered(): LayeredMetrics {
    const open = this.openTrades();
    const out = {} as LayeredMetrics;
    for (const layer of LAYERS) {
      const groups = this.layers.get(layer)!;
      const openBy = new Map<string, RoundTrip[]>();
      for (const t of open) {
        const g = groupOf(layer, t);
        const list = openBy.get(g);
        if (list) list.push(t);
        else openBy.set(g, [t]);
      }
      const keys = new Set<string>([...groups.keys(), ...openBy.keys()]);
      if (layer === 'bySymbol') for (const s of [...this.marks.keys(), ...this.funding.keys()]) keys.add(s);
      if (layer === 'bySignal') for (const s of this.signals.keys()) keys.add(s);
      const rec: Record<string, LayerGroup> = {};
      for (const k of [...keys].sort()) {
        const stats = (groups.get(k) ?? new TradeStats()).result(openBy.get(k) ?? []);
        const mark = layer === 'bySymbol' ? this.marks.get(k) : undefined;
        rec[k] = {
          ...stats,
          funding: layer === 'bySymbol' ? (this.funding.get(k) ?? 0) : 0,
          benchmarkReturn: mark ? mark.last / mark.first - 1 : null,
          signals: layer === 'bySignal' ? (this.signals.get(k) ?? 0) : 0,
        };
      }
      out[layer] = rec;
    }
    return out;
  }

  private closed(t: RoundTrip): void {
    this.total.add(t);
    for (const layer of LAYERS) {
      const groups = this.layers.get(layer)!;
      const k = groupOf(layer, t);
      let s = groups.get(k);
      if (!s) groups.set(k, (s = new TradeStats()));
      s.add(t);
    }
    this.onTrade?.(t);
  }

  private benchmark(): number | null {
    if (this.marks.size === 0) return null;
    let sum = 0;
    for (const m of this.marks.values()) sum += m.last / m.first - 1;
    return sum / this.marks.size;
  }

  private see(ts: number): void {
    if (!(this.latest >= ts)) this.latest = ts;
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number): string | null {
  return Number.isFinite(ms) ? iso(ms) : null;
}
