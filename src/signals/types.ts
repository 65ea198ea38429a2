/**
 * The typed signal: what `CoreAlgorithm` emits, what the risk layer takes, and what signal
 * sinks store. Flat and snake_case, so a JSONL line, an SQLite row and a Parquet row have the
 * same fields and downstream tools (pandas, DuckDB) need no unnesting.
 */
import type { DivergenceType } from '../microstructure/divergence.js';
import type { FusionSide } from '../microstructure/fusion-options.js';

/** Direction and strength of a signal, strongest first. */
export const SIGNAL_TYPES = ['strong_buy', 'buy', 'neutral', 'sell', 'strong_sell'] as const;
export type SignalType = (typeof SIGNAL_TYPES)[number];

/** One signal. */
export interface Signal {
  /** Exchange time of the update that produced it, ms since epoch. */
  ts_ms: number;
  symbol: string;
  signal_type: SignalType;
  /** True when the confirmation rules (consistency, agreement over N updates, divergence) passed. */
  confirm: boolean;
  /** The score the thresholds were applied to (the fusion score, in z units). */
  score: number;
  /** True when a gate stopped the signal from being acted on (it is still recorded). */
  gating_blocked: boolean;
  /** Why it was gated, in order: `spread`, `lag`, `stale`, `warmup`, `low_activity`, `mode`, … */
  gating_reasons: string[];
  /** The strategy mode when the signal was made (`quiet`, `normal`, `active`, `aggressive`). */
  strategy_mode: string;
  z_ofi: number;
  z_cvd: number;
  fusion_score: number;
  fusion_side: FusionSide;
  fusion_consistency: number;
  /** The latest divergence in force, if any. */
  divergence_type: DivergenceType | null;
  divergence_strength: number;
  /** Fingerprint of the feature configuration. */
  fp: string;
  /** Hash of the whole resolved configuration of the run. */
  config_hash: string;
  run_id: string;
  /** 0-based sequence number of the signal within its run. */
  seq: number;
}

/** The columns of a signal, in storage order. */
export const SIGNAL_FIELDS = [
  'seq',
  'ts_ms',
  'symbol',
  'signal_type',
  'confirm',
  'score',
  'gating_blocked',
  'gating_reasons',
  'strategy_mode',
  'z_ofi',
  'z_cvd',
  'fusion_score',
  'fusion_side',
  'fusion_consistency',
  'divergence_type',
  'divergence_strength',
  'fp',
  'config_hash',
  'run_id',
] as const satisfies readonly (keyof Signal)[];

/**
 * Where signals go. Sinks take signals synchronously (a signal loop must not wait on disk)
 * and make them durable at `flush()`; `close()` flushes and releases.
 */
export interface SignalSink {
  write(signal: Signal): void;
  flush(): void | Promise<void>;
  close(): void | Promise<void>;
}

/** A sink that keeps nothing (`--sink null`): for timing a run without its output. */
export class NullSink implements SignalSink {
  count = 0;
  write(): void {
    this.count++;
  }
  flush(): void {}
  close(): void {}
}

/** A sink that keeps signals in memory (tests, notebooks). */
export class MemorySink implements SignalSink {
  readonly signals: Signal[] = [];
  write(signal: Signal): void {
    this.signals.push({ ...signal, gating_reasons: [...signal.gating_reasons] });
  }
  flush(): void {}
  close(): void {}
}
