import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { divergence, DivergenceDetector, type Divergence, type DivergenceOptions, type DivergenceType } from '../../src/microstructure/divergence.js';
import { CvdCalculator } from '../../src/microstructure/cvd.js';
import { dataPath } from '../helpers/data.js';
import { loadCapture } from './real-data.js';
import { testCalculatorContract } from './contract.js';
import type { DivergencePoint } from '../../src/microstructure/divergence.js';

function cols(price: number[], flow: number[]) {
  return { ts: Float64Array.from(price, (_, i) => 1000 + 10 * i), price: Float64Array.from(price), flow: Float64Array.from(flow) };
}

const ONE = { left: 1, right: 1 };

describe('divergence golden values (worked by hand, left = right = 1)', () => {
  it('regular bearish: price higher high, flow lower high', () => {
    // highs at 1 (3, flow 5) and 3 (4, flow 3); price range over 1..3 is 2..4, flow range 3..5
    const d = divergence(cols([1, 3, 2, 4, 3], [0, 5, 4, 3, 2]), ONE);
    expect(d).toHaveLength(1);
    expect(d[0]!.type).toBe('regular-bearish');
    expect(d[0]!.first).toEqual({ index: 1, ts: 1010, price: 3, flow: 5 });
    expect(d[0]!.second).toEqual({ index: 3, ts: 1030, price: 4, flow: 3 });
    expect(d[0]!.knownIndex, 'confirmed one point after the pivot').toBe(4);
    expect(d[0]!.knownTs).toBe(1040);
    expect(d[0]!.strength).toBeCloseTo(0.5 * (1 / 2 + 2 / 2), 12);
  });

  it('regular bullish: price lower low, flow higher low', () => {
    const d = divergence(cols([5, 3, 4, 2, 3], [0, -5, -4, -3, -2]), ONE);
    expect(d.map((x) => x.type)).toEqual(['regular-bullish']);
    expect([d[0]!.first.index, d[0]!.second.index]).toEqual([1, 3]);
    expect(d[0]!.strength).toBeCloseTo(0.5 * (1 / 2 + 2 / 2), 12);
  });

  it('hidden bearish: price lower high, flow higher high', () => {
    const d = divergence(cols([1, 4, 2, 3, 1], [0, 2, 1, 5, 0]), ONE);
    expect(d.map((x) => x.type)).toEqual(['hidden-bearish']);
    expect(d[0]!.strength).toBeCloseTo(0.5 * (1 / 2 + 3 / 4), 12);
  });

  it('hidden bullish: price higher low, flow lower low', () => {
    const d = divergence(cols([5, 2, 4, 3, 4], [0, 0, 1, -2, 0]), ONE);
    expect(d.map((x) => x.type)).toEqual(['hidden-bullish']);
    expect(d[0]!.strength).toBeCloseTo(0.5 * (1 / 2 + 2 / 3), 12);
  });

  it('agreement is not divergence, and equal highs are neither higher nor lower', () => {
    expect(divergence(cols([1, 3, 2, 4, 3], [0, 3, 2, 5, 4]), ONE), 'both higher highs').toEqual([]);
    expect(divergence(cols([1, 3, 2, 3, 2], [0, 5, 4, 3, 2]), ONE), 'double top').toEqual([]);
  });

  it('a flat top is one pivot: its last point', () => {
    const d = divergence(cols([1, 3, 3, 2, 4, 3], [0, 5, 6, 4, 3, 2]), ONE);
    expect(d.map((x) => [x.type, x.first.index, x.first.flow])).toEqual([['regular-bearish', 2, 6]]);
  });

  it('maxGap and types filter', () => {
    expect(divergence(cols([1, 3, 2, 4, 3], [0, 5, 4, 3, 2]), { ...ONE, maxGap: 1 }), 'pivots 2 apart').toEqual([]);
    expect(divergence(cols([1, 3, 2, 4, 3], [0, 5, 4, 3, 2]), { ...ONE, types: ['regular-bullish'] })).toEqual([]);
  });

  it('streaming: null until confirmed, then the detection; value keeps the latest', () => {
    const d = new DivergenceDetector(ONE);
    const price = [1, 3, 2, 4, 3];
    const flow = [0, 5, 4, 3, 2];
    const out = price.map((p, i) => d.update({ ts: i, price: p, flow: flow[i]! }));
    expect(out.slice(0, 4)).toEqual([null, null, null, null]);
    expect(out[4]!.type).toBe('regular-bearish');
    expect(d.fresh, 'confirmed by this point').toBe(true);
    expect(d.value).toBe(out[4]);
    expect(d.update({ ts: 5, price: 2, flow: 1 }), 'sticky').toBe(out[4]);
    expect(d.fresh).toBe(false);
    d.reset();
    expect(d.value).toBeNull();
    expect(d.isReady).toBe(false);
  });

  it('refuses bad options', () => {
    expect(() => new DivergenceDetector({ right: 0 })).toThrow(/right/);
    expect(() => new DivergenceDetector({ types: ['sideways' as DivergenceType] })).toThrow(/types/);
  });
});

/** Brute force over the whole series: pivots by definition, each compared with the previous pivot of its kind. */
function reference(price: number[], flow: number[], o: Required<Pick<DivergenceOptions, 'left' | 'right' | 'maxGap'>>): [string, number, number, number][] {
  const out: [string, number, number, number][] = [];
  let hi = -1;
  let lo = -1;
  for (let i = o.left; i + o.right < price.length; i++) {
    const l = price.slice(i - o.left, i);
    const r = price.slice(i + 1, i + 1 + o.right);
    const isHigh = l.every((x) => price[i]! >= x) && r.every((x) => price[i]! > x);
    const isLow = l.every((x) => price[i]! <= x) && r.every((x) => price[i]! < x);
    if (isHigh) {
      if (hi >= 0 && i - hi <= o.maxGap) {
        if (price[i]! > price[hi]! && flow[i]! < flow[hi]!) out.push(['regular-bearish', hi, i, i + o.right]);
        if (price[i]! < price[hi]! && flow[i]! > flow[hi]!) out.push(['hidden-bearish', hi, i, i + o.right]);
      }
      hi = i;
    }
    if (isLow) {
      if (lo >= 0 && i - lo <= o.maxGap) {
        if (price[i]! < price[lo]! && flow[i]! > flow[lo]!) out.push(['regular-bullish', lo, i, i + o.right]);
        if (price[i]! > price[lo]! && flow[i]! < flow[lo]!) out.push(['hidden-bullish', lo, i, i + o.right]);
      }
      lo = i;
    }
  }
  return out;
}

const series = fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: -20, max: 20 })), { minLength: 0, maxLength: 150 });
const optsArb = fc.record({ left: fc.integer({ min: 1, max: 4 }), right: fc.integer({ min: 1, max: 4 }), maxGap: fc.integer({ min: 1, max: 30 }) });
const brief = (d: Divergence): [string, number, number, number] => [d.type, d.first.index, d.second.index, d.knownIndex];

describe('divergence properties', () => {
  it('matches a brute-force reference on random series', () => {
    fc.assert(
      fc.property(series, optsArb, (xs, o) => {
        const price = xs.map((x) => x[0]);
        const flow = xs.map((x) => x[1]);
        expect(divergence(cols(price, flow), o).map(brief)).toEqual(reference(price, flow, o));
      }),
      { numRuns: 500 },
    );
  });

  it('no look-ahead: appending future points never changes a past output', () => {
    fc.assert(
      fc.property(series, series, optsArb, (past, future, o) => {
        const all = [...past, ...future];
        const before = divergence(cols(past.map((x) => x[0]), past.map((x) => x[1])), o);
        const after = divergence(cols(all.map((x) => x[0]), all.map((x) => x[1])), o);
        expect(after.filter((d) => d.knownIndex < past.length)).toEqual(before);
        for (const d of after) {
          expect(d.second.index + o.right).toBe(d.knownIndex);
          expect(d.first.index).toBeLessThan(d.second.index);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('streaming equals columnar, in random chunks', () => {
    fc.assert(
      fc.property(series, optsArb, fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1 }), (xs, o, chunks) => {
        const c = cols(xs.map((x) => x[0]), xs.map((x) => x[1]));
        const streamed: Divergence[] = [];
        const s = new DivergenceDetector(o, (d) => streamed.push(d));
        for (let i = 0; i < xs.length; i++) {
          const d = s.update({ ts: c.ts[i]!, price: c.price[i]!, flow: c.flow[i]! });
          if (s.fresh) expect(d).toBe(streamed[streamed.length - 1]);
        }
        const chunked = new DivergenceDetector(o);
        const out: Divergence[] = [];
        for (let at = 0, k = 0; at < xs.length; k++) {
          const n = chunks[k % chunks.length]!;
          chunked.updateColumns({ ts: c.ts.subarray(at, at + n), price: c.price.subarray(at, at + n), flow: c.flow.subarray(at, at + n) }, out);
          at += n;
        }
        expect(out).toEqual(streamed);
        expect(divergence(c, o)).toEqual(streamed);
      }),
      { numRuns: 200 },
    );
  });
});

describe('divergence on a real capture (BTCUSDT USD-M, 1-second mid against CVD)', () => {
  it('matches the brute-force reference, and every strength lies in [0, 1]', async () => {
    const { merged: events } = await loadCapture(dataPath('binance-ws/usdm/btcusdt_20240808.gz'));
    // 1-second points: the last mid and the CVD as of the end of each second with a quote
    const price: number[] = [];
    const flow: number[] = [];
    const ts: number[] = [];
    const c = new CvdCalculator();
    let mid = NaN;
    let sec = NaN;
    for (const e of events) {
      const s = Math.floor(e.ts / 1000);
      if (s !== sec && mid === mid) {
        if (sec === sec) {
          ts.push(sec * 1000);
          price.push(mid);
          flow.push(c.value ?? 0);
        }
      }
      sec = s;
      if (e.type === 'quote') mid = (e.bidPrice + e.askPrice) / 2;
      else c.update(e);
    }
    expect(price.length).toBeGreaterThan(300);
    const o = { left: 5, right: 5, maxGap: 60 };
    const d = divergence({ ts: Float64Array.from(ts), price: Float64Array.from(price), flow: Float64Array.from(flow) }, o);
    expect(d.map(brief)).toEqual(reference(price, flow, o));
    expect(d.length, 'six minutes of BTC give some divergences').toBeGreaterThan(0);
    for (const x of d) {
      expect(x.strength).toBeGreaterThan(0);
      expect(x.strength).toBeLessThanOrEqual(1);
    }
  });
});

testCalculatorContract<DivergencePoint, Divergence, DivergenceDetector, DivergenceDetector>('DivergenceDetector', {
  make: () => new DivergenceDetector({ left: 2, right: 2, maxGap: 20 }),
  state: () => new DivergenceDetector({ left: 2, right: 2, maxGap: 20 }),
  columnar: (chunk, state) => {
    // per point: the latest detection known at that point, as the streaming face reports it
    let current = state.value;
    const base = state.count;
    const found = state.updateColumns({
      ts: Float64Array.from(chunk, (p) => p.ts),
      price: Float64Array.from(chunk, (p) => p.price),
      flow: Float64Array.from(chunk, (p) => p.flow),
    });
    let f = 0;
    return chunk.map((_, i) => {
      while (f < found.length && found[f]!.knownIndex === base + i) current = found[f++]!;
      return current;
    });
  },
  inputs: series.map((xs) => xs.map(([price, flow], i) => ({ ts: 1000 * i, price, flow }))),
  realInputs: async () => {
    const { quotes } = await loadCapture(dataPath('binance-ws/usdm/btcusdt_20240808.gz'));
    // every quote as a point: mid against cumulative bid-minus-ask size change, a crude flow
    let flow = 0;
    return quotes.map((q, i) => {
      if (i > 0) flow += q.bidQty - quotes[i - 1]!.bidQty - (q.askQty - quotes[i - 1]!.askQty);
      return { ts: q.ts, price: (q.bidPrice + q.askPrice) / 2, flow };
    });
  },
});
