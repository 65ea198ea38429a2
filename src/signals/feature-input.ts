/**
 * Feature rows as `CoreAlgorithm.updateFeatures` takes them: the rows `ofi-backtest features`
 * writes (`microstructure/feature-columns.ts`), one per update (`ts`, `kind`, `mid`, `spread`,
 * …) or one per bar (the bar's fields flat: `start`, `end`, `close`, `spread`, `quotes`,
 * `trades`, …), each with the fused features. JSONL has no NaN, so a number without a value is
 * `null` there; both are read as "no value".
 *
 * {@link featureRowProblem} is the boundary check for rows read from a file: it names the first
 * field that cannot be used, so a reader can refuse the line with that field.
 */
import { DIVERGENCE_TYPES } from '../microstructure/divergence.js';

/** A number, or `null`/`undefined` for "no value". */
export type MaybeNumber = number | null | undefined;

/** One feature row (an update row or a bar row), as read from JSONL or made by `FeatureSet`. */
export interface FeatureRowInput {
  symbol: string;
  /** Update rows: the update's exchange time, ms. */
  ts?: MaybeNumber;
  /** Update rows: what the update was. */
  kind?: 'quote' | 'trade';
  mid?: MaybeNumber;
  spread?: MaybeNumber;
  /** Bar rows: the bar's end (its row's time), its last mid, quote and trade counts. */
  end?: MaybeNumber;
  close?: MaybeNumber;
  quotes?: MaybeNumber;
  trades?: MaybeNumber;
  z_ofi: MaybeNumber;
  z_cvd: MaybeNumber;
  score: MaybeNumber;
  /** +1 buy, −1 sell, 0 neutral or not ready. */
  side?: MaybeNumber;
  consistency: MaybeNumber;
  div_type?: string | null;
  div_strength?: MaybeNumber;
  fp?: string;
  /** Local receive time of the update, ms, when the producer kept it (lets the lag gate work on rows). */
  recv_ts?: MaybeNumber;
}

const NUMERIC = ['ts', 'mid', 'spread', 'end', 'close', 'quotes', 'trades', 'z_ofi', 'z_cvd', 'score', 'side', 'consistency', 'div_strength', 'recv_ts'] as const;

/** True for a JSON object that looks like a feature row (has the fused columns). */
export function isFeatureRowShape(o: unknown): boolean {
  return typeof o === 'object' && o !== null && 'symbol' in o && 'score' in o && 'z_ofi' in o && ('ts' in o || 'end' in o);
}

/**
 * Why a parsed JSON value cannot be used as a feature row, as `[field, message]`; `null` when
 * it can. Checks types only (a row's numbers are the features' own; nothing is recomputed).
 */
export function featureRowProblem(o: unknown): [string, string] | null {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return ['', 'expected a JSON object (a feature row)'];
  const r = o as Record<string, unknown>;
  if (typeof r.symbol !== 'string' || r.symbol === '') return ['symbol', `expected a non-empty string, got ${JSON.stringify(r.symbol)}`];
  for (const k of NUMERIC) {
    const v = r[k];
    if (v !== undefined && v !== null && typeof v !== 'number') return [k, `expected a number or null, got ${JSON.stringify(v)}`];
  }
  const bar = typeof r.end === 'number';
  if (!bar && typeof r.ts !== 'number') return ['ts', `expected the update's exchange time (ms) or a bar's end, got ${JSON.stringify(r.ts)}`];
  if (!bar && r.kind !== 'quote' && r.kind !== 'trade') return ['kind', `expected "quote" or "trade", got ${JSON.stringify(r.kind)}`];
  for (const k of ['z_ofi', 'z_cvd', 'score', 'consistency'] as const) if (!(k in r)) return [k, 'missing (a feature row carries the fused features)'];
  if (r.div_type !== undefined && r.div_type !== null && !(DIVERGENCE_TYPES as readonly unknown[]).includes(r.div_type)) {
    return ['div_type', `expected one of ${DIVERGENCE_TYPES.join(', ')} or null, got ${JSON.stringify(r.div_type)}`];
  }
  if (r.fp !== undefined && typeof r.fp !== 'string') return ['fp', `expected a string, got ${JSON.stringify(r.fp)}`];
  return null;
}
