/**
 * Hand-made feature rows for the signal tests, and a configuration with every gate and
 * confirmation rule off, so a test turns on only the rule it is about.
 */
import { CoreAlgorithm, type CoreAlgorithmOptions } from '../../src/signals/core-algorithm.js';
import type { SignalConfigInput } from '../../src/signals/config.js';
import type { FeatureRowInput } from '../../src/signals/feature-input.js';
import { MemorySink, type Signal } from '../../src/signals/types.js';

/** Every gate and confirmation rule off; cooldown 10 s. */
export const BARE: SignalConfigInput = {
  min_consistency: 0,
  agree_updates: 1,
  divergence_rule: 'ignore',
  max_spread_bps: 0,
  max_lag_ms: 0,
  stale_ms: 0,
  warmup_sec: 0,
  min_trade_rate: 0,
  min_quote_rate: 0,
  blocked_modes: [],
  cooldown_sec: 10,
};

/**
 * A quote row at `ts` whose two z-scores both equal `score` (so the fused score is `score`
 * under weights summing to 1, and consistency is 1), mid 60,000, spread 0.1 (0.017 bps).
 */
export function row(ts: number, score: number | null, extra: Partial<FeatureRowInput> = {}): FeatureRowInput {
  return {
    symbol: 'BTCUSDT',
    ts,
    kind: 'quote',
    mid: 60_000,
    spread: 0.1,
    z_ofi: score,
    z_cvd: score,
    score,
    side: score === null ? 0 : score > 1 ? 1 : score < -1 ? -1 : 0,
    consistency: score === null ? null : score === 0 ? 0 : 1,
    div_type: null,
    div_strength: null,
    fp: 'feedfeedfeedfeed',
    ...extra,
  };
}

/** Run rows through a fresh algorithm with `signal` (over {@link BARE}); the signals made. */
export function run(rows: readonly FeatureRowInput[], signal: SignalConfigInput = {}, options: Partial<CoreAlgorithmOptions> = {}): Signal[] {
  const sink = new MemorySink();
  const algo = new CoreAlgorithm({ runId: 'test', signal: { ...BARE, ...signal }, ...options }, sink);
  for (const r of rows) algo.updateFeatures(r);
  algo.flush();
  return sink.signals;
}

/** `[ts, signal_type]` of each signal. */
export function types(signals: readonly Signal[]): [number, string][] {
  return signals.map((s) => [s.ts_ms, s.signal_type]);
}

/** Rows every `stepMs` from `from` to `to` (inclusive), each made by `make(ts, i)`. */
export function every(from: number, to: number, stepMs: number, make: (ts: number, i: number) => FeatureRowInput): FeatureRowInput[] {
  const out: FeatureRowInput[] = [];
  for (let ts = from, i = 0; ts <= to; ts += stepMs, i++) out.push(make(ts, i));
  return out;
}
