import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { floorToStep, stepDecimals, volTargetSize, type SizingConfig } from '../../src/risk/sizing.js';
import { RiskSection } from '../../src/risk/config.js';

const DEFAULTS: SizingConfig = RiskSection.parse({});

describe('volTargetSize', () => {
  it('golden: qty = equity · target_vol / vol / price, rounded down to the lot (worked by hand)', () => {
    // 10,000 · 0.2 / 0.5 / 60,000 = 0.0666… → 0.066 (step 0.001)
    const s = volTargetSize(10_000, 60_000, 0.5, 1, DEFAULTS);
    expect(s.qty).toBe(0.066);
    expect(s.target_qty).toBeCloseTo(0.066666666, 8);
    expect(s.notional).toBeCloseTo(3960, 9);
    expect(s.lev).toBeCloseTo(0.396, 12);
    expect(s.limited_by).toBeNull();
    // a weak signal at half size: 0.0333… → 0.033
    expect(volTargetSize(10_000, 60_000, 0.5, 0.5, DEFAULTS).qty).toBe(0.033);
  });

  it('golden: the volatility floor and the leverage cap', () => {
    // vol 0.02 is floored at 0.05: 10,000 · 0.2 / 0.05 / 60,000 = 0.666…; 2x leverage allows 20,000 / 60,000 = 0.333… → 0.333
    const s = volTargetSize(10_000, 60_000, 0.02, 1, DEFAULTS);
    expect(s.target_qty).toBeCloseTo(0.6666667, 6);
    expect(s.qty).toBe(0.333);
    expect(s.limited_by).toBe('leverage');
  });

  it('golden: the notional cap and the base-unit cap', () => {
    // 100,000 · 0.2 / 0.3 / 60,000 = 1.111…; leverage allows 3.33…; 50,000 USDT is 0.8333… → 0.833
    const s = volTargetSize(100_000, 60_000, 0.3, 1, DEFAULTS);
    expect(s.qty).toBe(0.833);
    expect(s.limited_by).toBe('max_position_notional');
    const b = volTargetSize(100_000, 60_000, 0.3, 1, { ...DEFAULTS, max_position_qty: 0.5 });
    expect(b.qty).toBe(0.5);
    expect(b.limited_by).toBe('max_position_qty');
  });

  it('golden: below the minimum order there is no order, and says why', () => {
    // 100 · 0.2 / 0.5 / 60,000 = 0.000666… < one lot of 0.001
    const s = volTargetSize(100, 60_000, 0.5, 1, DEFAULTS);
    expect(s.qty).toBe(0);
    expect(s.reason).toMatch(/below the minimum order/);
    // 200 · 0.2 / 0.5 / 60,000 = 0.00133… → 0.001 BTC, 60 USDT < the 100 USDT MIN_NOTIONAL
    expect(volTargetSize(200, 60_000, 0.5, 1, DEFAULTS).reason).toMatch(/notional 60 below the minimum of 100/);
    expect(volTargetSize(0, 60_000, 0.5, 1, DEFAULTS).reason).toBe('no equity');
    expect(volTargetSize(1000, NaN, 0.5, 1, DEFAULTS).reason).toBe('no price');
  });

  it('floorToStep writes the step\'s decimals and never rounds up', () => {
    expect(stepDecimals(0.001)).toBe(3);
    expect(stepDecimals(1e-7)).toBe(7);
    expect(stepDecimals(5)).toBe(0);
    expect(floorToStep(0.01999, 0.001)).toBe(0.019);
    expect(floorToStep(0.019, 0.001)).toBe(0.019);
    expect(floorToStep(0.7, 0.1)).toBe(0.7);
    expect(floorToStep(12, 5)).toBe(10);
    expect(floorToStep(0.0009, 0.001)).toBe(0);
  });

  it('ends on quantities of more lots than a double counts exactly (past 2^53 lots, one lot less is the same number)', () => {
    // each of these looped for ever before: k - 1 === k, so x stayed above qty
    for (const [qty, step] of [[4095243389169813.5, 0.1], [17564625607300198, 0.1], [100454162607757.6, 0.01], [1.25e13, 1e-5]] as const) {
      const x = floorToStep(qty, step);
      expect(x, `floorToStep(${qty}, ${step})`).toBeLessThanOrEqual(qty);
      expect(x).toBeGreaterThan(qty * (1 - 1e-12));
    }
    // and through the sizing: 100 M at 125x leverage of a 0.001 price, lots of 1e-5
    const cfg: SizingConfig = { target_vol: 2, vol_floor: 0, max_leverage: 125, max_position_qty: 0, max_position_notional: 0, lot_step: 1e-5, min_qty: 1e-5, min_notional: 0 };
    const s = volTargetSize(1e8, 0.001, 1e-9, 1, cfg);
    expect(s.limited_by).toBe('leverage');
    expect(s.qty * 0.001).toBeLessThanOrEqual(1e8 * 125);
    expect(s.qty).toBeGreaterThan(1.25e13 * (1 - 1e-12));
  });

  it('property: never exceeds leverage, base or notional caps, never the volatility target, and is whole lots', () => {
    const steps = [1, 0.1, 0.01, 0.001, 0.0001, 1e-5];
    fc.assert(
      fc.property(
        fc.record({
          equity: fc.double({ min: 1, max: 1e8, noNaN: true }),
          price: fc.double({ min: 0.001, max: 1e6, noNaN: true }),
          vol: fc.double({ min: 0, max: 10, noNaN: true }),
          mult: fc.double({ min: 0, max: 1, noNaN: true }),
          target_vol: fc.double({ min: 0.01, max: 2, noNaN: true }),
          vol_floor: fc.double({ min: 0, max: 0.5, noNaN: true }),
          max_leverage: fc.double({ min: 0.1, max: 125, noNaN: true }),
          max_position_qty: fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 1e4, noNaN: true })),
          max_position_notional: fc.oneof(fc.constant(0), fc.double({ min: 1, max: 1e7, noNaN: true })),
          step: fc.constantFrom(...steps),
          min_notional: fc.double({ min: 0, max: 200, noNaN: true }),
        }),
        (r) => {
          const cfg: SizingConfig = {
            target_vol: r.target_vol,
            vol_floor: r.vol_floor,
            max_leverage: r.max_leverage,
            max_position_qty: r.max_position_qty,
            max_position_notional: r.max_position_notional,
            lot_step: r.step,
            min_qty: r.step,
            min_notional: r.min_notional,
          };
          const s = volTargetSize(r.equity, r.price, r.vol, r.mult, cfg);
          expect(s.qty).toBeGreaterThanOrEqual(0);
          expect(s.qty * r.price, 'leverage cap').toBeLessThanOrEqual(r.equity * r.max_leverage);
          if (r.max_position_qty > 0) expect(s.qty, 'base cap').toBeLessThanOrEqual(r.max_position_qty);
          if (r.max_position_notional > 0) expect(s.qty * r.price, 'notional cap').toBeLessThanOrEqual(r.max_position_notional);
          expect(s.qty, 'never above the volatility target').toBeLessThanOrEqual(s.target_qty);
          const lots = s.qty / r.step;
          expect(Math.abs(lots - Math.round(lots)), 'whole lots').toBeLessThan(1e-6 * Math.max(1, lots));
          if (s.qty > 0) {
            expect(s.qty).toBeGreaterThanOrEqual(cfg.min_qty);
            expect(s.qty * r.price).toBeGreaterThanOrEqual(cfg.min_notional);
            expect(s.reason).toBeNull();
            // and as large as allowed: one more lot would pass the target or a cap
            const bound = Math.min(
              s.target_qty,
              (r.equity * r.max_leverage) / r.price,
              r.max_position_qty > 0 ? r.max_position_qty : Infinity,
              r.max_position_notional > 0 ? r.max_position_notional / r.price : Infinity,
            );
            expect(s.qty + r.step, 'rounded down by less than a lot').toBeGreaterThan(bound * (1 - 1e-9));
          } else expect(s.reason).not.toBeNull();
        },
      ),
      { numRuns: 2000 },
    );
  });
});
