/**
 * ofi-backtest: order-flow research on crypto futures.
 *
 * The root entry holds the pure library (events and schemas, calculators, signals, risk, the backtester, sweeps and their scoreboards),
 * which runs unchanged in Node, Deno and a browser. Readers and writers that need the file
 * system live in `ofi-backtest/io`.
 */
export * from './core/index.js';
export * from './microstructure/index.js';
export * from './risk/index.js';
export * from './signals/index.js';
export * from './backtest/index.js';
export * from './sweep/index.js';
export * from './reporting/index.js';
export * from './config.js';
