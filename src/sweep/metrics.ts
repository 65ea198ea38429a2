/**
 * The metrics a sweep keeps of each segment: the numeric headline metrics of the backtester
 * (`MetricsAggregator.result()`), in a fixed order — the scoreboard's columns and the names an
 * objective may use. The ISO dates and the best/worst trade objects are left out: a scoreboard
 * compares numbers.
 *
 * @see ../backtest/metrics.ts for each metric's definition and source
 */
import type { BacktestMetrics } from '../backtest/metrics.js';
import type { SegmentMetrics } from './types.js';

/** Numeric metric names of {@link BacktestMetrics}, headline first: the scoreboard's column order. */
export const METRIC_NAMES = [
  'totalReturn',
  'sharpe',
  'sortino',
  'calmar',
  'omega',
  'annualReturn',
  'maxDrawdown',
  'maxDrawdownValue',
  'maxDrawdownDurationMs',
  'totalTrades',
  'closedTrades',
  'openTrades',
  'winRate',
  'profitFactor',
  'expectancy',
  'tradePnl',
  'closedTradePnl',
  'openTradePnl',
  'avgWinningTrade',
  'avgLosingTrade',
  'avgWinningTradeReturn',
  'avgLosingTradeReturn',
  'avgWinningTradeDurationMs',
  'avgLosingTradeDurationMs',
  'avgTradeDurationMs',
  'benchmarkReturn',
  'totalFees',
  'totalFunding',
  'turnover',
  'volume',
  'fills',
  'maxGrossExposure',
  'maxGrossExposureRatio',
  'startValue',
  'endValue',
  'startTs',
  'endTs',
  'periodMs',
  'returnsCount',
  'returnsIntervalMs',
  'periodsPerYear',
  'equitySamples',
] as const satisfies readonly (keyof BacktestMetrics)[];

/** A metric name a sweep's objective may name. */
export type MetricName = (typeof METRIC_NAMES)[number];

const NAMES: ReadonlySet<string> = new Set(METRIC_NAMES);

/** True when `name` is one of {@link METRIC_NAMES}. */
export function isMetricName(name: string): name is MetricName {
  return NAMES.has(name);
}

/**
 * The numeric metrics of a run in {@link METRIC_NAMES} order; a value that is null or not finite
 * is null (a segment's JSON line stays valid).
 *
 * @example segmentMetrics(agg.result()).sharpe // a number, or null when fewer than two returns
 */
export function segmentMetrics(m: BacktestMetrics): SegmentMetrics {
  const out: SegmentMetrics = {};
  for (const k of METRIC_NAMES) {
    const v = m[k];
    out[k] = typeof v === 'number' && Number.isFinite(v) ? v : null;
  }
  return out;
}
