/**
 * Quick throughput measurement of the CVD, bars, divergence and fusion kernels, single thread,
 * on the real BTCUSDT USD-M capture (bookTicker + trade) tiled up to N events (each tile shifted
 * in time and in update id). Not a benchmark suite and not a test: numbers to check the hot
 * paths against the aim of issue 3 (the whole feature set at least 3× a pandas implementation).
 *
 *   npx esbuild scripts/measure-features.ts --bundle --platform=node --format=esm \
 *     --outfile=scripts/.out/measure-features.mjs && node --expose-gc scripts/.out/measure-features.mjs
 */
import { readCapture } from '../src/io/capture.js';
import { tradeColumns, quoteColumns, type QuoteColumns, type TradeColumns } from '../src/microstructure/columns.js';
import { cvd } from '../src/microstructure/cvd.js';
import { bars } from '../src/microstructure/bars.js';
import { divergence } from '../src/microstructure/divergence.js';
import { FeatureFusion, fusion, newFusionColumns } from '../src/microstructure/fusion.js';
import { ofi } from '../src/microstructure/ofi.js';
import { rollingZScore } from '../src/microstructure/rolling.js';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const N = Number(process.env.N ?? 10_000_000);
const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.resolve(here, '../../../shared/data/binance-ws/usdm/btcusdt_20240808.gz');

function concat(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const qs: QuoteColumns[] = [];
const ts: Required<TradeColumns>[] = [];
for await (const { kind, batch } of readCapture(file)) {
  if (kind === 'quote') qs.push(quoteColumns(batch));
  else if (kind === 'trade') ts.push(tradeColumns(batch));
}
const q0 = { ts: concat(qs.map((c) => c.ts)), bidPrice: concat(qs.map((c) => c.bidPrice)), bidQty: concat(qs.map((c) => c.bidQty)), askPrice: concat(qs.map((c) => c.askPrice)), askQty: concat(qs.map((c) => c.askQty)), updateId: concat(qs.map((c) => c.updateId!)) };
const t0 = { ts: concat(ts.map((c) => c.ts)), price: concat(ts.map((c) => c.price)), qty: concat(ts.map((c) => c.qty)), side: Int8Array.from(ts.flatMap((c) => Array.from(c.side))), market: Uint8Array.from(ts.flatMap((c) => Array.from(c.market))) };
const nq0 = q0.ts.length;
const nt0 = t0.ts.length;
const span = Math.max(q0.ts[nq0 - 1]!, t0.ts[nt0 - 1]!) - Math.min(q0.ts[0]!, t0.ts[0]!) + 1;
const tiles = Math.ceil(N / (nq0 + nt0));
const nq = nq0 * tiles;
const nt = nt0 * tiles;
const quotes = { ts: new Float64Array(nq), bidPrice: new Float64Array(nq), bidQty: new Float64Array(nq), askPrice: new Float64Array(nq), askQty: new Float64Array(nq), updateId: new Float64Array(nq) };
const trades = { ts: new Float64Array(nt), price: new Float64Array(nt), qty: new Float64Array(nt), side: new Int8Array(nt), market: new Uint8Array(nt) };
for (let k = 0; k < tiles; k++) {
  for (let i = 0; i < nq0; i++) {
    const r = k * nq0 + i;
    quotes.ts[r] = q0.ts[i]! + k * span;
    quotes.bidPrice[r] = q0.bidPrice[i]!;
    quotes.bidQty[r] = q0.bidQty[i]!;
    quotes.askPrice[r] = q0.askPrice[i]!;
    quotes.askQty[r] = q0.askQty[i]!;
    quotes.updateId[r] = q0.updateId[i]! + k * 1e10;
  }
  for (let i = 0; i < nt0; i++) {
    const r = k * nt0 + i;
    trades.ts[r] = t0.ts[i]! + k * span;
    trades.price[r] = t0.price[i]!;
    trades.qty[r] = t0.qty[i]!;
    trades.side[r] = t0.side[i]!;
    trades.market[r] = t0.market[i]!;
  }
}
const events = nq + nt;

/**
 * Best of `reps` runs after a warm-up, in CPU time of this process (user + system), which other
 * load on the machine disturbs far less than wall time; GC helper threads count in it, so it errs
 * on the slow side. Wall time of the same best run is printed beside it.
 */
const ONLY = process.env.ONLY;
function time(label: string, n: number, fn: () => void, reps = 3): void {
  if (ONLY && !label.startsWith(ONLY)) return;
  fn(); // warm the JIT
  let best = Infinity;
  let wall = Infinity;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const a = performance.now();
    fn();
    const w = performance.now() - a;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000;
    if (cpu < best) {
      best = cpu;
      wall = w;
    }
  }
  console.log(`${label.padEnd(68)} cpu ${(best / 1000).toFixed(3)} s  ${(((n / best) * 1000) / 1e6).toFixed(1).padStart(5)} M events/s  (wall ${(wall / 1000).toFixed(3)} s)`);
}

console.log(`${events.toLocaleString()} events (${nq.toLocaleString()} quotes + ${nt.toLocaleString()} trades: the real capture tiled ${tiles}×), node ${process.version}`);
const cvdOut = { base: new Float64Array(nt), quote: new Float64Array(nt) };
time('cvd columnar, no reset (trades)', nt, () => void cvd(trades, {}, cvdOut));
time('cvd columnar, per session 00/08/16 (trades)', nt, () => void cvd(trades, { reset: { sessions: ['00:00', '08:00', '16:00'] } }, cvdOut));
time('cvd columnar, rolling 60 s (trades)', nt, () => void cvd(trades, { reset: { ms: 60_000 } }, cvdOut));
let nBars = 0;
time('bars columnar, 1 s (quotes + trades)', events, () => void (nBars = bars({ quotes, trades }, { bar: { ms: 1000 } }).start.length));
time('bars columnar, 100 ms, empty bars emitted', events, () => void bars({ quotes, trades }, { bar: { ms: 100 }, empty: 'emit' }));
const b = bars({ quotes, trades }, { bar: { ms: 1000 } });
time(`divergence columnar over ${nBars.toLocaleString()} 1 s bars`, nBars, () => void divergence({ ts: b.end, price: b.close, flow: b.cvd }));
const flow = new Float64Array(nq);
const z = new Float64Array(nq);
time('reference: ofi per event + rollingZScore(1000 events) (quotes)', nq, () => {
  ofi(quotes, {}, flow);
  rollingZScore(flow, { window: { events: 1000 } }, z);
});
let fp = '';
const fout = newFusionColumns(events);
time('fusion columnar, defaults: OFI, CVD, 2 z-scores, fusion, divergence', events, () => void (fp = fusion({ quotes, trades }, {}, fout).fp));
time('fusion columnar, no divergence', events, () => void fusion({ quotes, trades }, { divergence: false }, fout));
time('fusion columnar, fresh output columns each run (first-touch cost)', events, () => void fusion({ quotes, trades }));
const CH = 65_536;
const cout = newFusionColumns(2 * CH);
time(`fusion columnar in chunks of ${CH.toLocaleString()} quotes + their trades`, events, () => {
  const f = new FeatureFusion();
  for (let i = 0, j = 0; i < nq || j < nt; ) {
    const i1 = Math.min(nq, i + CH);
    const edge = i1 < nq ? quotes.ts[i1]! : Infinity;
    let j1 = j;
    while (j1 < nt && trades.ts[j1]! < edge) j1++;
    const qv = { ts: quotes.ts.subarray(i, i1), bidPrice: quotes.bidPrice.subarray(i, i1), bidQty: quotes.bidQty.subarray(i, i1), askPrice: quotes.askPrice.subarray(i, i1), askQty: quotes.askQty.subarray(i, i1), updateId: quotes.updateId.subarray(i, i1) };
    const tv = { ts: trades.ts.subarray(j, j1), price: trades.price.subarray(j, j1), qty: trades.qty.subarray(j, j1), side: trades.side.subarray(j, j1), market: trades.market.subarray(j, j1) };
    if (qv.ts.length + tv.ts.length > cout.ts.length) throw new Error('chunk larger than its output');
    f.updateColumns(qv, tv, cout);
    i = i1;
    j = j1;
  }
});
if (process.env.ROBUST) time('fusion columnar, robust (median/MAD) z-scores', events, () => void fusion({ quotes, trades }, { zscore: { robust: true } }), 1);

const gc = (globalThis as { gc?: () => void }).gc;
time('fusion streaming (one reused scratch event per kind)', events, () => {
  const f = new FeatureFusion();
  const qe = { type: 'quote' as const, ts: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: 0 };
  const te = { type: 'trade' as const, ts: 0, price: 0, qty: 0, side: 'buy' as 'buy' | 'sell', printKind: 'MARKET' };
  let i = 0;
  let j = 0;
  let acc = 0;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  while (i < nq || j < nt) {
    if (j >= nt || (i < nq && quotes.ts[i]! <= trades.ts[j]!)) {
      qe.ts = quotes.ts[i]!;
      qe.bidPrice = quotes.bidPrice[i]!;
      qe.bidQty = quotes.bidQty[i]!;
      qe.askPrice = quotes.askPrice[i]!;
      qe.askQty = quotes.askQty[i]!;
      qe.updateId = quotes.updateId[i]!;
      i++;
      const r = f.update(qe);
      if (r) acc += r.fusion.score;
    } else {
      te.ts = trades.ts[j]!;
      te.price = trades.price[j]!;
      te.qty = trades.qty[j]!;
      te.side = trades.side[j]! > 0 ? 'buy' : 'sell';
      te.printKind = trades.market[j] ? 'MARKET' : 'INSURANCE_FUND';
      j++;
      const r = f.update(te);
      if (r) acc += r.fusion.score;
    }
  }
  const heap1 = process.memoryUsage().heapUsed;
  if (gc) console.log(`  heap before/after one streaming run: ${(heap0 / 2 ** 20).toFixed(1)} / ${(heap1 / 2 ** 20).toFixed(1)} MiB (no gc in between)`);
  if (acc === 42) console.log(acc);
}, 1);
console.log(`fp of the default configuration: ${fp}`);
