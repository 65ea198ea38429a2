/**
 * The vocabulary of the feature fusion (`fusion.ts`): its options (what each means, its default,
 * and the one place they are checked and filled in), its output shapes, and the two small rules
 * that turn a pair of z-scores into a side and a consistency. The resolved options are what the
 * feature fingerprint is taken of, so two configurations that compute the same thing carry the
 * same `fp`.
 */
import { UserInputError } from '../core/errors.js';
import { DIVERGENCE_TYPES, DivergenceKernel, type Divergence, type DivergenceOptions, type DivergenceType } from './divergence.js';
import type { WindowSpec } from './rolling-window.js';

/** Version of the fusion semantics, part of every fingerprint: bumped when an output would change. */
export const FUSION_VERSION = 1;

/** Trade side a score points to. */
export type FusionSide = 'buy' | 'sell' | 'neutral';

/** Options of {@link FeatureFusion} and {@link fusion}. Every field has a documented default. */
export interface FusionOptions {
  /** Horizon both flows are summed over: `{ ms: T }` or `{ events: N }` (N quotes for OFI, N market prints for CVD). Default `{ ms: 1000 }`. */
  flowWindow?: WindowSpec;
  /** Rolling z-score of each flow. Defaults: window `{ ms: 60_000 }`, `minPeriods` 30, `robust` false (mean/std; true: median/MAD). */
  zscore?: { window?: WindowSpec; minPeriods?: number; robust?: boolean };
  /** Weights of the score. Default `{ ofi: 0.6, cvd: 0.4 }`. */
  weights?: { ofi?: number; cvd?: number };
  /** |score| beyond which the side is buy or sell. Default 1. */
  threshold?: number;
  /** OFI update-id rule (`ofi.ts`). Default `'drop-stale'`. */
  updateIds?: 'drop-stale' | 'keep';
  /** Prints that count as trade flow. Default `'market'`. */
  prints?: 'market' | 'all';
  /** Divergence settings, or `false` (or `null`) for none. Defaults: `sampleMs` 1000, `flow` `'cvd'`, `ttlMs` 60 000, pivots 5/5, `maxGap` 100, all types. */
  divergence?: false | null | (DivergenceOptions & { sampleMs?: number; flow?: 'cvd' | 'ofi'; ttlMs?: number });
}

/** The options with every default filled in: what the fingerprint is taken of. */
export interface ResolvedFusionOptions {
  version: number;
  flowWindow: WindowSpec;
  zscore: { window: WindowSpec; minPeriods: number; robust: boolean };
  weights: { ofi: number; cvd: number };
  threshold: number;
  updateIds: 'drop-stale' | 'keep';
  prints: 'market' | 'all';
  divergence: null | { sampleMs: number; flow: 'cvd' | 'ofi'; ttlMs: number; left: number; right: number; maxGap: number; types: DivergenceType[] };
}

/** One fused reading. */
export interface FusionOutput {
  z_ofi: number;
  z_cvd: number;
  fusion: { score: number; side: FusionSide; consistency: number };
  divergence: Divergence | null;
  fp: string;
}

/** Fused readings as columns, one row per input event (quotes and trades merged); `NaN` where not ready. */
export interface FusionColumns {
  /** Timestamp of the event of each row. */
  ts: Float64Array;
  z_ofi: Float64Array;
  z_cvd: Float64Array;
  score: Float64Array;
  /** +1 buy, −1 sell, 0 neutral (and 0 where not ready). */
  side: Int8Array;
  consistency: Float64Array;
  /** Index into `divergences` of the row's divergence, −1 for none. */
  divergence: Int32Array;
  /** Every divergence detected so far by this calculator, in the order they became known. */
  divergences: Divergence[];
  fp: string;
}

function finite(name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new UserInputError(`${name}: expected a finite number, got ${String(v)}`, 'E_OPTION');
  return v;
}

function windowOf(name: string, w: WindowSpec): WindowSpec {
  const x = w as Partial<{ events: number; ms: number }>;
  if (x && x.events !== undefined && x.ms === undefined) {
    if (!Number.isInteger(x.events) || x.events < 1) throw new UserInputError(`${name}.events: expected an integer ≥ 1, got ${String(x.events)}`, 'E_OPTION');
    return { events: x.events };
  }
  if (x && x.ms !== undefined && x.events === undefined) {
    if (!(x.ms > 0 && Number.isFinite(x.ms))) throw new UserInputError(`${name}.ms: expected a finite number > 0, got ${String(x.ms)}`, 'E_OPTION');
    return { ms: x.ms };
  }
  throw new UserInputError(`${name}: expected exactly one of { events: N } or { ms: T }`, 'E_OPTION');
}

/** Fill in the defaults and check every option, naming the one that is wrong. */
export function resolveFusionOptions(o: FusionOptions = {}): ResolvedFusionOptions {
  const z = o.zscore ?? {};
  const minPeriods = z.minPeriods ?? 30;
  if (!Number.isInteger(minPeriods) || minPeriods < 2) throw new UserInputError(`zscore.minPeriods: expected an integer ≥ 2, got ${String(minPeriods)}`, 'E_OPTION');
  const threshold = finite('threshold', o.threshold ?? 1);
  if (threshold < 0) throw new UserInputError(`threshold: expected a number ≥ 0, got ${threshold}`, 'E_OPTION');
  const updateIds = o.updateIds ?? 'drop-stale';
  if (updateIds !== 'drop-stale' && updateIds !== 'keep') throw new UserInputError(`updateIds: expected 'drop-stale' or 'keep', got ${String(updateIds)}`, 'E_OPTION');
  const prints = o.prints ?? 'market';
  if (prints !== 'market' && prints !== 'all') throw new UserInputError(`prints: expected 'market' or 'all', got ${String(prints)}`, 'E_OPTION');
  let divergence: ResolvedFusionOptions['divergence'] = null;
  if (o.divergence !== false && o.divergence !== null) {
    const d = o.divergence ?? {};
    const sampleMs = finite('divergence.sampleMs', d.sampleMs ?? 1000);
    if (sampleMs <= 0) throw new UserInputError(`divergence.sampleMs: expected a number > 0, got ${sampleMs}`, 'E_OPTION');
    const ttlMs = d.ttlMs ?? 60_000;
    if (!(ttlMs >= 0)) throw new UserInputError(`divergence.ttlMs: expected a number ≥ 0, got ${String(ttlMs)}`, 'E_OPTION');
    const flow = d.flow ?? 'cvd';
    if (flow !== 'cvd' && flow !== 'ofi') throw new UserInputError(`divergence.flow: expected 'cvd' or 'ofi', got ${String(flow)}`, 'E_OPTION');
    const types = [...(d.types ?? DIVERGENCE_TYPES)].sort();
    divergence = { sampleMs, flow, ttlMs, left: d.left ?? 5, right: d.right ?? 5, maxGap: d.maxGap ?? 100, types };
    new DivergenceKernel(divergence); // checks left, right, maxGap, types
  }
  return {
    version: FUSION_VERSION,
    flowWindow: windowOf('flowWindow', o.flowWindow ?? { ms: 1000 }),
    zscore: { window: windowOf('zscore.window', z.window ?? { ms: 60_000 }), minPeriods, robust: z.robust ?? false },
    weights: { ofi: finite('weights.ofi', o.weights?.ofi ?? 0.6), cvd: finite('weights.cvd', o.weights?.cvd ?? 0.4) },
    threshold,
    updateIds,
    prints,
    divergence,
  };
}

/**
 * `1 − |a − b| / (|a| + |b|)`: 1 for equal z-scores, 0 for opposite signs, 0 when both are 0.
 * @example consistencyOf(2, 1) // 1 − 1/3 = 0.666…
 */
export function consistencyOf(a: number, b: number): number {
  const s = Math.abs(a) + Math.abs(b);
  return s > 0 ? 1 - Math.abs(a - b) / s : 0;
}

/** Side of a score: buy above `threshold`, sell below `−threshold`. */
export function sideOf(score: number, threshold: number): FusionSide {
  return score > threshold ? 'buy' : score < -threshold ? 'sell' : 'neutral';
}
