import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { linearRegression, linearRegressionLine, rSquared } from 'simple-statistics';
import { neweyWestLags, ols } from '../../src/microstructure/regression.js';

describe('ols', () => {
  it('one regressor: the hand-worked example', () => {
    // y = [1, 3, 2, 5] on x = [0, 1, 2, 3]: x̄ = 1.5, ȳ = 2.75, Sxx = 5, Sxy = 5.5, so β = 1.1 and
    // α = 2.75 − 1.1·1.5 = 1.1; fitted 1.1, 2.2, 3.3, 4.4, residuals −0.1, 0.8, −1.3, 0.6,
    // RSS = 2.7, TSS = 8.75, R² = 1 − 2.7/8.75; σ² = 2.7/2 = 1.35,
    // se(β) = √(σ²/Sxx) = √0.27, se(α) = √(σ²·(1/n + x̄²/Sxx)) = √(1.35·0.7)
    const r = ols([1, 3, 2, 5], [[0, 1, 2, 3]]);
    expect(r.n).toBe(4);
    expect(r.alpha).toBeCloseTo(1.1, 12);
    expect(r.beta[0]).toBeCloseTo(1.1, 12);
    expect(r.r2).toBeCloseTo(1 - 2.7 / 8.75, 12);
    expect(r.sigma).toBeCloseTo(Math.sqrt(1.35), 12);
    expect(r.seBeta[0]).toBeCloseTo(Math.sqrt(0.27), 12);
    expect(r.seAlpha).toBeCloseTo(Math.sqrt(1.35 * 0.7), 12);
    expect(r.tBeta[0]).toBeCloseTo(1.1 / Math.sqrt(0.27), 12);
    expect(r.tAlpha).toBeCloseTo(1.1 / Math.sqrt(0.945), 12);
    expect(r.adjR2).toBeCloseTo(1 - ((2.7 / 8.75) * 3) / 2, 12);
  });

  it('two regressors: the hand-worked example', () => {
    // y = 1 + 2·x1 − x2 + r with r = [1, −1, −1, 1, 0], which is orthogonal to 1, x1 and x2,
    // so the fit recovers (1, 2, −1) exactly and the residuals are r: RSS = 4, σ² = 4/(5 − 3) = 2.
    // ȳ = 2, TSS = 0 + 0 + 9 + 1 + 4 = 14. X'X = [[5,4,3],[4,6,3],[3,3,3]], det 15, inverse
    // (1/15)·[[9,−3,−6],[−3,6,−3],[−6,−3,14]]: Var(α) = 2·9/15, Var(β1) = 2·6/15, Var(β2) = 2·14/15.
    const x1 = [0, 1, 0, 1, 2];
    const x2 = [0, 0, 1, 1, 1];
    const y = [2, 2, -1, 3, 4];
    const r = ols(y, [x1, x2]);
    expect(r.alpha).toBeCloseTo(1, 12);
    expect(r.beta[0]).toBeCloseTo(2, 12);
    expect(r.beta[1]).toBeCloseTo(-1, 12);
    expect(r.r2).toBeCloseTo(1 - 4 / 14, 12);
    expect(r.seAlpha).toBeCloseTo(Math.sqrt(18 / 15), 12);
    expect(r.seBeta[0]).toBeCloseTo(Math.sqrt(12 / 15), 12);
    expect(r.seBeta[1]).toBeCloseTo(Math.sqrt(28 / 15), 12);
  });

  it('Newey–West with no lag is White’s estimator, worked by hand', () => {
    // the first example: Var(β) = Σ (x_t − x̄)² e_t² / Sxx² = (2.25·0.01 + 0.25·0.64 + 0.25·1.69 + 2.25·0.36) / 25
    const r = ols([1, 3, 2, 5], [[0, 1, 2, 3]], { se: { hac: 0 } });
    expect(r.se).toBe('hac');
    expect(r.beta[0]).toBeCloseTo(1.1, 12);
    expect(r.seBeta[0]).toBeCloseTo(Math.sqrt(1.415 / 25), 12);
  });

  it('Newey–West with lags equals the sandwich written out for one regressor', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: -10, max: 10, noNaN: true })), { minLength: 12, maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (pts, L) => {
        const x = pts.map((p) => p[0]);
        const y = pts.map((p, i) => 0.5 + 2 * p[0] + p[1] + 0.1 * Math.sin(i));
        const n = x.length;
        const xbar = x.reduce((a, b) => a + b, 0) / n;
        const sxx = x.reduce((a, v) => a + (v - xbar) ** 2, 0);
        if (sxx < 1e-6) return;
        const r = ols(y, [x], { se: { hac: L } });
        const e = y.map((v, i) => v - r.alpha - r.beta[0]! * x[i]!);
        // the slope's sandwich in the centred design: Var(β) = Σ_t Σ_s w(|t−s|) u_t u_s / Sxx², u_t = (x_t − x̄) e_t
        const u = x.map((v, i) => (v - xbar) * e[i]!);
        let s = 0;
        for (let t = 0; t < n; t++) {
          for (let q = 0; q < n; q++) {
            const lag = Math.abs(t - q);
            if (lag <= L) s += (1 - lag / (L + 1)) * u[t]! * u[q]!;
          }
        }
        expect(r.seBeta[0]).toBeCloseTo(Math.sqrt(Math.max(s, 0)) / sxx, 9);
      }),
      { numRuns: 50 },
    );
  });

  it('k = 1 agrees with simple-statistics on random data', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: -1e3, max: 1e3, noNaN: true })), { minLength: 5, maxLength: 200 }), (pts) => {
        const x = pts.map((p) => p[0]);
        const y = pts.map((p) => 3 - 0.01 * p[0] + p[1]);
        const xbar = x.reduce((a, b) => a + b, 0) / x.length;
        if (x.reduce((a, v) => a + (v - xbar) ** 2, 0) < 1e-3) return;
        const ybar = y.reduce((a, b) => a + b, 0) / y.length;
        if (y.reduce((a, v) => a + (v - ybar) ** 2, 0) < 1e-3) return;
        const data = pts.map((_, i) => [x[i]!, y[i]!]);
        const ref = linearRegression(data);
        const r = ols(y, [x]);
        const scale = 1 + Math.abs(ref.b);
        expect(Math.abs(r.beta[0]! - ref.m)).toBeLessThan(1e-9 * (1 + Math.abs(ref.m)));
        expect(Math.abs(r.alpha - ref.b)).toBeLessThan(1e-7 * scale);
        expect(r.r2).toBeCloseTo(rSquared(data, linearRegressionLine(ref)), 9);
      }),
      { numRuns: 200 },
    );
  });

  it('large means do not cost precision (regressors are centred)', () => {
    // OFI sums and prices can sit far from zero; the slope must not care
    // the same data shifted by 1e9 must give the same slope and R²
    const small = Array.from({ length: 50 }, (_, i) => i);
    const y = small.map((v, i) => 2 * v + (i % 2 ? 0.5 : -0.5));
    const near = ols(y, [small]);
    const far = ols(y, [small.map((v) => 1e9 + v)]);
    expect(far.beta[0]).toBeCloseTo(near.beta[0]!, 9);
    expect(far.r2).toBeCloseTo(near.r2, 9);
    expect(far.alpha + far.beta[0]! * 1e9).toBeCloseTo(near.alpha, 3);
  });

  it('refuses collinear regressors and too few observations, in one line', () => {
    expect(() => ols([1, 2, 3, 4], [[1, 1, 1, 1]])).toThrow(/collinear/);
    expect(() => ols([1, 2, 3, 4], [[1, 2, 3, 4], [2, 4, 6, 8]])).toThrow(/collinear/);
    expect(() => ols([1, 2], [[1, 2]])).toThrow(/2 observations for 2 coefficients/);
  });

  it('the default lag follows Newey & West (1994)', () => {
    expect(neweyWestLags(100)).toBe(4);
    expect(neweyWestLags(2340)).toBe(Math.floor(4 * Math.pow(23.4, 2 / 9)));
    expect(ols([1, 3, 2, 5, 4, 6], [[0, 1, 2, 3, 4, 5]], { se: 'hac' }).hacLags).toBe(neweyWestLags(6));
  });
});
