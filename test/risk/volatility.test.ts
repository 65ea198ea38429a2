import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { annualise, EwmaVolatility, SECONDS_PER_YEAR } from '../../src/risk/volatility.js';

const ANN_1S = Math.sqrt(365 * 24 * 3600);

describe('EwmaVolatility', () => {
  it('golden: a warm-up of 2 returns seeds the EWMA, then σ² ← λσ² + (1−λ)r² (worked by hand)', () => {
    // mids on a 1 s clock: 100, 101, 100, 100, 102
    const r1 = Math.log(101 / 100);
    const r2 = Math.log(100 / 101);
    const r3 = 0;
    const r4 = Math.log(102 / 100);
    const seed = (r1 * r1 + r2 * r2) / 2; // equal-weighted mean square of the warm-up
    const v3 = 0.9 * seed + 0.1 * r3 * r3;
    const v4 = 0.9 * v3 + 0.1 * r4 * r4;

    const v = new EwmaVolatility({ lambda: 0.9, stepSec: 1, warmup: 2 });
    expect(v.update(0, 100), 'no return yet').toBeNull();
    expect(v.update(1000, 101)).toBeNull(); // closes t=0 (the first point: no return)
    expect(v.update(2000, 100), 'one return of two').toBeNull(); // closes t=1s: r1
    expect(v.update(3000, 100)).toBeCloseTo(Math.sqrt(seed) * ANN_1S, 12); // closes t=2s: r2
    expect(v.samples).toBe(2);
    // closes t=3s, which holds 100 (r3 = 0); the 102 belongs to t=4s, closed by the next input
    expect(v.update(4000, 102)).toBeCloseTo(Math.sqrt(v3) * ANN_1S, 12);
    expect(v.stepVariance).toBeCloseTo(v3, 18);
    expect(v.update(5000, 102)).toBeCloseTo(Math.sqrt(v4) * ANN_1S, 12);
    expect(v.stepVariance).toBeCloseTo(v4, 18);
    // the documented example
    expect(annualise(Math.sqrt(seed), 1)).toBeCloseTo(55.9, 0);
  });

  it('the mid at a clock point is the last one at or before it; a gap is zero returns (λᵏ decay)', () => {
    const v = new EwmaVolatility({ lambda: 0.5, stepSec: 1, warmup: 1 });
    v.update(0, 100);
    v.update(400, 100);
    v.update(999, 110); // still before t=1s
    v.update(1000, 121); // at t=1s: the point t=1s takes 121, not 110
    v.update(1500, 50); // closes t=1s with 121
    const r = Math.log(121 / 100);
    expect(v.stepVariance).toBeCloseTo(r * r, 15);
    // 4.5 s later: t=2s takes 50 (a return), t=3s…5s repeat it (three zero returns)
    v.update(6000, 50);
    const r2 = Math.log(50 / 121);
    const afterR2 = 0.5 * r * r + 0.5 * r2 * r2;
    expect(v.stepVariance).toBeCloseTo(afterR2 * 0.5 ** 3, 15);
    expect(v.samples).toBe(5);
  });

  it('skips bad mids, clamps time that goes back, and advance() closes points in silence', () => {
    const v = new EwmaVolatility({ lambda: 0.9, stepSec: 1, warmup: 3 });
    v.update(0, 100);
    v.update(10, NaN);
    v.update(20, -1);
    expect(v.skipped).toBe(2);
    v.update(1000, 100);
    v.update(500, 101); // goes back: taken at 1000
    v.advance(3500); // closes 1s (101 vs 100) and 2s, 3s (zero)
    expect(v.samples).toBe(3);
    const r = Math.log(101 / 100);
    expect(v.stepVariance).toBeCloseTo((r * r) / 3, 15);
    v.reset();
    expect(v.value).toBeNull();
    expect(v.samples).toBe(0);
  });

  it('annualises for a 24/7 market: √(365·24·3600/Δt)', () => {
    expect(SECONDS_PER_YEAR).toBe(31_536_000);
    expect(annualise(1, 60)).toBeCloseTo(Math.sqrt(525_600), 9);
  });

  it('property: value is null exactly until warmup returns, then positive or zero and finite', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3000 }), fc.double({ min: 1, max: 1e5, noNaN: true })), { maxLength: 200 }),
        fc.integer({ min: 1, max: 20 }),
        (steps, warmup) => {
          const v = new EwmaVolatility({ lambda: 0.97, stepSec: 1, warmup });
          let ts = 1_700_000_000_000;
          for (const [dt, mid] of steps) {
            ts += dt;
            const out = v.update(ts, mid);
            if (v.samples < warmup) expect(out).toBeNull();
            else expect(out !== null && out >= 0 && Number.isFinite(out)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
  it('property: valueAt gives what advance would, and reading it changes nothing that follows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9000 }), fc.double({ min: 1, max: 1e5, noNaN: true }), fc.integer({ min: 0, max: 9000 })), { maxLength: 120 }),
        fc.integer({ min: 1, max: 8 }),
        (steps, warmup) => {
          const opts = { lambda: 0.9, stepSec: 1, warmup };
          const read = new EwmaVolatility(opts);
          const quiet = new EwmaVolatility(opts);
          let ts = 1_700_000_000_000;
          for (const [dt, mid, ahead] of steps) {
            ts += dt;
            read.observe(ts, mid);
            quiet.observe(ts, mid);
            // a copy that advances for real gives the same number
            const at = ts + ahead;
            const v = read.valueAt(at);
            const copy = Object.assign(Object.create(EwmaVolatility.prototype), read) as EwmaVolatility;
            expect(v).toBe(copy.advance(at));
            expect(read.stepVariance).toBe(quiet.stepVariance);
            expect(read.samples).toBe(quiet.samples);
          }
          expect(read.valueAt(ts + 60_000)).toBe(quiet.advance(ts + 60_000));
        },
      ),
      { numRuns: 200 },
    );
  });
});
