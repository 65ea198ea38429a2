import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { eventsToBatch, type QuoteEvent, type TradeEvent } from '../../src/core/index.js';
import { quoteColumns, tradeColumns } from '../../src/core/columns.js';
import { divergence, type Divergence } from '../../src/microstructure/divergence.js';
import { canonicalJson, fingerprint, fnv1a64 } from '../../src/microstructure/fingerprint.js';
import { consistencyOf, FeatureFusion, fusion, newFusionColumns, resolveFusionOptions, sideOf, type FusionColumns, type FusionOptions, type FusionOutput } from '../../src/microstructure/fusion.js';
import { testCalculatorContract } from './contract.js';
import { OfiCalculator } from '../../src/microstructure/ofi.js';
import { RollingZScore } from '../../src/microstructure/rolling.js';
import { loadCapture, mergeByTs, type QT } from './real-data.js';
import { dataPath } from '../helpers/data.js';

function q(ts: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number, updateId = ts): QuoteEvent {
  return { type: 'quote', symbol: 'X', ts, recvTs: ts, bidPrice, bidQty, askPrice, askQty, updateId };
}
function t(ts: number, side: 'buy' | 'sell', qty: number, price: number, printKind = 'MARKET'): TradeEvent {
  return { type: 'trade', symbol: 'X', ts, recvTs: ts, price, qty, side, id: ts, firstId: ts, lastId: ts, printKind };
}

function columnsOf(events: readonly QT[]) {
  const quotes = events.filter((e): e is QuoteEvent => e.type === 'quote');
  const trades = events.filter((e): e is TradeEvent => e.type === 'trade');
  const f = () => new Float64Array(0);
  return {
    quotes: quotes.length ? quoteColumns(eventsToBatch('quote', quotes)!) : { ts: f(), bidPrice: f(), bidQty: f(), askPrice: f(), askQty: f() },
    trades: trades.length ? tradeColumns(eventsToBatch('trade', trades)!) : { ts: f(), price: f(), qty: f(), side: new Int8Array(0), market: new Uint8Array(0) },
  };
}

/** Row r of columnar output in the streaming shape. */
function rowOf(c: FusionColumns, r: number): FusionOutput | null {
  if (Number.isNaN(c.score[r]!)) return null;
  const s = c.side[r]!;
  return {
    z_ofi: c.z_ofi[r]!,
    z_cvd: c.z_cvd[r]!,
    fusion: { score: c.score[r]!, side: s > 0 ? 'buy' : s < 0 ? 'sell' : 'neutral', consistency: c.consistency[r]! },
    divergence: c.divergence[r]! >= 0 ? c.divergences[c.divergence[r]!]! : null,
    fp: c.fp,
  };
}

describe('fusion pieces, worked by hand', () => {
  it('consistency: 1 − |a − b| / (|a| + |b|)', () => {
    expect(consistencyOf(2, 2)).toBe(1);
    expect(consistencyOf(2, 1)).toBeCloseTo(1 - 1 / 3, 15);
    expect(consistencyOf(-3, -1)).toBeCloseTo(1 - 2 / 4, 15);
    expect(consistencyOf(2, -1), 'opposite signs').toBe(0);
    expect(consistencyOf(0, 0), 'no flow either way').toBe(0);
    expect(consistencyOf(1.5, 0)).toBe(0);
  });

  it('side: strictly beyond the threshold', () => {
    expect([sideOf(1.01, 1), sideOf(1, 1), sideOf(-1, 1), sideOf(-1.2, 1), sideOf(0.1, 0)]).toEqual(['buy', 'neutral', 'neutral', 'sell', 'buy']);
  });

  it('a short stream with one-event flows and a 3-event z window', () => {
    // OFI e_n: q2 +1 (bid queue 1→2), q3 +2 (2→4), q4 −1 (ask queue 1→2). CVD flows: +1, −1, +3.
    // z (against the window before the point, at least 2 points, sample std):
    //   z_ofi at q4 = (−1 − 1.5) / √0.5 = −3.5355…;  z_cvd at t3 = (3 − 0) / √2 = 2.1213…
    const evs: QT[] = [q(1, 10, 1, 11, 1), q(2, 10, 2, 11, 1), q(3, 10, 4, 11, 1), t(4, 'buy', 1, 11), t(5, 'sell', 1, 10), q(6, 10, 4, 11, 2), t(7, 'buy', 3, 11)];
    const options: FusionOptions = { flowWindow: { events: 1 }, zscore: { window: { events: 3 }, minPeriods: 2 }, divergence: false };
    const f = new FeatureFusion(options);
    const outs = evs.map((e) => {
      const r = f.update(e);
      return r && structuredClone(r);
    });
    expect(outs.slice(0, 6), 'z_cvd needs two earlier prints').toEqual([null, null, null, null, null, null]);
    const zo = -2.5 / Math.sqrt(0.5);
    const zc = 3 / Math.sqrt(2);
    const r = outs[6]!;
    expect(r.z_ofi).toBeCloseTo(zo, 12);
    expect(r.z_cvd).toBeCloseTo(zc, 12);
    expect(r.fusion.score).toBeCloseTo(0.6 * zo + 0.4 * zc, 12);
    expect(r.fusion.side, 'score −1.27 < −1').toBe('sell');
    expect(r.fusion.consistency, 'opposite signs').toBe(0);
    expect(r.divergence).toBeNull();
    expect(r.fp).toBe(f.fp);
    const col = fusion(columnsOf(evs), options);
    expect(rowOf(col, 6)).toEqual(r);
    expect(Array.from(col.ts)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const reused = newFusionColumns(100);
    const again = fusion(columnsOf(evs), options, reused);
    expect(again.score.length, 'views of the chunk’s rows').toBe(7);
    expect(again.score.buffer).toBe(reused.score.buffer);
    expect(rowOf(again, 6)).toEqual(r);
    expect(() => fusion(columnsOf(evs), options, newFusionColumns(3))).toThrow(/out/);
  });

  it('skips the quotes the OFI update-id rule skips, exactly as OfiCalculator does', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(1, 1, 2, 0, -2), fc.integer({ min: 99, max: 101 }), fc.integer({ min: 1, max: 5 })), { maxLength: 80 }), (xs) => {
        // six prints: CVD over 3 prints is ready at the third, and its z-score (2 points before) at the fifth
        const warm = [t(1, 'buy', 1, 100), t(2, 'sell', 2, 100), t(3, 'buy', 1, 100), t(4, 'buy', 3, 100), t(5, 'sell', 1, 100), t(6, 'buy', 2, 100)];
        let id = 0;
        const quotes = xs.map(([d, bid, qty], i) => q(10 + i, bid, qty, bid + 1, 6 - qty, (id += d)));
        const options: FusionOptions = { flowWindow: { events: 3 }, zscore: { window: { events: 4 }, minPeriods: 2 }, divergence: false };
        const f = new FeatureFusion(options);
        for (const e of warm) f.update(e);
        // reference: OFI with its own id rule, its skip counters telling which quotes it used
        const ref = new OfiCalculator({ sum: { events: 3 } });
        const z = new RollingZScore({ window: { events: 4 }, minPeriods: 2 });
        let zo: number | null = null;
        for (const quote of quotes) {
          const before = ref.state.duplicates + ref.state.outOfOrder;
          const v = ref.update(quote);
          if (ref.state.duplicates + ref.state.outOfOrder === before && v !== null) zo = z.update(v);
          const r = f.update(quote);
          expect(r?.z_ofi ?? null).toBe(zo);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses bad options, naming them', () => {
    expect(() => new FeatureFusion({ weights: { ofi: NaN } })).toThrow(/weights.ofi/);
    expect(() => new FeatureFusion({ flowWindow: { ms: -1 } })).toThrow(/flowWindow.ms/);
    expect(() => new FeatureFusion({ zscore: { minPeriods: 1 } })).toThrow(/zscore.minPeriods/);
    expect(() => new FeatureFusion({ divergence: { right: 0 } })).toThrow(/right/);
    expect(() => new FeatureFusion({ threshold: -1 })).toThrow(/threshold/);
  });
});

describe('feature fingerprint', () => {
  it('is 64-bit FNV-1a (published test vectors)', () => {
    expect(fnv1a64('')).toBe('cbf29ce484222325');
    expect(fnv1a64('a')).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar')).toBe('85944171f73967e8');
  });

  it('agrees with a BigInt reference on random text', () => {
    const ref = (s: string) => {
      let h = 0xcbf29ce484222325n;
      for (const b of new TextEncoder().encode(s)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
      return h.toString(16).padStart(16, '0');
    };
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(fnv1a64(s)).toBe(ref(s));
      }),
      { numRuns: 40 },
    );
  });

  it('canonical JSON ignores key order and undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, NaN], c: undefined } })).toBe('{"a":{"d":[1,"NaN"]},"b":1}');
    expect(fingerprint({ x: 1, y: 2 })).toBe(fingerprint({ y: 2, x: 1 }));
  });

  it('defaults spelled out give the same fp; a changed option gives another', () => {
    const a = new FeatureFusion().fp;
    expect(new FeatureFusion(resolveFusionOptions()).fp, 'resolved options resolve to themselves').toBe(a);
    expect(new FeatureFusion({ weights: { ofi: 0.6, cvd: 0.4 }, threshold: 1 }).fp).toBe(a);
    expect(new FeatureFusion({ threshold: 1.5 }).fp).not.toBe(a);
    expect(new FeatureFusion({ divergence: false }).fp).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });
});

const streamArb = fc
  .array(
    fc.record({
      dt: fc.integer({ min: 0, max: 400 }),
      quote: fc.boolean(),
      bid: fc.integer({ min: 98, max: 102 }),
      spread: fc.integer({ min: 1, max: 2 }),
      bq: fc.integer({ min: 1, max: 9 }),
      aq: fc.integer({ min: 1, max: 9 }),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      kind: fc.constantFrom('MARKET', 'MARKET', 'MARKET', 'INSURANCE_FUND'),
      // Binance bookTicker ids repeat and arrive out of order now and then
      dId: fc.constantFrom(1, 1, 1, 2, 0, -3),
    }),
    { maxLength: 200 },
  )
  .map((xs) => {
    let ts = 1_700_000_000_000;
    let id = 0;
    const quotes: QuoteEvent[] = [];
    const trades: TradeEvent[] = [];
    for (const x of xs) {
      ts += x.dt;
      if (x.quote) quotes.push(q(ts, x.bid, x.bq, x.bid + x.spread, x.aq, (id += x.dId)));
      else trades.push(t(ts, x.side, x.bq / 4, x.bid + 0.5, x.kind));
    }
    return mergeByTs(quotes, trades);
  });

const small: FusionOptions = {
  flowWindow: { ms: 500 },
  zscore: { window: { events: 8 }, minPeriods: 3 },
  divergence: { sampleMs: 200, left: 1, right: 1, maxGap: 20, ttlMs: 1000 },
};

function contractFor(label: string, options: FusionOptions, real = false) {
  testCalculatorContract<QT, FusionOutput, FeatureFusion, FeatureFusion>(`FeatureFusion (${label})`, {
    make: () => new FeatureFusion(options),
    state: () => new FeatureFusion(options),
    columnar: (chunk, state) => {
      const c = state.updateColumns(columnsOf(chunk).quotes, columnsOf(chunk).trades);
      return Array.from(c.ts, (_, r) => rowOf(c, r));
    },
    inputs: streamArb,
    ...(real ? { realInputs: async () => (await loadCapture(dataPath('binance-ws/usdm/btcusdt_20240808.gz'))).merged } : {}),
    numRuns: 60,
  });
}

describe('fusion: no look-ahead', () => {
  it('appending future events never changes a past output (columnar, divergence on)', () => {
    fc.assert(
      fc.property(streamArb, fc.nat(), (evs, cut) => {
        const p = evs.length === 0 ? 0 : cut % (evs.length + 1);
        const whole = fusion(columnsOf(evs), small);
        const prefix = fusion(columnsOf(evs.slice(0, p)), small);
        for (let r = 0; r < p; r++) expect(rowOf(prefix, r)).toEqual(rowOf(whole, r));
      }),
      { numRuns: 150 },
    );
  });
});

contractFor('small windows, divergence on', small);
contractFor('robust z, OFI divergence, all prints', { ...small, zscore: { window: { ms: 3000 }, minPeriods: 4, robust: true }, prints: 'all', divergence: { sampleMs: 300, flow: 'ofi', left: 2, right: 1 } });
contractFor('defaults, real capture', {}, true);

describe('fusion on a real capture (BTCUSDT USD-M, 2024-08-08)', () => {
  it('its divergences are those of the divergence detector on independently sampled 1-second points', async () => {
    const { merged } = await loadCapture(dataPath('binance-ws/usdm/btcusdt_20240808.gz'));
    const seen: Divergence[] = [];
    const f = new FeatureFusion();
    f.onDivergence = (d) => seen.push(d);
    let ready = 0;
    let nonNeutral = 0;
    for (const e of merged) {
      const r = f.update(e);
      if (r) {
        ready++;
        if (r.fusion.side !== 'neutral') nonNeutral++;
        expect(r.fusion.consistency).toBeGreaterThanOrEqual(0);
        expect(r.fusion.consistency).toBeLessThanOrEqual(1);
      }
    }
    expect(ready, 'warm after the first minute or so').toBeGreaterThan(merged.length / 2);
    expect(nonNeutral, 'some readings pass ±1').toBeGreaterThan(0);
    // independent sampling: at the first event of each new second, the last mid and the CVD so far
    const ts: number[] = [];
    const price: number[] = [];
    const flow: number[] = [];
    let end = NaN;
    let mid = NaN;
    let cvd = 0;
    for (const e of merged) {
      if (e.ts >= end) {
        ts.push(end);
        price.push(mid);
        flow.push(cvd);
      }
      if (!(e.ts < end)) end = (Math.floor(e.ts / 1000) + 1) * 1000;
      if (e.type === 'quote') mid = (e.bidPrice + e.askPrice) / 2;
      else if (e.printKind === 'MARKET') cvd += e.side === 'buy' ? e.qty : -e.qty;
    }
    const want = divergence({ ts: Float64Array.from(ts), price: Float64Array.from(price), flow: Float64Array.from(flow) }, { left: 5, right: 5, maxGap: 100 });
    expect(want.length).toBeGreaterThan(0);
    expect(seen.map((d) => [d.type, d.first.index, d.second.index, d.knownTs])).toEqual(want.map((d) => [d.type, d.first.index, d.second.index, d.knownTs]));
    seen.forEach((d, i) => expect(d.second.flow).toBeCloseTo(want[i]!.second.flow, 9));
  });
});
