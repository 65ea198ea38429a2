/**
 * `sweep/`: parameter sweeps, pure. A sweep file ({@link parseSweepSpec}) expands into frozen run
 * plans with stable hashes ({@link expandSweep}); each plan is evaluated on the validation
 * scheme's segments of one in-memory event table, sharing stage-1 features across plans and
 * running the segments that follow one another in one pass ({@link evaluatePlan}, `evaluate.ts`); the records make a scoreboard with the deflated Sharpe
 * ratio and the probability of backtest overfitting ({@link buildScoreboard}, `overfit.ts`).
 * Worker threads, `runs.jsonl` and the command live in `runs/` and `cli/`.
 */
export * from './types.js';
export * from './config.js';
export * from './metrics.js';
export * from './spec.js';
export * from './expand.js';
export * from './evaluate.js';
export * from './scoreboard.js';
export * from './overfit.js';
