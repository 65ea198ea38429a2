/**
 * Quick throughput measurement of best-level OFI + rolling z-score, single thread, on the real
 * BTCUSDT USD-M bookTicker capture tiled up to 10 million updates (each tile shifted in time).
 * Not a benchmark suite and not a test: a number to check the hot path against its aim.
 *
 *   npx esbuild scripts/measure-ofi-zscore.ts --bundle --platform=node --format=esm \
 *     --outfile=scripts/.out/measure-ofi-zscore.mjs && node scripts/.out/measure-ofi-zscore.mjs
 *   (the output sits two folders below the repository so the test helpers find ../shared/data)
 */
import { ofi, OfiCalculator } from '../src/microstructure/ofi.js';
import { rollingZScore, RollingZScore, RollingMomentsState } from '../src/microstructure/rolling.js';
import { readBookTickerQuotes } from '../test/helpers/binance-quotes.js';

const N = Number(process.env.N ?? 10_000_000);
const src = readBookTickerQuotes('binance-ws/usdm/btcusdt_20240808.gz');
const span = src.ts[src.length - 1]! - src.ts[0]! + 1;
const cols = {
  bidPrice: new Float64Array(N),
  bidQty: new Float64Array(N),
  askPrice: new Float64Array(N),
  askQty: new Float64Array(N),
  ts: new Float64Array(N),
  updateId: new Float64Array(N),
};
for (let i = 0; i < N; i++) {
  const tile = Math.floor(i / src.length);
  const j = i % src.length;
  cols.bidPrice[i] = src.bidPrice[j]!;
  cols.bidQty[i] = src.bidQty[j]!;
  cols.askPrice[i] = src.askPrice[j]!;
  cols.askQty[i] = src.askQty[j]!;
  cols.ts[i] = src.ts[j]! + tile * span;
  cols.updateId[i] = src.updateId[j]! + tile * 1e10;
}
const flow = new Float64Array(N);
const z = new Float64Array(N);

function time(label: string, fn: () => void, reps = 5): void {
  fn(); // warm the JIT
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`${label.padEnd(58)} ${(best / 1000).toFixed(3)} s  ${((N / best) * 1000 / 1e6).toFixed(1)} M events/s`);
}

console.log(`${N.toLocaleString()} quote updates (real BTCUSDT bookTicker, ${src.length.toLocaleString()} rows tiled), node ${process.version}`);
time('columnar: ofi per event + rollingZScore(1000 events)', () => {
  ofi(cols, {}, flow);
  rollingZScore(flow, { window: { events: 1000 } }, z);
});
time('columnar: ofi over 1 s (rolling) + rollingZScore(1000 events)', () => {
  ofi(cols, { sum: { ms: 1000 } }, flow);
  rollingZScore(flow, { window: { events: 1000 } }, z);
});
time('columnar: ofi per event + rollingZScore(5 s)', () => {
  ofi(cols, {}, flow);
  rollingZScore(flow, { window: { ms: 5000 } }, z, cols.ts);
});
time('streaming: OfiCalculator + RollingZScore(1000 events)', () => {
  const o = new OfiCalculator();
  const zs = new RollingZScore({ window: { events: 1000 } });
  const quote = { bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, ts: 0, updateId: 0 };
  let acc = 0;
  for (let i = 0; i < N; i++) {
    quote.bidPrice = cols.bidPrice[i]!;
    quote.bidQty = cols.bidQty[i]!;
    quote.askPrice = cols.askPrice[i]!;
    quote.askQty = cols.askQty[i]!;
    quote.ts = cols.ts[i]!;
    quote.updateId = cols.updateId[i]!;
    const e = o.update(quote);
    if (e !== null) acc += zs.update(e) ?? 0;
  }
  if (acc === 42) console.log(acc);
});
void RollingMomentsState;
const heap = process.memoryUsage().heapUsed;
console.log(`heap used after the runs: ${(heap / 1e6).toFixed(1)} MB`);
