/**
 * Signals for sink tests: a fast-check arbitrary over every field (NaN, ±Infinity and -0
 * scores, empty and several gating reasons, null divergence, strings with quotes, backslashes
 * and non-ASCII characters), and `signalAt(seq)`, a fixed pseudo-random signal per sequence
 * number so a child process and the test that killed it agree on what was written.
 */
import fc from 'fast-check';
import { DIVERGENCE_TYPES, type DivergenceType } from '../../src/microstructure/divergence.js';
import { SIGNAL_TYPES, type Signal } from '../../src/signals/types.js';

const REASONS = ['spread', 'lag', 'stale', 'warmup', 'low_activity', 'mode'];
const MODES = ['quiet', 'normal', 'active', 'aggressive'];
const SIDES = ['buy', 'sell', 'neutral'] as const;
const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });

/** Any signal of run `runId` (its `seq` is set by the caller). */
export function signalArb(runId = 'run-arb'): fc.Arbitrary<Signal> {
  return fc.record({
    seq: fc.constant(0),
    ts_ms: fc.oneof({ arbitrary: fc.integer({ min: 1_700_000_000_000, max: 1_800_000_000_000 }), weight: 4 }, { arbitrary: fc.double(), weight: 1 }),
    symbol: fc.oneof(fc.constantFrom('BTCUSDT', 'ETHUSDT', 'BTCUSD_PERP'), fc.string({ unit: 'binary', maxLength: 10 })),
    signal_type: fc.constantFrom(...SIGNAL_TYPES),
    confirm: fc.boolean(),
    score: fc.double(),
    gating_blocked: fc.boolean(),
    gating_reasons: fc.array(fc.oneof(fc.constantFrom(...REASONS), fc.string({ unit: 'binary', maxLength: 12 })), { maxLength: 4 }),
    strategy_mode: fc.constantFrom(...MODES),
    z_ofi: fc.double(),
    z_cvd: fc.double(),
    fusion_score: fc.double(),
    fusion_side: fc.constantFrom(...SIDES),
    fusion_consistency: fc.double(),
    divergence_type: fc.option(fc.constantFrom(...DIVERGENCE_TYPES), { nil: null }),
    divergence_strength: fc.double(),
    fp: hex(16),
    config_hash: hex(16),
    run_id: fc.constant(runId),
  });
}

/** Signals `0..n-1` of a run as the arbitrary makes them, numbered. */
export function signalsArb(runId: string, minLength: number, maxLength: number): fc.Arbitrary<Signal[]> {
  return fc.array(signalArb(runId), { minLength, maxLength }).map((list) => list.map((s, seq) => ({ ...s, seq })));
}

/** What a sink gives back for a signal: non-finite numbers as NaN, -0 as 0. */
export function asStored(s: Signal): Signal {
  const out = { ...s, gating_reasons: [...s.gating_reasons] } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) if (typeof v === 'number') out[k] = Number.isFinite(v) ? (v === 0 ? 0 : v) : Number.NaN;
  return out as unknown as Signal;
}

/** A 32-bit mix of two integers (splitmix-style), for `signalAt`. */
function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform in [0, 1) from `seq` and a salt. */
function u(seq: number, salt: number): number {
  return mix(seq, salt) / 2 ** 32;
}

/** A fixed signal for each sequence number: about one in eight scores NaN, some reasons, some divergence. */
export function signalAt(seq: number, runId: string): Signal {
  const score = u(seq, 1) < 0.125 ? Number.NaN : (u(seq, 2) - 0.5) * 8;
  const nReasons = Math.floor(u(seq, 3) * 4);
  const reasons: string[] = [];
  for (let i = 0; i < nReasons; i++) reasons.push(REASONS[mix(seq, 10 + i) % REASONS.length]!);
  const div: DivergenceType | null = u(seq, 4) < 0.7 ? null : DIVERGENCE_TYPES[mix(seq, 5) % 4]!;
  return {
    seq,
    ts_ms: 1_723_000_000_000 + seq * 7 + (mix(seq, 6) % 7),
    symbol: u(seq, 7) < 0.5 ? 'BTCUSDT' : 'ETHUSDT',
    signal_type: SIGNAL_TYPES[mix(seq, 8) % SIGNAL_TYPES.length]!,
    confirm: u(seq, 9) < 0.5,
    score,
    gating_blocked: nReasons > 0,
    gating_reasons: reasons,
    strategy_mode: MODES[mix(seq, 20) % MODES.length]!,
    z_ofi: (u(seq, 21) - 0.5) * 6,
    z_cvd: u(seq, 22) < 0.05 ? Number.NaN : (u(seq, 23) - 0.5) * 6,
    fusion_score: score,
    fusion_side: SIDES[mix(seq, 24) % 3]!,
    fusion_consistency: u(seq, 25),
    divergence_type: div,
    divergence_strength: div === null ? Number.NaN : u(seq, 26),
    fp: 'a1b2c3d4e5f60718',
    config_hash: '0123456789abcdef',
    run_id: runId,
  };
}
