/**
 * `backtest/`: a researcher's single run, from data to metrics. Pure and synchronous (files are
 * read and written by `runs/`), so a backtest runs the same in Node, a worker thread, Deno or a
 * browser.
 *
 * - The trading vocabulary shared with live trading: {@link Strategy}, {@link TradingContext},
 *   orders, fills, positions (`types.ts`).
 * - The `DataReader`'s pure part: one merged, columnar event stream ({@link EventTable}) from
 *   any io source's batches, or built once from in-memory tables (`data-reader.ts`).
 * - Stage 1, the feature rows of the stream, shareable across runs (`features-stage.ts`).
 * - The driver: the stream through the `TradeSimulator` and a strategy on two clocks
 *   (`driver.ts`, `context.ts`, `feed-latency.ts`), and the toolkit's own strategy
 *   (`strategies/default.ts`, configured by the `strategy` section).
 * - The `TradeSimulator` and its models (`sim/`), the `backtest` section (`config.ts`), and the
 *   `MetricsAggregator` (`metrics.ts`).
 */
export * from './types.js';
export * from './data-reader.js';
export * from './features-stage.js';
export * from './feed-latency.js';
export * from './context.js';
export * from './driver.js';
export * from './strategies/default.js';
export * from './strategies/signal-tape.js';
export * from './strategy-config.js';
export * from './config.js';
export * from './sim/index.js';
export * from './depth-track.js';
export * from './metrics.js';
