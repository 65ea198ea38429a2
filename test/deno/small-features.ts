/**
 * A small feature computation over real quotes and trades — OFI, its rolling z-score, CVD, and
 * the fusion (both z-scores, score, side, consistency, divergence) in its columnar and its
 * streaming face — written once and run twice: by the Deno script `run-features.mjs` on the
 * built package, and by the Deno test in Node on the sources, which compares the two.
 * It uses the library alone (no runtime API), so it runs unchanged in either runtime.
 */
import type * as Lib from '../../src/index.js';

/** Real events as plain JSON columns (`side` +1/−1, `market` 1/0). */
export interface SmallInput {
  quotes: { ts: number[]; bidPrice: number[]; bidQty: number[]; askPrice: number[]; askQty: number[]; updateId: number[] };
  trades: { ts: number[]; price: number[]; qty: number[]; side: number[]; market: number[] };
}

/** Every output as plain arrays (`NaN` becomes `null` in JSON). */
export interface SmallOutput {
  ofi: number[];
  z: number[];
  cvdBase: number[];
  cvdQuote: number[];
  zOfi: number[];
  zCvd: number[];
  score: number[];
  side: number[];
  consistency: number[];
  divergenceKnownTs: number[];
  streamScore: number[];
  fp: string;
}

/** Options small enough for a few hundred events to warm up and to find pivots in. */
const FUSION = { zscore: { window: { ms: 5_000 }, minPeriods: 10 }, divergence: { sampleMs: 100, left: 2, right: 2 } } as const;

export function smallFeatures(lib: typeof Lib, d: SmallInput): SmallOutput {
  const q = {
    ts: Float64Array.from(d.quotes.ts),
    bidPrice: Float64Array.from(d.quotes.bidPrice),
    bidQty: Float64Array.from(d.quotes.bidQty),
    askPrice: Float64Array.from(d.quotes.askPrice),
    askQty: Float64Array.from(d.quotes.askQty),
    updateId: Float64Array.from(d.quotes.updateId),
  };
  const t = {
    ts: Float64Array.from(d.trades.ts),
    price: Float64Array.from(d.trades.price),
    qty: Float64Array.from(d.trades.qty),
    side: Int8Array.from(d.trades.side),
    market: Uint8Array.from(d.trades.market),
  };
  const flow = lib.ofi(q, {});
  const z = lib.rollingZScore(flow, { window: { events: 50 } });
  const c = lib.cvd(t, {});
  const f = lib.fusion({ quotes: q, trades: t }, FUSION);
  // the streaming face over the same events merged by time (a quote first on ties)
  const s = new lib.FeatureFusion(FUSION);
  const streamScore: number[] = [];
  for (let i = 0, j = 0; i < q.ts.length || j < t.ts.length; ) {
    const r =
      j >= t.ts.length || (i < q.ts.length && q.ts[i]! <= t.ts[j]!)
        ? s.update({ type: 'quote', ts: q.ts[i]!, bidPrice: q.bidPrice[i]!, bidQty: q.bidQty[i]!, askPrice: q.askPrice[i]!, askQty: q.askQty[i]!, updateId: q.updateId[i++]! })
        : s.update({ type: 'trade', ts: t.ts[j]!, price: t.price[j]!, qty: t.qty[j]!, side: t.side[j]! > 0 ? 'buy' : 'sell', printKind: t.market[j++] ? 'MARKET' : 'INSURANCE_FUND' });
    streamScore.push(r === null ? NaN : r.fusion.score);
  }
  return {
    ofi: Array.from(flow),
    z: Array.from(z),
    cvdBase: Array.from(c.base),
    cvdQuote: Array.from(c.quote),
    zOfi: Array.from(f.z_ofi),
    zCvd: Array.from(f.z_cvd),
    score: Array.from(f.score),
    side: Array.from(f.side),
    consistency: Array.from(f.consistency),
    divergenceKnownTs: Array.from(f.divergence, (k) => (k >= 0 ? f.divergences[k]!.knownTs : NaN)),
    streamScore,
    fp: f.fp,
  };
}
