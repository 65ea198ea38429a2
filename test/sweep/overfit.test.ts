/**
 * The overfitting statistics of a sweep. Golden values come from the papers' own numerical example
 * (Bailey & López de Prado 2014), from hand computations written out beside each case, from
 * mpmath at 50 digits (normal distribution values), or from a brute-force CSCV written here from
 * the paper's description without any of the implementation's helpers.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { mean as ssMean, sampleStandardDeviation, sampleVariance } from 'simple-statistics';
import { dataPath } from '../helpers/data.js';
import { UserInputError } from '../../src/core/errors.js';
import { cscvPbo, deflatedSharpe, expectedMaxSharpe, normalCdf, normalQuantile, probabilisticSharpe } from '../../src/sweep/overfit.js';

const EULER_GAMMA = 0.5772156649015329;

/** Relative closeness. */
function expectRel(actual: number, expected: number, tol: number, why: string): void {
  expect(Math.abs(actual - expected) / Math.abs(expected), `${why}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

/** Seeded standard normal draws (mulberry32 + Box–Muller), for test matrices. */
function normals(seed: number, n: number): Float64Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

describe('normalCdf and normalQuantile', () => {
  it('match mpmath (50 digits) to a few 1e-15, tails included', () => {
    const cases: [number, number][] = [
      [1.96, 0.97500210485177957],
      [-1, 0.15865525393145705],
      [-3, 0.0013498980316300945],
      [-10, 7.6198530241605261e-24],
      [-20, 2.7536241186062337e-89],
      [-37.5, 4.6053530095819548e-308],
      [0.3, 0.61791142218895264],
      [5, 0.99999971334842812],
    ];
    for (const [x, p] of cases) expectRel(normalCdf(x), p, 5e-15, `Φ(${x})`);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(-Infinity)).toBe(0);
    expect(normalCdf(Infinity)).toBe(1);
  });

  it('Φ⁻¹ matches mpmath to 1e-15', () => {
    const cases: [number, number][] = [
      [0.975, 1.9599639845400542],
      [0.025, -1.9599639845400542],
      [1e-10, -6.3613409024040562],
      [0.99, 2.3263478740408411],
      [0.001, -3.0902323061678135],
      [1e-300, -37.047096299361199],
      [2 / 3, 0.43072729929545749],
    ];
    for (const [p, x] of cases) expectRel(normalQuantile(p), x, 1e-15, `Φ⁻¹(${p})`);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5), 'outside [0, 1]').toBeNaN();
    expect(normalQuantile(Number.NaN)).toBeNaN();
  });

  it('Φ is symmetric and Φ(Φ⁻¹(p)) = p', () => {
    fc.assert(
      fc.property(fc.double({ min: -8, max: 8, noNaN: true }), (x) => {
        expect(Math.abs(normalCdf(x) + normalCdf(-x) - 1)).toBeLessThan(3e-16);
      }),
    );
    fc.assert(
      fc.property(fc.double({ min: 1e-300, max: 0.999999, noNaN: true }), (p) => {
        // Φ turns a relative error ε of x into about x²·ε of Φ (x·φ(x)/Φ(x) ≈ x² in the lower tail),
        // and x itself is rounded to 1.1e-16 relative: the tolerance grows with x².
        const x = normalQuantile(p);
        expectRel(normalCdf(x), p, 5e-15 + 3e-16 * x * x, 'round trip');
      }),
    );
  });
});

describe('deflated Sharpe ratio', () => {
  it("reproduces the paper's example: N = 100, V = 0.5, SR 2.5 annualised over 1250 days, skew −3, kurtosis 10", () => {
    // Bailey & López de Prado (2014), the numerical example: per-day SR = 2.5/√250, per-day V = 0.5/250.
    // SR₀ = √(0.5/250)·((1−γ)·Φ⁻¹(0.99) + γ·Φ⁻¹(1 − 1/(100e))), with Φ⁻¹(0.99) = 2.3263478740408411 and
    // Φ⁻¹(1 − 1/(100e)) = 2.6802104449668827 (mpmath): SR₀ = 0.1131720…; the paper prints 0.1132.
    const sr0Hand = Math.sqrt(0.5 / 250) * ((1 - EULER_GAMMA) * 2.3263478740408411 + EULER_GAMMA * 2.6802104449668827);
    const sr0 = expectedMaxSharpe(100, 0.5 / 250);
    expectRel(sr0, sr0Hand, 1e-14, 'SR₀ against the step-by-step value');
    expect(Math.abs(sr0 - 0.1132), 'the paper: SR₀ ≈ 0.1132').toBeLessThan(5e-5);
    // z = (SR − SR₀)·√1249 / √(1 + 3·SR + 9/4·SR²) = 1.28381603653…, Φ(z) = 0.90039683444939 (mpmath); paper: 0.9004.
    const sr = 2.5 / Math.sqrt(250);
    const dsr = probabilisticSharpe(sr, sr0, 1250, -3, 10);
    expect(Math.abs(dsr - 0.9004), 'the paper: DSR ≈ 0.9004').toBeLessThan(5e-5);
    expectRel(dsr, 0.90039683444939096, 1e-12, 'DSR against mpmath');
  });

  it('the PSR against a benchmark equal to the Sharpe is ½; a degenerate denominator gives 1, ½ or 0', () => {
    expect(probabilisticSharpe(0.1, 0.1, 100, 0.5, 4)).toBe(0.5);
    // γ₃ = 2, γ₄ = 5 (= γ₃² + 1), SR = 1: 1 − 2 + 1 = 0.
    expect(probabilisticSharpe(1, 0.5, 100, 2, 5)).toBe(1);
    expect(probabilisticSharpe(1, 1.5, 100, 2, 5)).toBe(0);
  });

  it('expectedMaxSharpe grows with N and refuses N < 2', () => {
    let previous = 0;
    for (const n of [2, 5, 10, 100, 1000, 1e6]) {
      const v = expectedMaxSharpe(n, 1);
      expect(v, `N = ${n}`).toBeGreaterThan(previous);
      previous = v;
    }
    expect(() => expectedMaxSharpe(1, 1)).toThrow(UserInputError);
    expect(() => expectedMaxSharpe(10, -1)).toThrow(UserInputError);
  });

  it('three trials worked by hand, one of them constant', () => {
    // B = [1, 2, 3, 4, 5]: mean 3, sample variance 10/4 = 2.5, SR_B = 3/√2.5 (SR_B² = 3.6).
    // C = [1, −1, 1, −1, 0]: mean 0, SR 0. D = [0, 0, 0, 0, 0]: constant, SR 0 by convention.
    // Sharpes (s, 0, 0): mean s/3, squared deviations 4s²/9 + s²/9 + s²/9 = 2s²/3, V = (2s²/3)/2 = s²/3 = 1.2.
    // B's population moments: m₂ = 10/5 = 2, m₃ = 0, m₄ = (16 + 1 + 0 + 1 + 16)/5 = 6.8: skew 0, kurtosis 6.8/4 = 1.7.
    // SR₀ = √1.2·((1−γ)·Φ⁻¹(2/3) + γ·Φ⁻¹(1 − 1/(3e))), Φ⁻¹(2/3) = 0.43072729929545749 and
    // Φ⁻¹(1 − 1/(3e)) = 1.1619569289127327 (mpmath).
    // z = (SR_B − SR₀)·√4 / √(1 − 0 + (1.7 − 1)/4·3.6) = (SR_B − SR₀)·2/√1.63.
    const s = 3 / Math.sqrt(2.5);
    const sr0 = Math.sqrt(1.2) * ((1 - EULER_GAMMA) * 0.43072729929545749 + EULER_GAMMA * 1.1619569289127327);
    const z = ((s - sr0) * 2) / Math.sqrt(1.63);
    const r = deflatedSharpe([
      [1, -1, 1, -1, 0],
      [1, 2, 3, 4, 5],
      [0, 0, 0, 0, 0],
    ]);
    expect(r).not.toBeNull();
    expect(r!.trials).toBe(3);
    expect(r!.observations).toBe(5);
    expect(r!.sharpe).toBeCloseTo(s, 14);
    expect(r!.sharpeVariance).toBeCloseTo(1.2, 14);
    expect(r!.skewness).toBeCloseTo(0, 14);
    expect(r!.kurtosis).toBeCloseTo(1.7, 14);
    expect(r!.expectedMaxSharpe).toBeCloseTo(sr0, 13);
    expect(r!.dsr).toBeCloseTo(normalCdf(z), 13);
    expect(r!.dsr, 'z ≈ 1.509 by hand, Φ ≈ 0.934').toBeCloseTo(0.934, 3);
  });

  it('takes the best run as given, with its own moments', () => {
    // best = C = [1, −1, 1, −1, 0]: SR 0, m₂ = 4/5, m₃ = 0, m₄ = 4/5: skew 0, kurtosis (4/5)/(16/25) = 1.25.
    const r = deflatedSharpe(
      [
        [1, -1, 1, -1, 0],
        [1, 2, 3, 4, 5],
        [0, 0, 0, 0, 0],
      ],
      0,
    )!;
    expect(r.sharpe).toBe(0);
    expect(r.kurtosis).toBeCloseTo(1.25, 14);
    // PSR with SR = 0: Φ(−SR₀·√4 / 1).
    expect(r.dsr).toBeCloseTo(normalCdf(-r.expectedMaxSharpe * 2), 14);
    expect(deflatedSharpe([[1, -1, 1, -1, 0], [0, 0, 0, 0, 0]], 1), 'a constant best has no moments').toBeNull();
    expect(() => deflatedSharpe([[1, 2, 3], [3, 2, 1]], 2)).toThrow(UserInputError);
  });

  it('is null for too little to go on, and names a bad return', () => {
    expect(deflatedSharpe([[1, 2, 3, 4]]), 'one trial').toBeNull();
    expect(deflatedSharpe([[1, 2], [2, 1]]), 'two returns').toBeNull();
    expect(deflatedSharpe([[1, 1, 1], [0, 0, 0]]), 'no variation anywhere').toBeNull();
    expect(() => deflatedSharpe([[1, 2, 3], [1, Number.NaN, 3]])).toThrow(/trial 1, return 1/);
  });

  it('does not depend on the unit of the returns, nor on the order of the trials', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 8 }), fc.double({ min: 1e-4, max: 1e4, noNaN: true }), (seed, n, scale) => {
        const z = normals(seed, n * 30);
        const trials = Array.from({ length: n }, (_, i) => Array.from(z.subarray(i * 30, i * 30 + 30), (x) => x + 0.1 * i));
        const a = deflatedSharpe(trials)!;
        const b = deflatedSharpe(trials.map((t) => t.map((x) => x * scale)))!;
        const c = deflatedSharpe([...trials].reverse())!;
        expect(a.dsr).toBeGreaterThanOrEqual(0);
        expect(a.dsr).toBeLessThanOrEqual(1);
        for (const other of [b, c]) {
          expect(other.sharpe).toBeCloseTo(a.sharpe, 10);
          expect(other.sharpeVariance).toBeCloseTo(a.sharpeVariance, 10);
          expect(other.kurtosis).toBeCloseTo(a.kurtosis, 9);
          expect(other.dsr).toBeCloseTo(a.dsr, 9);
        }
      }),
      { numRuns: 50 },
    );
  });
});

/** Runs whose every block has the given mean: rows m + shift ± 0.5 (quarters, so every sum is exact). */
function fromBlockMeans(means: number[][], shift: number): number[][] {
  return means.map((row) => row.flatMap((m) => [m + shift + 0.5, m + shift - 0.5]));
}
const mean = (r: Float64Array): number => r.reduce((a, b) => a + b, 0) / r.length;

describe('CSCV probability of backtest overfitting', () => {
  // Three runs, four blocks of two rows (T = 8), metric: the mean. Block means:
  //   run 0: 4, 0, 1, 0 · run 1: 1, 2, 1, 2 · run 2: 2, 3, 3, 1 (then all shifted by −0.75).
  // Train/test sums of block means (the metric is sum/2 − 0.75; ranks follow the sums):
  //   c0 train {0,1}: 4, 3, 5 → n* = 2; test {2,3}: 1, 3, 4 → rank 3 → ω = 3/4, λ = ln 3
  //   c1 train {0,2}: 5, 2, 5 → tie, n* = 0; test {1,3}: 0, 4, 4 → rank 1 → ω = 1/4, λ = ln(1/3)
  //   c2 train {0,3}: 4, 3, 3 → n* = 0; test {1,2}: 1, 3, 6 → rank 1 → λ = ln(1/3)
  //   c3 train {1,2}: 1, 3, 6 → n* = 2; test {0,3}: 4, 3, 3 → tied lowest, rank 1.5 → ω = 0.375, λ = ln(0.6)
  //   c4 train {1,3}: 0, 4, 4 → tie, n* = 1; test {0,2}: 5, 2, 5 → rank 1 → λ = ln(1/3)
  //   c5 train {2,3}: 1, 3, 4 → n* = 2; test {0,1}: 4, 3, 5 → rank 3 → λ = ln 3
  // PBO = 4/6 (λ ≤ 0 in c1–c4). Selected test metric: 2, 0, 0.5, 1.5, 1, 2.5 minus 0.75 →
  // 1.25, −0.75, −0.25, 0.75, 0.25, 1.75: probLoss = 2/6. Selected train metric (before the shift):
  // x = 2.5, 2.5, 2, 3, 2, 2; y = 2, 0, 0.5, 1.5, 1, 2.5; x̄ = 7/3, ȳ = 1.25;
  // Sxx = (1 + 1 + 4 + 16 + 4 + 4)/36 = 5/6, Sxy = (0.75 − 1.25 + 1.5 + 1 + 0.5 − 2.5)/6 = 0: slope 0, R² 0.
  const hand = fromBlockMeans(
    [
      [4, 0, 1, 0],
      [1, 2, 1, 2],
      [2, 3, 3, 1],
    ],
    -0.75,
  );

  it('the hand-worked case: logits, PBO, probLoss and degradation', () => {
    const r = cscvPbo(hand, { blocks: 4, metric: mean })!;
    expect(r.blocks).toBe(4);
    expect(r.combinations).toBe(6);
    const expected = [Math.log(3), Math.log(1 / 3), Math.log(1 / 3), Math.log(0.6), Math.log(1 / 3), Math.log(3)];
    r.logits.forEach((l, i) => expect(l, `λ of combination ${i}`).toBeCloseTo(expected[i]!, 14));
    expect(r.pbo).toBeCloseTo(4 / 6, 15);
    expect(r.probLoss).toBeCloseTo(2 / 6, 15);
    expect(r.degradationSlope).toBeCloseTo(0, 14);
    expect(r.degradationR2).toBeCloseTo(0, 14);
  });

  it('cuts blocks to fit a short series and leaves the oldest remainder rows out', () => {
    // T = 8 with the default S = 16: S becomes 4 (2 rows a block), the same as above.
    expect(cscvPbo(hand, { metric: mean })!.logits).toEqual(cscvPbo(hand, { blocks: 4, metric: mean })!.logits);
    // T = 9 with S = 4: q = 2, the first row is left out, whatever it holds.
    const withOldRow = hand.map((r, i) => [1000 * (i - 1), ...r]);
    expect(cscvPbo(withOldRow, { blocks: 4, metric: mean })!.logits).toEqual(cscvPbo(hand, { blocks: 4, metric: mean })!.logits);
  });

  it('equals a brute-force CSCV with the Sharpe ratio, flat stretches included', () => {
    for (const [seed, N, T, S] of [
      [7, 5, 43, 6],
      [11, 4, 64, 8],
      [3, 2, 10, 4],
    ] as const) {
      const z = normals(seed, N * T);
      const runs = Array.from({ length: N }, (_, n) => Array.from(z.subarray(n * T, n * T + T), (x) => 0.01 * x + 0.002 * n));
      runs[0]!.fill(0, 0, Math.floor(T / 2)); // a run flat for its first half: Sharpe 0 where it does not vary
      const got = cscvPbo(runs, { blocks: S })!;
      const want = bruteForce(runs, S);
      expect(got.combinations).toBe(want.lambdas.length);
      got.logits.forEach((l, i) => expect(l, `seed ${seed}, combination ${i}`).toBeCloseTo(want.lambdas[i]!, 12));
      expect(got.pbo).toBe(want.pbo);
      expect(got.probLoss).toBe(want.probLoss);
      expect(got.degradationSlope!).toBeCloseTo(want.slope, 9);
      expect(got.degradationR2!).toBeCloseTo(want.r2, 9);
    }
  });

  it('a run that dominates on every stretch is never overfit: PBO 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 6 }), fc.constantFrom(2, 4, 6, 8), (seed, N, S) => {
        // run k = base + 0.5·k: the same deviations, so the Sharpe grows with k on any set of rows.
        const base = normals(seed, 8 * S);
        const runs = Array.from({ length: N }, (_, k) => Array.from(base, (x) => x + 0.5 * k));
        const r = cscvPbo(runs, { blocks: S })!;
        expect(r.pbo).toBe(0);
        for (const l of r.logits) expect(l).toBeCloseTo(Math.log(N), 12); // rank N of N: ω = N/(N+1)
      }),
      { numRuns: 60 },
    );
  });

  it('when the in-sample best is always the out-of-sample worst: PBO 1', () => {
    // One run per combination c of S/2 blocks, good (rows 2, 0) on the blocks of c, bad (−1, −3)
    // elsewhere. Train = c: run c alone is good on all train blocks (mean 1 > 0, any
    // other run has mean ≤ 0), and bad on all test blocks (mean −2, every other run has a good
    // test block and a higher Sharpe): ω = 1/(N+1), λ = −ln N everywhere.
    for (const S of [4, 6]) {
      const combos = combinations(S, S / 2);
      const runs = combos.map((c) => Array.from({ length: S }, (_, b) => (c.includes(b) ? [2, 0] : [-1, -3])).flat());
      const r = cscvPbo(runs, { blocks: S })!;
      expect(r.combinations).toBe(combos.length);
      expect(r.pbo).toBe(1);
      expect(r.probLoss).toBe(1);
      for (const l of r.logits) expect(l).toBeCloseTo(-Math.log(combos.length), 12);
      expect(r.degradationSlope, 'the selected train Sharpe never varies').toBeNull();
    }
  });

  it('a real edge among noise runs is not overfitting', () => {
    const N = 10;
    const T = 400;
    const z = normals(2024, N * T);
    const runs = Array.from({ length: N }, (_, n) => Array.from(z.subarray(n * T, n * T + T), (x) => x + (n === 3 ? 0.8 : 0)));
    const r = cscvPbo(runs, { blocks: 8 })!;
    expect(r.pbo).toBe(0);
    expect(r.probLoss).toBe(0);
  });

  it('copies of one run: every λ is 0, counted as overfit (the selection beat nobody)', () => {
    const z = Array.from(normals(5, 32));
    const r = cscvPbo([z, z, z], { blocks: 4 })!;
    for (const l of r.logits) expect(l).toBe(0);
    expect(r.pbo).toBe(1);
  });

  it('a stretch without variation has Sharpe 0, even at a value that does not round evenly', () => {
    // Constant runs: every Sharpe is 0, all tie, n* = run 0 at the median: every λ is exactly 0.
    const constant = [0.1, 0.3, 1 / 3, 0.7].map((v) => new Array<number>(48).fill(v));
    const r = cscvPbo(constant, { blocks: 8 })!;
    for (const l of r.logits) expect(l, 'no spurious Sharpe from rounding').toBe(0);
    expect(r.probLoss).toBe(0);
    expect(deflatedSharpe([constant[0]!, constant[2]!]), 'no variation anywhere').toBeNull();
  });

  it('PBO is a share in [0, 1], the logits are ranks, and the order of the runs does not matter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.integer({ min: 2, max: 7 }),
        fc.integer({ min: 8, max: 60 }),
        fc.constantFrom(2, 4, 6),
        fc.integer({ min: 0, max: 1e6 }),
        (seed, N, T, S, rot) => {
          const z = normals(seed, N * T);
          const runs = Array.from({ length: N }, (_, n) => z.subarray(n * T, n * T + T));
          const r = cscvPbo(runs, { blocks: S })!;
          const s = r.blocks;
          expect(s % 2).toBe(0);
          expect(Math.floor(T / s)).toBeGreaterThanOrEqual(2);
          expect(r.combinations).toBe(combinations(s, s / 2).length);
          expect(r.pbo).toBeGreaterThanOrEqual(0);
          expect(r.pbo).toBeLessThanOrEqual(1);
          expect(r.pbo).toBe(r.logits.filter((l) => l <= 0).length / r.combinations);
          for (const l of r.logits) {
            const twiceRank = (2 * (N + 1)) / (1 + Math.exp(-l)); // 2·rank, an integer from 2 to 2N
            expect(Math.abs(twiceRank - Math.round(twiceRank))).toBeLessThan(1e-9);
          }
          const k = rot % N;
          const rotated = [...runs.slice(k), ...runs.slice(0, k)];
          const p = cscvPbo(rotated, { blocks: S })!;
          expect(p.logits).toEqual(r.logits);
          expect(p.pbo).toBe(r.pbo);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('sixteen blocks: all 12,870 combinations, the per-block Sharpe equal to the Sharpe of the rows', () => {
    const N = 10;
    const T = 330; // q = 20, the first 10 rows left out
    const z = normals(99, N * T);
    const runs = Array.from({ length: N }, (_, n) => z.subarray(n * T, n * T + T));
    const sharpeOfRows = (r: Float64Array): number => {
      const m = mean(r);
      let ss = 0;
      for (const x of r) ss += (x - m) ** 2;
      return ss > 0 ? m / Math.sqrt(ss / (r.length - 1)) : 0;
    };
    const fast = cscvPbo(runs)!;
    const slow = cscvPbo(runs, { metric: sharpeOfRows })!;
    expect(fast.blocks).toBe(16);
    expect(fast.combinations).toBe(12870);
    expect(fast.logits.length).toBe(12870);
    fast.logits.forEach((l, i) => expect(l, `combination ${i}`).toBeCloseTo(slow.logits[i]!, 12));
    expect(fast.pbo).toBe(slow.pbo);
    expect(fast.probLoss).toBe(slow.probLoss);
    expect(fast.degradationSlope!).toBeCloseTo(slow.degradationSlope!, 9);
  });

  it('null for too little, errors for bad input', () => {
    expect(cscvPbo([[1, 2, 3, 4, 5, 6]]), 'one run').toBeNull();
    expect(cscvPbo([]), 'no run').toBeNull();
    expect(cscvPbo([[1, 2, 3], [3, 2, 1]]), 'three rows').toBeNull();
    expect(() => cscvPbo([[1, 2, 3, 4], [1, 2, 3]])).toThrow(/run 1 has 3 returns/);
    expect(() => cscvPbo([[1, 2, 3, 4], [1, 2, Infinity, 4]])).toThrow(/run 1, return 2/);
    expect(() => cscvPbo(hand, { blocks: 5 })).toThrow(UserInputError);
    expect(() => cscvPbo(hand, { blocks: 4, metric: () => Number.NaN })).toThrow(/NaN for run 0/);
  });
});

describe('on real returns: a sweep of momentum and reversal rules over AMZN, 2012-06-21 (LOBSTER)', () => {
  // Mid-price log returns over 10-second intervals, 09:30–16:00; run (k, s) holds s·sign(sum of the
  // previous k returns) through the next interval: many flat intervals, heavy tails, exact zeros.
  const dir = dataPath('lobster', 'LOBSTER_SampleFile_AMZN_2012-06-21_1');
  const messages = readFileSync(`${dir}/AMZN_2012-06-21_34200000_57600000_message_1.csv`, 'utf8').trim().split('\n');
  const book = readFileSync(`${dir}/AMZN_2012-06-21_34200000_57600000_orderbook_1.csv`, 'utf8').trim().split('\n');
  const mids: number[] = [];
  let mid = Number.NaN;
  let boundary = 34200 + 10;
  for (let i = 0; i < messages.length; i++) {
    const time = Number(messages[i]!.split(',')[0]);
    while (time >= boundary) {
      mids.push(mid);
      boundary += 10;
    }
    const [ask, , bid] = book[i]!.split(',').map(Number);
    if (ask! < 9999999999 && bid! > -9999999999) mid = (ask! + bid!) / 2;
  }
  const market = mids.slice(1).map((m, i) => Math.log(m / mids[i]!)).filter((_, i) => i >= 13);
  const runs: number[][] = [];
  for (const k of [1, 2, 3, 5, 8, 13]) {
    for (const sign of [1, -1]) {
      runs.push(
        market.map((r, t) => {
          let past = 0;
          for (let j = 1; j <= k && t - j >= 0; j++) past += market[t - j]!;
          return sign * Math.sign(past) * r;
        }),
      );
    }
  }

  it('reads a full session of returns', () => {
    expect(mids.length, '2,340 ten-second intervals in 6.5 hours, minus the last').toBeGreaterThan(2300);
    expect(market.every(Number.isFinite)).toBe(true);
    expect(market.filter((r) => r === 0).length, 'flat intervals').toBeGreaterThan(10);
  });

  it('CSCV equals the brute-force CSCV', () => {
    const got = cscvPbo(runs, { blocks: 8 })!;
    const want = bruteForce(runs, 8);
    got.logits.forEach((l, i) => expect(l, `combination ${i}`).toBeCloseTo(want.lambdas[i]!, 12));
    expect(got.pbo).toBe(want.pbo);
    expect(got.probLoss).toBe(want.probLoss);
    expect(got.degradationSlope!).toBeCloseTo(want.slope, 9);
    expect(got.degradationR2!).toBeCloseTo(want.r2, 9);
  });

  it('the deflated Sharpe ratio equals its assembly from simple-statistics', () => {
    const sharpes = runs.map((r) => ssMean(r) / sampleStandardDeviation(r));
    const best = sharpes.indexOf(Math.max(...sharpes));
    const r = runs[best]!;
    const m = ssMean(r);
    const central = (p: number): number => ssMean(r.map((x) => (x - m) ** p));
    const skewness = central(3) / central(2) ** 1.5;
    const kurtosis = central(4) / central(2) ** 2;
    const sr0 = expectedMaxSharpe(runs.length, sampleVariance(sharpes));
    const got = deflatedSharpe(runs)!;
    expect(got.trials).toBe(12);
    expect(got.observations).toBe(market.length);
    expect(got.sharpe).toBeCloseTo(sharpes[best]!, 12);
    expect(got.sharpeVariance).toBeCloseTo(sampleVariance(sharpes), 12);
    expect(got.skewness).toBeCloseTo(skewness, 9);
    expect(got.kurtosis).toBeCloseTo(kurtosis, 8);
    expect(got.dsr).toBeCloseTo(probabilisticSharpe(sharpes[best]!, sr0, r.length, skewness, kurtosis), 10);
    expect(got.kurtosis, 'ten-second returns are heavy-tailed').toBeGreaterThan(3);
  });
});

/** All k-subsets of 0..n−1 in lexicographic order, from bit masks sorted. */
function combinations(n: number, k: number): number[][] {
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << n; mask++) {
    const c: number[] = [];
    for (let b = 0; b < n; b++) if (mask & (1 << b)) c.push(b);
    if (c.length === k) out.push(c);
  }
  return out.sort((a, b) => {
    for (let i = 0; i < k; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return 0;
  });
}

/** CSCV as the paper describes it, row by row: the reference for the fast per-block version. */
function bruteForce(runs: number[][], S: number): { lambdas: number[]; pbo: number; probLoss: number; slope: number; r2: number } {
  const T = runs[0]!.length;
  const q = Math.floor(T / S);
  const skip = T - q * S;
  const sharpe = (xs: number[]): number => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
    return v > 0 ? m / Math.sqrt(v) : 0;
  };
  const lambdas: number[] = [];
  const xs: number[] = [];
  const ys: number[] = [];
  let losses = 0;
  for (const c of combinations(S, S / 2)) {
    const rowsOf = (r: number[], train: boolean): number[] =>
      r.filter((_, t) => t >= skip && c.includes(Math.floor((t - skip) / q)) === train);
    const is = runs.map((r) => sharpe(rowsOf(r, true)));
    const oos = runs.map((r) => sharpe(rowsOf(r, false)));
    const star = is.indexOf(Math.max(...is));
    const x = oos[star]!;
    const rank = oos.filter((v) => v < x).length + (oos.filter((v) => v === x).length + 1) / 2;
    const w = rank / (runs.length + 1);
    lambdas.push(Math.log(w / (1 - w)));
    xs.push(is[star]!);
    ys.push(x);
    if (x < 0) losses++;
  }
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  xs.forEach((x, i) => {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (ys[i]! - my);
    syy += (ys[i]! - my) ** 2;
  });
  return {
    lambdas,
    pbo: lambdas.filter((l) => l <= 0).length / lambdas.length,
    probLoss: losses / lambdas.length,
    slope: sxy / sxx,
    r2: (sxy * sxy) / (sxx * syy),
  };
}
