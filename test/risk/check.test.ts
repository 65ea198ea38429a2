import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkRisk, DEFAULT_RISK_CONFIG, initialRiskState, resolveRiskConfig, riskStateFromWall } from '../../src/risk/check.js';
import { DailyLossWall } from '../../src/risk/loss-wall.js';
import type { RiskMarket, RiskPosition, RiskSignal, RiskSignalType } from '../../src/risk/types.js';
import { STRATEGY_MODES } from '../../src/risk/strategy-mode-config.js';

const TS = Date.UTC(2024, 7, 8, 23, 58);
const sig = (signal_type: RiskSignalType, extra: Partial<RiskSignal> = {}): RiskSignal => ({ ts_ms: TS, symbol: 'BTCUSDT', signal_type, score: 2, ...extra });
const flat: RiskPosition = { qty: 0, avg_price: NaN, unrealized_pnl: 0, equity: 10_000 };
const mkt = (extra: Partial<RiskMarket> = {}): RiskMarket => ({ ts: TS, mid: 60_000, spread_bps: 0.02, vol: 0.5, mode: 'normal', ...extra });

describe('checkRisk', () => {
  it('opens at the volatility-target size (10,000 · 0.2 / 0.5 / 60,000 → 0.066 BTC)', () => {
    const d = checkRisk(sig('strong_buy'), flat, mkt());
    expect(d).toMatchObject({ allow: true, side: 'buy', qty: 0.066, action: 'open', reason: 'open long', reduce_only: false, position_after: 0.066, mode: 'normal' });
    expect(d.lev).toBeCloseTo(0.396, 12);
    // a weak signal is sized at weak_size (0.5): 0.0333… → 0.033; a short the same
    expect(checkRisk(sig('buy'), flat, mkt()).qty).toBe(0.033);
    expect(checkRisk(sig('strong_sell'), flat, mkt())).toMatchObject({ side: 'sell', qty: 0.066, position_after: -0.066, reason: 'open short' });
  });

  it('refuses while volatility warms up, with reason "warming up"', () => {
    expect(checkRisk(sig('strong_buy'), flat, mkt({ vol: null }))).toMatchObject({ allow: false, reason: 'warming up', side: null, qty: 0, action: 'none' });
  });

  it('modes: quiet takes no entries, aggressive only strong ones at half size', () => {
    expect(checkRisk(sig('strong_buy'), flat, mkt({ mode: 'quiet' }))).toMatchObject({ allow: false, reason: 'mode quiet: no new entries' });
    expect(checkRisk(sig('buy'), flat, mkt({ mode: 'aggressive' }))).toMatchObject({ allow: false, reason: 'mode aggressive: strong signals only' });
    // strong, × aggressive_size 0.5: 0.0333… → 0.033
    expect(checkRisk(sig('strong_buy'), flat, mkt({ mode: 'aggressive' }))).toMatchObject({ allow: true, qty: 0.033 });
    expect(checkRisk(sig('buy'), flat, mkt({ mode: 'active' }))).toMatchObject({ allow: true, qty: 0.033 });
    // configurable: quiet at a quarter size for strong signals
    const cfg = resolveRiskConfig({ quiet_entries: 'strong', quiet_size: 0.25 });
    expect(checkRisk(sig('strong_buy'), flat, mkt({ mode: 'quiet' }), null, cfg)).toMatchObject({ allow: true, qty: 0.016 });
  });

  it('neutral, stale, malformed, unconfirmed and wide-spread signals open nothing', () => {
    expect(checkRisk(sig('neutral'), flat, mkt()).reason).toBe('neutral signal');
    expect(checkRisk(sig('strong_buy', { ts_ms: TS - 6_000 }), flat, mkt()).reason).toBe('stale signal: 6 s old, max_signal_age_sec 5');
    expect(checkRisk(sig('strong_buy', { score: NaN }), flat, mkt()).reason).toBe('bad signal: score NaN');
    expect(checkRisk({ ...sig('strong_buy'), signal_type: 'hold' as RiskSignalType }, flat, mkt()).reason).toBe('bad signal: signal_type "hold"');
    const strict = resolveRiskConfig({ require_confirm: true });
    expect(checkRisk(sig('strong_buy'), flat, mkt(), null, strict).reason).toBe('signal not confirmed');
    expect(checkRisk(sig('strong_buy', { confirm: true }), flat, mkt(), null, strict).allow).toBe(true);
    expect(checkRisk(sig('strong_buy'), flat, mkt({ spread_bps: 3.9 })).reason).toBe('spread 3.9 bps above max_spread_bps 2');
  });

  it('an opposite signal closes (reduce-only), even past the loss wall, in quiet mode or while warming up', () => {
    const long: RiskPosition = { qty: 0.05, avg_price: 61_000, unrealized_pnl: -50, equity: 9_600 };
    // the wall: a day that started at 10,000 and is now at 9,600 (−4% ≥ 3%)
    const before = checkRisk(sig('neutral'), { ...long, equity: 10_000 }, mkt({ ts: Date.UTC(2024, 7, 8, 1) }));
    const close = checkRisk(sig('sell'), long, mkt({ mode: 'quiet', vol: null }), before.risk_state);
    expect(close.risk_state.wall.breached).toBe(true);
    expect(close).toMatchObject({ allow: true, side: 'sell', qty: 0.05, action: 'close', reduce_only: true, position_after: 0, lev: 0 });
    expect(close.reason).toBe('close long on sell signal');
    // and the wall blocks the new risk
    const blocked = checkRisk(sig('strong_buy'), flat, mkt(), close.risk_state);
    expect(blocked.allow).toBe(false);
    expect(blocked.reason).toBe('daily loss wall: day PnL fell to -400 (wall −300) on 2024-08-08');
  });

  it('a breach seen only by a wall fed with every equity update still blocks the next signal', () => {
    // equity dips to −3.5% between two signals and recovers to −1%: the signals alone never see the dip
    const wall = new DailyLossWall(DEFAULT_RISK_CONFIG);
    wall.update(TS - 3_600_000, 10_000);
    wall.update(TS - 1_800_000, 9_650);
    wall.update(TS - 60_000, 9_900);
    const alone = checkRisk(sig('strong_buy'), { ...flat, equity: 9_900 }, mkt(), checkRisk(sig('neutral'), flat, mkt({ ts: TS - 3_600_000 })).risk_state);
    expect(alone.allow, 'the signals alone miss the dip').toBe(true);
    const d = checkRisk(sig('strong_buy'), { ...flat, equity: 9_900 }, mkt(), riskStateFromWall(wall.state));
    expect(d).toMatchObject({ allow: false, reason: 'daily loss wall: day PnL fell to -350 (wall −300) on 2024-08-08' });
  });

  it('on_opposite reverse: one order closes and opens the other way, unless new risk is blocked', () => {
    const cfg = resolveRiskConfig({ on_opposite: 'reverse' });
    const short: RiskPosition = { qty: -0.05, avg_price: 59_000, unrealized_pnl: -50, equity: 10_000 };
    expect(checkRisk(sig('strong_buy'), short, mkt(), null, cfg)).toMatchObject({ allow: true, side: 'buy', qty: 0.116, action: 'reverse', position_after: 0.066, reduce_only: false });
    expect(checkRisk(sig('strong_buy'), short, mkt({ mode: 'quiet' }), null, cfg)).toMatchObject({
      allow: true,
      qty: 0.05,
      action: 'close',
      reduce_only: true,
      reason: 'close short on strong_buy signal; no reversal: mode quiet: no new entries',
    });
  });

  it('tops a position up to the target only, never beyond, and not for a small shortfall', () => {
    const pos = (qty: number): RiskPosition => ({ qty, avg_price: 60_000, unrealized_pnl: 0, equity: 10_000 });
    expect(checkRisk(sig('strong_buy'), pos(0.03), mkt())).toMatchObject({ allow: true, qty: 0.036, action: 'add', position_after: 0.066 });
    expect(checkRisk(sig('strong_buy'), pos(0.066), mkt()).reason).toBe('position 0.066 at or above the target 0.066');
    expect(checkRisk(sig('strong_buy'), pos(0.1), mkt()).allow).toBe(false);
    // shortfall 0.006 < 0.25 · 0.066
    expect(checkRisk(sig('strong_buy'), pos(0.06), mkt()).reason).toBe('top-up 0.006 below add_min_frac 0.25 of the target 0.066');
  });

  it('does not change its inputs', () => {
    const s = sig('strong_buy');
    const p = { ...flat };
    const m = mkt();
    const st = initialRiskState();
    const copies = structuredClone([s, p, m, st]);
    checkRisk(s, p, m, st);
    expect([s, p, m, st]).toEqual(copies);
  });

  const signalArb = fc.record({
    ts_ms: fc.constant(0), // set from the market's time by caseArb
    symbol: fc.constant('BTCUSDT'),
    signal_type: fc.constantFrom<RiskSignalType>('strong_buy', 'buy', 'neutral', 'sell', 'strong_sell'),
    score: fc.double({ min: -6, max: 6, noNaN: true }),
    confirm: fc.option(fc.boolean(), { nil: undefined }),
  });
  const positionArb = fc.record({
    qty: fc.oneof(fc.constant(0), fc.integer({ min: -2000, max: 2000 }).map((k) => k / 1000)),
    avg_price: fc.double({ min: 1_000, max: 100_000, noNaN: true }),
    unrealized_pnl: fc.double({ min: -1_000, max: 1_000, noNaN: true }),
    equity: fc.double({ min: 50, max: 1e6, noNaN: true }),
  });
  const marketArb = fc.record({
    ts: fc.integer({ min: TS, max: TS + 3 * 86_400_000 }),
    mid: fc.double({ min: 1_000, max: 100_000, noNaN: true }),
    spread_bps: fc.double({ min: 0, max: 2.5, noNaN: true }),
    vol: fc.option(fc.double({ min: 0, max: 3, noNaN: true }), { nil: null }),
    mode: fc.constantFrom(...STRATEGY_MODES),
  });
  /** A signal, position and market, the signal 0.5 s in the future to 7 s old. */
  const caseArb = fc
    .tuple(signalArb, positionArb, marketArb, fc.integer({ min: -500, max: 7_000 }))
    .map(([s, p, m, age]): [RiskSignal, RiskPosition, RiskMarket] => [{ ...s, ts_ms: m.ts - age }, p, m]);
  const configArb = fc.record({
    on_opposite: fc.constantFrom('close' as const, 'reverse' as const),
    max_position_qty: fc.constantFrom(0, 0.05, 1),
    daily_loss_pct: fc.constantFrom(0, 0.01, 0.03),
  });

  it('property: deterministic — the same input twice gives deep-equal decisions and byte-identical JSON', () => {
    fc.assert(
      fc.property(fc.array(caseArb, { minLength: 1, maxLength: 20 }), configArb, (steps, c) => {
        const cfg = resolveRiskConfig(c);
        const run = () => {
          let state = null as ReturnType<typeof checkRisk>['risk_state'] | null;
          return steps.map(([s, p, m]) => {
            const d = checkRisk(s, p, m, state, cfg);
            state = d.risk_state;
            return d;
          });
        };
        const a = run();
        const b = run();
        expect(b).toEqual(a);
        expect(JSON.stringify(b)).toBe(JSON.stringify(a));
        // and the state survives a JSON round trip unchanged
        for (const d of a) expect(JSON.parse(JSON.stringify(d.risk_state))).toEqual(d.risk_state);
      }),
      { numRuns: 300 },
    );
  });

  it('property: never adds beyond the caps, closes reduce-only to flat, and the wall leaves only closes', () => {
    fc.assert(
      fc.property(caseArb, configArb, fc.boolean(), ([s, p, m], c, breached) => {
        const cfg = resolveRiskConfig(c);
        let state = initialRiskState();
        if (breached) state = checkRisk(sig('neutral'), { ...p, equity: p.equity * 2 }, { ...m, ts: m.ts - 1 }, null, resolveRiskConfig({ daily_loss_pct: 0.3 })).risk_state;
        const d = checkRisk(s, p, m, state, cfg);
        expect(d.qty).toBeGreaterThanOrEqual(0);
        if (!d.allow) {
          expect([d.side, d.qty, d.action, d.position_after]).toEqual([null, 0, 'none', p.qty]);
          return;
        }
        expect(Math.sign(d.position_after - p.qty)).toBe(d.side === 'buy' ? 1 : -1);
        if (d.action === 'close') expect([d.reduce_only, d.position_after, d.qty]).toEqual([true, 0, Math.abs(p.qty)]);
        if (d.action === 'open' || d.action === 'add' || d.action === 'reverse') {
          expect(d.risk_state.wall.breached, 'no new risk past the wall').toBe(false);
          expect(m.vol).not.toBeNull();
          expect(Math.abs(d.position_after) * m.mid, 'leverage cap').toBeLessThanOrEqual(p.equity * cfg.max_leverage * (1 + 1e-12));
          expect(Math.abs(d.position_after) * m.mid, 'notional cap').toBeLessThanOrEqual(cfg.max_position_notional * (1 + 1e-12));
          if (cfg.max_position_qty > 0) expect(Math.abs(d.position_after)).toBeLessThanOrEqual(cfg.max_position_qty);
          if (d.action !== 'reverse') expect(Math.abs(d.position_after)).toBeGreaterThan(Math.abs(p.qty));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('the defaults are the config schema\'s', () => {
    expect(DEFAULT_RISK_CONFIG).toEqual(resolveRiskConfig());
    expect(Object.isFrozen(DEFAULT_RISK_CONFIG)).toBe(true);
  });
});
