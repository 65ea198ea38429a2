import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { firstPrincipalComponent, symmetricEigen } from '../../src/microstructure/pca.js';
import {
  IntegratedOfiCalculator,
  IntegratedOfiState,
  fitIntegratedOfiWeights,
  integratedOfi,
  type IntegratedOfiOptions,
} from '../../src/microstructure/ofi-integrated.js';
import { multiLevelOfi } from '../../src/microstructure/ofi-multilevel.js';
import { lobsterLevel5 } from '../helpers/lobster-book.js';
import { testCalculatorContract } from './contract.js';

describe('symmetric eigen-decomposition (Jacobi)', () => {
  it('a 2×2 worked by hand: [[2, 1], [1, 2]] has eigenvalues 3 and 1, top vector (1, 1)/√2', () => {
    const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
    expect(values[0]).toBeCloseTo(3, 14);
    expect(values[1]).toBeCloseTo(1, 14);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 14);
    expect(Math.abs(vectors[2]!)).toBeCloseTo(Math.SQRT1_2, 14);
  });

  it('a diagonal matrix is its own decomposition', () => {
    const { values } = symmetricEigen([1, 0, 0, 0, 5, 0, 0, 0, 3], 3);
    expect(Array.from(values)).toEqual([5, 3, 1]);
  });

  it('A·v = λ·v and VᵀV = I for random symmetric matrices up to 10×10', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.array(fc.integer({ min: -100, max: 100 }), { minLength: 100, maxLength: 100 }), (k, raw) => {
        const a = new Float64Array(k * k);
        for (let i = 0; i < k; i++) for (let j = i; j < k; j++) a[i * k + j] = a[j * k + i] = raw[i * 10 + j]! / 10;
        const { values, vectors } = symmetricEigen(a, k);
        const scale = Math.max(1, ...Array.from(a, Math.abs));
        for (let j = 0; j < k; j++) {
          if (j > 0) expect(values[j]!).toBeLessThanOrEqual(values[j - 1]! + 1e-12);
          for (let r = 0; r < k; r++) {
            let av = 0;
            for (let c = 0; c < k; c++) av += a[r * k + c]! * vectors[c * k + j]!;
            expect(Math.abs(av - values[j]! * vectors[r * k + j]!)).toBeLessThan(1e-9 * scale);
          }
          for (let j2 = 0; j2 < k; j2++) {
            let dot = 0;
            for (let r = 0; r < k; r++) dot += vectors[r * k + j]! * vectors[r * k + j2]!;
            expect(Math.abs(dot - (j === j2 ? 1 : 0))).toBeLessThan(1e-9);
          }
        }
      }),
    );
  });

  it('the first principal component is signed to a positive sum', () => {
    const w = firstPrincipalComponent([2, 1, 1, 2], 2);
    expect(w[0]).toBeCloseTo(Math.SQRT1_2, 14);
    expect(w[1]).toBeCloseTo(Math.SQRT1_2, 14);
  });
});

describe('integrated OFI', () => {
  it('worked by hand: training vectors along (1, 2) give weights (1/3, 2/3), applied only after training', () => {
    // x = t·(1, 2) for t = −1, 0, 1: covariance ∝ [[1, 2], [2, 4]], top eigenvector ∝ (1, 2), ‖·‖₁ = 1 → (1/3, 2/3)
    const c = new IntegratedOfiCalculator({ levels: 2, train: 3 });
    expect(c.update([-1, -2])).toBeNull();
    expect(c.update([0, 0])).toBeNull();
    expect(c.update([1, 2]), 'the last training vector is still inside the window').toBeNull();
    expect(Array.from(c.weights!)).toEqual([expect.closeTo(1 / 3, 14), expect.closeTo(2 / 3, 14)]);
    expect(c.update([3, 6])).toBeCloseTo(3 / 3 + 12 / 3, 12);
    expect(c.update([1, -1])).toBeCloseTo(1 / 3 - 2 / 3, 12);
  });

  it('vectors with a missing value are neither trained on nor scored', () => {
    const c = new IntegratedOfiCalculator({ levels: 2, train: 2 });
    expect(c.update([Number.NaN, 1])).toBeNull();
    c.update([1, 1]);
    expect(c.weights, 'one valid vector so far').toBeNull();
    c.update([2, 2]);
    expect(c.weights).not.toBeNull();
    expect(c.update([1, Number.NaN])).toBeNull();
  });

  it('no variance in training: equal weights', () => {
    const c = new IntegratedOfiCalculator({ levels: 3, train: 2 });
    c.update([1, 1, 1]);
    c.update([1, 1, 1]);
    expect(Array.from(c.weights!)).toEqual([1 / 3, 1 / 3, 1 / 3]);
  });

  it('given weights are scaled to ‖w‖₁ = 1 and apply from the start', () => {
    const c = new IntegratedOfiCalculator({ levels: 2, weights: [2, -2] });
    expect(c.update([3, 1])).toBe(1);
  });

  it('no look-ahead: appending future vectors never changes a past output', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -9, max: 9 }), fc.integer({ min: -9, max: 9 })), { minLength: 1, maxLength: 60 }), fc.nat(60), (rows, cut) => {
        const cols = (rs: [number, number][]) => [Float64Array.from(rs, (r) => r[0]), Float64Array.from(rs, (r) => r[1])];
        const head = rows.slice(0, Math.min(cut, rows.length));
        const a = integratedOfi(cols(head), { levels: 2, train: 5 });
        const b = integratedOfi(cols(rows), { levels: 2, train: 5 });
        expect(Array.from(b.subarray(0, head.length))).toEqual(Array.from(a));
      }),
    );
  });

  it('refuses bad options', () => {
    expect(() => new IntegratedOfiCalculator({ levels: 2 })).toThrow(/train/);
    expect(() => new IntegratedOfiCalculator({ levels: 2, weights: [1] })).toThrow(/weights/);
    expect(() => new IntegratedOfiCalculator({ levels: 0, train: 5 })).toThrow(/levels/);
  });
});

describe('integrated OFI on LOBSTER AMZN level 5', () => {
  it('10 s bars of normalised multi-level OFI: weights from the first hour, positive and summing to 1', async () => {
    const b = await lobsterLevel5();
    const k = 5;
    const ml = multiLevelOfi({ bidPrices: b.bidPrices, bidQtys: b.bidQtys, askPrices: b.askPrices, askQtys: b.askQtys, ts: b.ts }, { levels: k, sum: { barMs: 10_000 }, normalize: true });
    // the last update of each bar carries the bar's OFI
    const ends: number[] = [];
    for (let i = 0; i < b.length; i++) if (i === b.length - 1 || Math.floor(b.ts[i + 1]! / 10_000) !== Math.floor(b.ts[i]! / 10_000)) ends.push(i);
    const bars = ml.map((col) => Float64Array.from(ends, (i) => col[i]!));
    const train = 360; // one hour of 10 s bars
    const w = fitIntegratedOfiWeights(bars, 0, train);
    expect(w.reduce((s, x) => s + Math.abs(x), 0)).toBeCloseTo(1, 12);
    for (const x of w) expect(x, 'every level loads positively on the common flow').toBeGreaterThan(0);
    const out = integratedOfi(bars, { levels: k, train });
    expect(Array.from(out.subarray(0, train)).every(Number.isNaN), 'no output inside the training window').toBe(true);
    const c = new IntegratedOfiCalculator({ levels: k, train });
    for (let i = 0; i < train; i++) c.update(bars.map((col) => col[i]!));
    expect(Array.from(c.weights!)).toEqual(Array.from(w));
    let expected = 0;
    for (let m = 0; m < k; m++) expected += w[m]! * bars[m]![train]!;
    expect(out[train]).toBeCloseTo(expected, 12);
  });
});

const vectors = fc.array(
  fc.tuple(fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constant(Number.NaN)), fc.integer({ min: -20, max: 20 }), fc.integer({ min: -20, max: 20 })),
  { maxLength: 80 },
);
const cases: { name: string; options: IntegratedOfiOptions }[] = [
  { name: 'integrated OFI (train 10)', options: { levels: 3, train: 10 } },
  { name: 'integrated OFI (given weights)', options: { levels: 3, weights: [0.5, 0.3, 0.2] } },
];
for (const c of cases) {
  testCalculatorContract<number[], number, IntegratedOfiState>(c.name, {
    make: () => new IntegratedOfiCalculator(c.options),
    state: () => new IntegratedOfiState(c.options),
    columnar: (chunk, st) =>
      Array.from(integratedOfi([0, 1, 2].map((m) => Float64Array.from(chunk, (r) => r[m]!)), c.options, undefined, st), (v) => (Number.isNaN(v) ? null : v)),
    inputs: vectors,
    realInputs: async () => {
      const b = await lobsterLevel5();
      const ml = multiLevelOfi({ bidPrices: b.bidPrices, bidQtys: b.bidQtys, askPrices: b.askPrices, askQtys: b.askQtys, ts: b.ts }, { levels: 3, sum: { events: 50 }, normalize: true });
      return Array.from({ length: b.length }, (_, i) => [ml[0]![i]!, ml[1]![i]!, ml[2]![i]!]);
    },
  });
}
