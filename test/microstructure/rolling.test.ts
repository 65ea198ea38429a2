import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  RollingMad,
  RollingMean,
  RollingMedian,
  RollingMomentsState,
  RollingRobustState,
  RollingRobustZScore,
  RollingStd,
  RollingZScore,
  rollingMad,
  rollingMean,
  rollingMedian,
  rollingRobustZScore,
  rollingStd,
  rollingZScore,
  type RollingRobustOptions,
  type RollingZScoreOptions,
} from '../../src/microstructure/rolling.js';
import { OrderStatisticTree } from '../../src/microstructure/order-statistic.js';
import { readBookTickerQuotes } from '../helpers/binance-quotes.js';
import { testCalculatorContract } from './contract.js';

// ---------------------------------------------------------------------------------------------
// An independent, naive O(N·W) reference: for each output, gather the window by scanning
// backwards and compute the statistic from scratch (two-pass variance, sorted median).
// ---------------------------------------------------------------------------------------------

interface Win {
  events?: number;
  ms?: number;
}

/** Timestamps on the monotone clock the calculators use: one that goes back takes the latest. */
function effectiveTimes(ts: number[]): number[] {
  const eff: number[] = [];
  let last = -Infinity;
  for (const t of ts) {
    if (t >= last) last = t;
    eff.push(last);
  }
  return eff;
}

function windowOf(xs: number[], eff: number[], i: number, w: Win, prior: boolean): number[] {
  const end = prior ? i - 1 : i;
  const out: number[] = [];
  for (let j = end; j >= 0; j--) {
    if (w.events !== undefined && out.length === w.events) break;
    if (w.ms !== undefined && !(eff[j]! > eff[i]! - w.ms)) break;
    out.push(xs[j]!);
  }
  return out.reverse();
}

function naiveMean(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}
function naiveStd(v: number[], ddof: number): number {
  if (v.every((x) => x === v[0])) return 0;
  const m = naiveMean(v);
  return Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - ddof));
}
function naiveMedian(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}
function naiveMad(v: number[]): number {
  const m = naiveMedian(v);
  return naiveMedian(v.map((x) => Math.abs(x - m)));
}

type Stat = 'mean' | 'std' | 'z' | 'median' | 'mad' | 'rz';

function naive(stat: Stat, xs: number[], ts: number[], w: Win, minPeriods: number, opts: { ddof?: number; prior?: boolean; scale?: number }): number[] {
  const eff = effectiveTimes(ts);
  const prior = (stat === 'z' || stat === 'rz') && (opts.prior ?? true);
  return xs.map((x, i) => {
    const v = windowOf(xs, eff, i, w, prior);
    if (v.length < minPeriods) return NaN;
    switch (stat) {
      case 'mean':
        return naiveMean(v);
      case 'std':
        return naiveStd(v, opts.ddof ?? 1);
      case 'z': {
        const sd = naiveStd(v, opts.ddof ?? 1);
        return sd > 0 ? (x - naiveMean(v)) / sd : 0;
      }
      case 'median':
        return naiveMedian(v);
      case 'mad':
        return (opts.scale ?? 1.4826) * naiveMad(v);
      case 'rz': {
        const mad = (opts.scale ?? 1.4826) * naiveMad(v);
        return mad > 0 ? (x - naiveMedian(v)) / mad : 0;
      }
    }
  });
}

function expectClose(got: Float64Array | number[], want: number[], tol: number, label: string): void {
  expect(got.length, label).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      expect(Number.isNaN(g), `${label}: output ${i} is ${g}, reference ${w}`).toBe(Number.isNaN(w));
      continue;
    }
    expect(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)), `${label}: output ${i} is ${g}, reference ${w}`).toBe(true);
  }
}

// Values with ties and constant stretches (small integers) as well as decimals with six places
// (arbitrary doubles down to 1e-300 would test only the underflow of squares, in both codes).
const value = fc.oneof(fc.integer({ min: -4, max: 4 }), fc.integer({ min: -1e9, max: 1e9 }).map((k) => k / 1e6));
// Timestamp steps that sometimes repeat and sometimes go back.
const series = fc.array(fc.tuple(value, fc.integer({ min: -30, max: 60 })), { maxLength: 120 }).map((rows) => {
  let t = 1_700_000_000_000;
  return { xs: rows.map((r) => r[0]), ts: rows.map((r) => (t += r[1])) };
});

describe('rolling statistics: golden values worked by hand', () => {
  it('mean over 3 events', () => {
    expect([1, 2, 3, 4, 5].map(((m) => (x: number) => m.update(x))(new RollingMean({ window: { events: 3 } })))).toEqual([null, null, 2, 3, 4]);
  });

  it('sample and population standard deviation', () => {
    // [1, 2, 4]: mean 7/3, squared deviations 16/9 + 1/9 + 25/9 = 42/9
    const s = new RollingStd({ window: { events: 3 } });
    const p = new RollingStd({ window: { events: 3 }, ddof: 0 });
    for (const x of [1, 2, 4]) {
      s.update(x);
      p.update(x);
    }
    expect(s.value).toBeCloseTo(Math.sqrt(42 / 9 / 2), 14);
    expect(p.value).toBeCloseTo(Math.sqrt(42 / 9 / 3), 14);
  });

  it('z-score against the prior window and the trailing window', () => {
    const xs = new Float64Array([1, 2, 3, 4, 10]);
    // prior: 10 against [1, 2, 3, 4]: mean 2.5, sample variance (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3
    const prior = rollingZScore(xs, { window: { events: 4 } });
    expect(Array.from(prior.subarray(0, 4)).every(Number.isNaN), 'four inputs before a full prior window').toBe(true);
    expect(prior[4]).toBeCloseTo(7.5 / Math.sqrt(5 / 3), 12);
    // trailing: 10 against [2, 3, 4, 10]: mean 4.75, squares 7.5625 + 3.0625 + 0.5625 + 27.5625 = 38.75
    const trailing = rollingZScore(xs, { window: { events: 4 }, reference: 'trailing' });
    expect(Number.isNaN(trailing[2]!)).toBe(true);
    expect(trailing[3]).toBeCloseTo((4 - 2.5) / Math.sqrt(5 / 3), 12);
    expect(trailing[4]).toBeCloseTo(5.25 / Math.sqrt(38.75 / 3), 12);
  });

  it('a constant window has std 0 and z 0', () => {
    const z = rollingZScore(new Float64Array([0.1, 0.1, 0.1, 0.1, 0.1]), { window: { events: 3 }, reference: 'trailing' });
    expect(z[4]).toBe(0);
    const s = rollingStd(new Float64Array([60000.1, 60000.1, 60000.1]), { window: { events: 3 } });
    expect(s[2]).toBe(0);
  });

  it('time window is (t − T, t]', () => {
    const m = new RollingMean({ window: { ms: 1000 } });
    expect(m.update(1, 0)).toBe(1);
    expect(m.update(3, 500)).toBe(2);
    expect(m.update(5, 1000), 'the point at t = 0 has left: (0, 1000]').toBe(4);
    expect(m.update(7, 2000), 'only t = 2000 remains, 1000 is on the open edge').toBe(7);
  });

  it('timestamps that go back are clamped to the latest, and counted', () => {
    const m = new RollingMean({ window: { ms: 1000 } });
    m.update(10, 0);
    m.update(20, 1000);
    expect(m.update(30, 400), 'stamped 1000: the window is (0, 1000] = {20, 30}').toBe(25);
    expect(m.update(60, 1900), 'window (900, 1900] = {20, 30, 60}').toBeCloseTo((20 + 30 + 60) / 3, 12);
    expect(m.state.clamped).toBe(1);
    expect(m.update(0, 2000), 'window (1000, 2000]: both points stamped 1000 leave together').toBe(30);
  });

  it('a non-finite input is skipped, its output is null, the window is untouched', () => {
    const m = new RollingMean({ window: { events: 2 } });
    m.update(1);
    m.update(3);
    expect(m.update(Number.NaN)).toBeNull();
    expect(m.isReady).toBe(false);
    expect(m.update(5), 'window {3, 5}: the NaN did not take a slot').toBe(4);
    expect(m.state.skipped).toBe(1);
  });

  it('median, MAD and robust z-score', () => {
    expect([5, 1, 9, 2].map(((m) => (x: number) => m.update(x))(new RollingMedian({ window: { events: 3 } })))).toEqual([null, null, 5, 2]);
    // [1, 2, 10]: median 2, deviations 1, 0, 8 → MAD 1
    const mad = new RollingMad({ window: { events: 3 }, scale: 1 });
    [1, 2, 10].forEach((x) => mad.update(x));
    expect(mad.value).toBe(1);
    // even count [1, 2, 3, 10]: median 2.5, deviations 1.5, 0.5, 0.5, 7.5 → MAD (0.5 + 1.5) / 2 = 1
    const mad4 = rollingMad(new Float64Array([1, 2, 3, 10]), { window: { events: 4 } });
    expect(mad4[3]).toBeCloseTo(1.4826, 12);
    // 20 against [1, 2, 10]: (20 − 2) / (1.4826 · 1)
    const rz = new RollingRobustZScore({ window: { events: 3 } });
    [1, 2, 10].forEach((x) => rz.update(x));
    expect(rz.update(20)).toBeCloseTo(18 / 1.4826, 12);
  });

  it('rejects options that can never give a value, naming the field', () => {
    expect(() => new RollingStd({ window: { events: 1 } })).toThrow(/minPeriods/);
    expect(() => new RollingMean({ window: { events: 0 } })).toThrow(/window.events/);
    expect(() => new RollingMean({ window: { ms: -5 } })).toThrow(/window.ms/);
    expect(() => new RollingMean({ window: { events: 3 }, minPeriods: 4 })).toThrow(/minPeriods/);
    expect(() => rollingMean(new Float64Array(3), { window: { ms: 10 } })).toThrow(/ts/);
    const st = new RollingMomentsState('zscore', { window: { events: 5 } });
    expect(() => rollingZScore(new Float64Array(3), { window: { events: 6 } }, undefined, undefined, st)).toThrow(/state/);
  });
});

describe('rolling statistics against a naive O(N·W) reference', () => {
  const windows = fc.oneof(
    fc.integer({ min: 1, max: 15 }).map((n) => ({ events: n }) as Win),
    fc.integer({ min: 1, max: 300 }).map((ms) => ({ ms }) as Win),
  );

  const cases: { stat: Stat; floor: number; timedMin: number }[] = [
    { stat: 'mean', floor: 1, timedMin: 1 },
    { stat: 'std', floor: 2, timedMin: 2 },
    { stat: 'z', floor: 2, timedMin: 2 },
    { stat: 'median', floor: 1, timedMin: 1 },
    { stat: 'mad', floor: 1, timedMin: 2 },
    { stat: 'rz', floor: 1, timedMin: 2 },
  ];
  for (const { stat, floor, timedMin } of cases) {
    it(`${stat}`, () => {
      fc.assert(
        fc.property(series, windows, fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 6 }), ({ xs, ts }, w, flag, useMin, minP) => {
          const span = w.events ?? Infinity;
          if (span < floor) return;
          const minPeriods = useMin ? Math.min(Math.max(minP, floor), span) : undefined;
          const effMin = minPeriods ?? (w.events ?? timedMin);
          const ddof = flag ? 1 : 0;
          const prior = flag;
          const options = { window: w as never, minPeriods, ddof: ddof as 0 | 1, reference: prior ? 'prior' : 'trailing' } as RollingZScoreOptions & RollingRobustOptions;
          const x = Float64Array.from(xs);
          const t = Float64Array.from(ts);
          const fn = { mean: rollingMean, std: rollingStd, z: rollingZScore, median: rollingMedian, mad: rollingMad, rz: rollingRobustZScore }[stat];
          const got = fn(x, options, undefined, t);
          const want = naive(stat, xs, ts, w, stat === 'std' || stat === 'z' ? Math.max(effMin, ddof + 1) : effMin, { ddof, prior });
          expectClose(got, want, stat === 'z' ? 1e-7 : 1e-9, `${stat} ${JSON.stringify(w)}`);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('a long run does not drift: prices far from zero, 300 000 updates', () => {
    const n = 300_000;
    const xs = new Float64Array(n);
    let p = 61_000;
    let seed = 12345;
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      p += ((seed >>> 16) % 21) / 10 - 1; // ±1 in steps of 0.1
      xs[i] = Math.round(p * 10) / 10;
    }
    const w = { events: 200 };
    const std = rollingStd(xs, { window: w });
    const mean = rollingMean(xs, { window: w });
    for (const i of [199, 1000, 50_000, n - 1]) {
      const v = Array.from(xs.subarray(i - 199, i + 1));
      expect(Math.abs(std[i]! - naiveStd(v, 1)) / naiveStd(v, 1), `std at ${i}`).toBeLessThan(1e-10);
      expect(Math.abs(mean[i]! - naiveMean(v)) / naiveMean(v), `mean at ${i}`).toBeLessThan(1e-14);
    }
  });
});

describe('order-statistic tree', () => {
  it('agrees with a sorted array under random inserts and removals', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -5, max: 5 })), { maxLength: 200 }), (ops) => {
        const tree = new OrderStatisticTree(64);
        const live = new Map<number, number>(); // slot → value
        const free = Array.from({ length: 64 }, (_, i) => 63 - i);
        for (const [ins, v] of ops) {
          if ((ins || live.size === 0) && free.length > 0) {
            const slot = free.pop()!;
            tree.insert(slot, v);
            live.set(slot, v);
          } else if (live.size > 0) {
            const slot = [...live.keys()][Math.abs(v) % live.size]!;
            tree.remove(slot);
            live.delete(slot);
            free.push(slot);
          }
          const sorted = [...live.values()].sort((a, b) => a - b);
          expect(tree.count).toBe(sorted.length);
          sorted.forEach((x, k) => expect(tree.select(k)).toBe(x));
          if (sorted.length) {
            expect(tree.median()).toBe(naiveMedian(sorted));
            expect(tree.medianAbsDeviation(tree.median())).toBe(naiveMad(sorted));
            expect(tree.countBelow(v)).toBe(sorted.filter((x) => x < v).length);
          }
        }
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The calculator contract for every rolling statistic.
// ---------------------------------------------------------------------------------------------

interface Pt {
  x: number;
  t: number;
}
const points: fc.Arbitrary<Pt[]> = series.map(({ xs, ts }) => xs.map((x, i) => ({ x, t: ts[i]! })));
const nullIfNaN = (a: Float64Array): (number | null)[] => Array.from(a, (v) => (Number.isNaN(v) ? null : v));
const xsOf = (c: readonly Pt[]) => Float64Array.from(c, (p) => p.x);
const tsOf = (c: readonly Pt[]) => Float64Array.from(c, (p) => p.t);

/** Mid prices of the real BTCUSDT USD-M capture, with exchange timestamps. */
function realMids(): Pt[] {
  const q = readBookTickerQuotes('binance-ws/usdm/btcusdt_20240808.gz');
  return Array.from({ length: q.length }, (_, i) => ({ x: (q.bidPrice[i]! + q.askPrice[i]!) / 2, t: q.ts[i]! }));
}

type Moments = RollingMean | RollingStd | RollingZScore;
type Robust = RollingMedian | RollingMad | RollingRobustZScore;

const momentCases: { name: string; kind: 'mean' | 'std' | 'zscore'; options: RollingZScoreOptions; warmup?: number }[] = [
  { name: 'RollingMean (8 events)', kind: 'mean', options: { window: { events: 8 } }, warmup: 7 },
  { name: 'RollingStd (100 ms, population)', kind: 'std', options: { window: { ms: 100 }, ddof: 0 } },
  { name: 'RollingZScore (5 events, prior)', kind: 'zscore', options: { window: { events: 5 }, recomputeEvery: 7 }, warmup: 5 },
  { name: 'RollingZScore (250 ms, trailing)', kind: 'zscore', options: { window: { ms: 250 }, reference: 'trailing' } },
];
for (const c of momentCases) {
  const Cls = { mean: RollingMean, std: RollingStd, zscore: RollingZScore }[c.kind];
  const fn = { mean: rollingMean, std: rollingStd, zscore: rollingZScore }[c.kind];
  testCalculatorContract<Pt, number, RollingMomentsState, Moments>(c.name, {
    make: () => new Cls(c.options),
    feed: (calc, p) => calc.update(p.x, p.t),
    state: () => new RollingMomentsState(c.kind, c.options),
    columnar: (chunk, st) => nullIfNaN(fn(xsOf(chunk), c.options, undefined, tsOf(chunk), st)),
    inputs: points,
    realInputs: realMids,
    warmup: c.warmup,
  });
}

const robustCases: { name: string; kind: 'median' | 'mad' | 'robustZ'; options: RollingRobustOptions; warmup?: number }[] = [
  { name: 'RollingMedian (6 events)', kind: 'median', options: { window: { events: 6 } }, warmup: 5 },
  { name: 'RollingMad (120 ms)', kind: 'mad', options: { window: { ms: 120 } } },
  { name: 'RollingRobustZScore (9 events, prior)', kind: 'robustZ', options: { window: { events: 9 } }, warmup: 9 },
  { name: 'RollingRobustZScore (2 s, trailing)', kind: 'robustZ', options: { window: { ms: 2000 }, reference: 'trailing' } },
];
for (const c of robustCases) {
  const Cls = { median: RollingMedian, mad: RollingMad, robustZ: RollingRobustZScore }[c.kind];
  const fn = { median: rollingMedian, mad: rollingMad, robustZ: rollingRobustZScore }[c.kind];
  testCalculatorContract<Pt, number, RollingRobustState, Robust>(c.name, {
    make: () => new Cls(c.options),
    feed: (calc, p) => calc.update(p.x, p.t),
    state: () => new RollingRobustState(c.kind, c.options),
    columnar: (chunk, st) => nullIfNaN(fn(xsOf(chunk), c.options, undefined, tsOf(chunk), st)),
    inputs: points,
    realInputs: realMids,
    warmup: c.warmup,
  });
}
