import { describe, expect, it } from 'vitest';
import { ImpactSampler, TickEstimator } from '../../src/microstructure/impact.js';

describe('ImpactSampler', () => {
  it('the documented example: the first interval is only a reference', () => {
    const s = new ImpactSampler({ intervalMs: 10_000 });
    s.update(1_000, 100, null);
    s.update(2_000, NaN, [3]);
    s.update(12_000, 100.5, [-1]);
    s.update(19_000, 100.25, null);
    const r = s.finish();
    expect(Array.from(r.start)).toEqual([10_000]);
    expect(Array.from(r.dP)).toEqual([0.25]);
    expect(Array.from(r.ofi[0]!)).toEqual([-1]);
  });

  it('carries the mid over empty intervals, which are observations of no change and no flow', () => {
    const s = new ImpactSampler({ intervalMs: 1000, channels: 2 });
    s.update(500, 10, null); // [0, 1000): reference, close 10
    s.update(1500, 11, [1, 2]); // [1000, 2000): ΔP 1
    s.update(4200, 12, [5, 0]); // [2000, 3000) and [3000, 4000) empty; [4000, 5000): ΔP 12 − 11
    const r = s.finish();
    expect(Array.from(r.start)).toEqual([1000, 2000, 3000, 4000]);
    expect(Array.from(r.dP)).toEqual([1, 0, 0, 1]);
    expect(Array.from(r.ofi[0]!)).toEqual([1, 0, 0, 5]);
    expect(Array.from(r.ofi[1]!)).toEqual([2, 0, 0, 0]);
    expect(r.empty).toBe(2);
  });

  it('a late event counts in the open interval; a closed interval never changes', () => {
    const s = new ImpactSampler({ intervalMs: 1000 });
    s.update(100, 1, null);
    s.update(1100, 2, [1]);
    s.update(900, NaN, [4]); // late: belongs to [1000, 2000) now
    s.update(2100, 2, null);
    const r = s.finish();
    expect(Array.from(r.ofi[0]!)).toEqual([5, 0]);
    expect(Array.from(r.dP)).toEqual([1, 0]);
  });
});

describe('TickEstimator', () => {
  it('finds the tick through binary floating-point noise (0.1 is not exact)', () => {
    const t = new TickEstimator();
    const prices = [61800.2, 61800.1, 61800.5, 61799.8, 61801.1];
    for (let i = 1; i < prices.length; i++) t.observe(prices[i]!, prices[i - 1]!);
    expect(t.tick).toBe(0.1);
  });

  it('takes the greatest common divisor when no single step is one tick', () => {
    const t = new TickEstimator();
    t.observe(100.04, 100); // 4 ticks of 0.01
    t.observe(100.1, 100.04); // 6 ticks
    expect(t.tick).toBe(0.02);
    t.observe(100.13, 100.1); // 3 ticks: gcd 1 tick
    expect(t.tick).toBe(0.01);
  });

  it('has no tick before a price moved', () => {
    const t = new TickEstimator();
    t.observe(5, 5);
    t.observe(NaN, 5);
    expect(t.tick).toBeNaN();
  });
});
