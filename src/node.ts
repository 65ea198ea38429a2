/**
 * `ofi-backtest/io`: everything that needs Node — readers and writers of market data, the
 * dataset handle, the data-quality gate (`io/`), and the jobs built on them (`runs/`).
 * The pure library is the root entry.
 */
export * from './io/index.js';
export * from './runs/index.js';
