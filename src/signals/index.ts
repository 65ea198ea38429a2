/**
 * The signal layer: fused order-flow features to typed signals. Pure and synchronous (no file
 * system, no network, no Node-only API); the sinks that store signals live in `ofi-backtest/io`.
 *
 * - {@link CoreAlgorithm}: features (or raw quotes and trades) to signals, with thresholds,
 *   confirmation, gating, warm-up, cooldown and de-duplication, per symbol.
 * - {@link SignalSection}: the `signal` configuration section, every default with its reason.
 * - {@link Signal}, {@link SignalSink}: the record and where it goes.
 */
export { CoreAlgorithm, configHashOf, SIGNALS_VERSION, type CoreAlgorithmOptions, type ModeEvent, type ModeSource, type ModeTracker, type SymbolSignalStats } from './core-algorithm.js';
export {
  SignalSection,
  signalRules,
  SIGNAL_OUTPUT_KEYS,
  SIGNAL_SINK_NAMES,
  DIVERGENCE_RULES,
  GATING_REASONS,
  type SignalConfig,
  type SignalConfigInput,
  type DivergenceRule,
  type GatingReason,
} from './config.js';
export { EmissionRule } from './dedup.js';
export { BucketWindow } from './bucket-window.js';
export { featureRowProblem, isFeatureRowShape, type FeatureRowInput, type MaybeNumber } from './feature-input.js';
export { SIGNAL_TYPES, SIGNAL_FIELDS, NullSink, MemorySink, type Signal, type SignalSink, type SignalType } from './types.js';
