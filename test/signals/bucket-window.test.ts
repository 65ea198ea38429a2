/**
 * BucketWindow against a brute-force reference: keep every (time, value) and, at each query,
 * sum or take the least of those whose bucket lies in the window (the bucket of the latest time
 * and the n − 1 before it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BucketWindow } from '../../src/signals/bucket-window.js';

function reference(points: [number, number][], windowMs: number, stepMs: number, mode: 'sum' | 'min'): number {
  const n = Math.ceil(windowMs / stepMs);
  let last = -Infinity;
  const clamped = points.map(([t, v]) => {
    last = Math.max(last, t);
    return [last, v] as const;
  });
  const cur = Math.floor(last / stepMs);
  const inside = clamped.filter(([t]) => Math.floor(t / stepMs) > cur - n).map(([, v]) => v);
  return mode === 'sum' ? inside.reduce((a, b) => a + b, 0) : Math.min(...inside);
}

describe('BucketWindow', () => {
  it('worked by hand: counts in a 3 s window of 1 s buckets, and the span a rate divides by', () => {
    const w = new BucketWindow(3000, 1000, 'sum');
    w.add(500, 1);
    w.add(1500, 1);
    w.add(2500, 1);
    expect(w.value).toBe(3);
    expect(w.span, 'from the first time seen, 500, to 2500').toBe(2000);
    w.add(3100, 1); // buckets 1, 2, 3: the one at 500 has left
    expect(w.value).toBe(3);
    expect(w.span, 'from bucket 1 (1000) to 3100').toBe(2100);
    w.advance(9000);
    expect(w.value).toBe(0);
  });

  it('worked by hand: the least value over the window', () => {
    const w = new BucketWindow(2000, 1000, 'min');
    expect(w.value).toBe(Infinity);
    w.add(0, -5);
    w.add(1200, -3);
    expect(w.value).toBe(-5);
    w.add(2100, -1); // buckets 1, 2
    expect(w.value).toBe(-3);
    w.add(2200, -4);
    expect(w.value).toBe(-4);
  });

  it('equals the brute-force window at every step (times out of order count at the latest)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'sum' | 'min'>('sum', 'min'),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.tuple(fc.integer({ min: -500, max: 3000 }), fc.integer({ min: -1000, max: 1000 })), { minLength: 1, maxLength: 80 }),
        (mode, windowMs, stepMs, steps) => {
          const w = new BucketWindow(windowMs, stepMs, mode);
          const seen: [number, number][] = [];
          let t = 1_700_000_000_000;
          for (const [dt, v] of steps) {
            t += dt;
            w.add(t, v);
            seen.push([t, v]);
            expect(w.value).toBe(reference(seen, windowMs, stepMs, mode));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
