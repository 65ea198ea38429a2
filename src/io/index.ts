/**
 * `ofi-backtest/io`: readers and writers of market data (Node only).
 */
export * from './lines.js';
export * from './zip.js';
export * from './source.js';
