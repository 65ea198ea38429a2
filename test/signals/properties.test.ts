/**
 * Properties of CoreAlgorithm over random feature-row streams (fast-check): the same input
 * gives the same signals byte for byte; a standing condition is signalled at most once per
 * cooldown; within a cooldown a symbol's next signal in the same direction is an upgrade; the
 * gating reasons are the documented ones in their order; sequence numbers count from 0.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GATING_REASONS, type SignalConfigInput } from '../../src/signals/config.js';
import type { FeatureRowInput } from '../../src/signals/feature-input.js';
import { DIVERGENCE_TYPES } from '../../src/microstructure/divergence.js';
import type { Signal } from '../../src/signals/types.js';
import { BARE, row, run } from './rows.js';

const configArb: fc.Arbitrary<SignalConfigInput> = fc.record({
  buy_threshold: fc.double({ min: 0.5, max: 2, noNaN: true }),
  sell_threshold: fc.double({ min: 0.5, max: 2, noNaN: true }),
  strong_buy_threshold: fc.double({ min: 2, max: 3.5, noNaN: true }),
  strong_sell_threshold: fc.double({ min: 2, max: 3.5, noNaN: true }),
  min_consistency: fc.double({ min: 0, max: 1, noNaN: true }),
  agree_updates: fc.integer({ min: 1, max: 6 }),
  divergence_rule: fc.constantFrom('veto', 'confirm', 'ignore'),
  max_spread_bps: fc.constantFrom(0, 0.5, 2),
  max_lag_ms: fc.constantFrom(0, 50, 250),
  stale_ms: fc.constantFrom(0, 500, 3000),
  warmup_sec: fc.constantFrom(0, 1, 5),
  min_trade_rate: fc.constantFrom(0, 1, 3),
  min_quote_rate: fc.constantFrom(0, 5, 10),
  cooldown_sec: fc.constantFrom(0, 0.5, 2, 10),
  emit_neutral: fc.boolean(),
});

/** A random stream of rows of two symbols, times rising by 0–400 ms. */
const rowsArb: fc.Arbitrary<FeatureRowInput[]> = fc
  .array(
    fc.record({
      dt: fc.integer({ min: 0, max: 400 }),
      eth: fc.boolean(),
      score: fc.oneof({ arbitrary: fc.constant(null), weight: 1 }, { arbitrary: fc.double({ min: -4, max: 4, noNaN: true }), weight: 12 }),
      trade: fc.boolean(),
      spread: fc.double({ min: 0.1, max: 20, noNaN: true }),
      consistency: fc.double({ min: 0, max: 1, noNaN: true }),
      div: fc.option(fc.constantFrom(...DIVERGENCE_TYPES), { nil: null }),
      lag: fc.integer({ min: 0, max: 400 }),
    }),
    { maxLength: 300 },
  )
  .map((steps) => {
    let ts = 1_723_161_256_000;
    return steps.map((s) => {
      ts += s.dt;
      return row(ts, s.score, {
        symbol: s.eth ? 'ETHUSDT' : 'BTCUSDT',
        kind: s.trade ? 'trade' : 'quote',
        spread: s.spread,
        consistency: s.score === null ? null : s.consistency,
        div_type: s.div,
        div_strength: s.div ? 0.3 : null,
        recv_ts: ts - 1270 + s.lag,
      });
    });
  });

const rank = (s: Signal) => ({ dir: s.signal_type.endsWith('buy') ? 1 : s.signal_type.endsWith('sell') ? -1 : 0, level: s.signal_type.startsWith('strong') ? 2 : 1, act: s.confirm && !s.gating_blocked ? 1 : 0 });

describe('CoreAlgorithm properties', () => {
  it('the same input gives the same signals, byte for byte', () => {
    fc.assert(
      fc.property(configArb, rowsArb, (cfg, rows) => {
        const a = JSON.stringify(run(rows, cfg));
        const b = JSON.stringify(run(rows.map((r) => ({ ...r })), cfg));
        expect(b).toBe(a);
      }),
      { numRuns: 150 },
    );
  });

  it('a standing condition is signalled at most once per cooldown', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0.5, 2, 10),
        fc.double({ min: -4, max: 4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.integer({ min: 1, max: 3000 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 6 }),
        (cooldown, score, consistency, gaps, agree) => {
          // rows of the score's sign below the thresholds first, so agreement is already complete
          const lead = Array.from({ length: agree }, (_, i) => row(i, Math.sign(score) * 0.1 || 0.1, { consistency }));
          let ts = agree;
          const standing = gaps.map((g) => row((ts += g), score, { consistency }));
          const s = run([...lead, ...standing], { cooldown_sec: cooldown, agree_updates: agree, min_consistency: 0.3 });
          for (let i = 1; i < s.length; i++) expect(s[i]!.ts_ms - s[i - 1]!.ts_ms).toBeGreaterThanOrEqual(cooldown * 1000);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('within a cooldown, a symbol\'s next signal in the same direction is an upgrade', () => {
    fc.assert(
      fc.property(configArb, rowsArb, (cfg, rows) => {
        const cooldownMs = (cfg.cooldown_sec ?? 10) * 1000;
        const last = new Map<string, Signal>();
        for (const s of run(rows, cfg)) {
          if (s.signal_type === 'neutral') continue;
          const p = last.get(s.symbol);
          last.set(s.symbol, s);
          if (!p || s.ts_ms - p.ts_ms >= cooldownMs) continue;
          const a = rank(p);
          const b = rank(s);
          if (a.dir !== b.dir) continue;
          expect(b.level >= a.level && b.act >= a.act && (b.level > a.level || b.act > a.act), JSON.stringify([p, s])).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('reasons are documented ones in order, gating_blocked says whether there are any, seq counts from 0', () => {
    fc.assert(
      fc.property(configArb, rowsArb, (cfg, rows) => {
        const s = run(rows, { ...BARE, ...cfg });
        s.forEach((x, i) => {
          expect(x.seq).toBe(i);
          expect(x.gating_blocked).toBe(x.gating_reasons.length > 0);
          const idx = x.gating_reasons.map((r) => (GATING_REASONS as readonly string[]).indexOf(r));
          expect(idx.every((k, j) => k >= 0 && (j === 0 || k > idx[j - 1]!))).toBe(true);
        });
      }),
      { numRuns: 150 },
    );
  });
});
