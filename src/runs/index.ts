/**
 * `runs/`: the Node side of the pure layers — jobs that read files through `io/`, drive the
 * calculators, signals and risk rules, and write results: features, the price-impact
 * regression, the signal run with its sinks and folder watch, the backtest's DataReader and run, the parameter sweep on a pool of worker threads. The commands and notebooks call
 * these; the pure layers never see a file.
 */
export * from './feature-writer.js';
export * from './features-run.js';
export * from './impact-run.js';
export * from './signal-sinks.js';
export * from './signals-run.js';
export * from './signal-inputs.js';
export * from './signals-watch.js';
export * from './backtest-data.js';
export * from './backtest-run.js';
export * from './sweep-run.js';
export * from './sweep-files.js';
export * from './sweep-shard.js';
export * from './sweep-store.js';
