/**
 * `ofi-backtest/io`: readers and writers of market data, the dataset handle, the Arrow IPC
 * cache and the data-quality gate. Node only (file system); the pure library is the root entry.
 */
export * from './source.js';
export * from './lines.js';
export * from './zip.js';
export { readCapture, symbolFromFileName } from './capture.js';
export { readBinanceDump, dumpNameInfo, type DumpKind } from './binance-dump.js';
export { readLobster, lobsterName, lobsterDayStartMs, type LobsterReadOptions, type LobsterName } from './lobster.js';
export * from './jsonl.js';
export * from './parquet.js';
export * from './hive.js';
export * from './dataset.js';
export * from './merge.js';
export * from './ipc-cache.js';
export * from './buffer-pool.js';
export * from './dq.js';
export * from './quarantine.js';
export * from './detect.js';
export * from './convert.js';
export * from './config-file.js';
export * from './sample.js';
export * from './ordered.js';
export * from './event-runs.js';
export { concatRuns, sliceBatch, takeRows, filterByTime, normalizeBatch, type RowRun } from './batch-ops.js';
