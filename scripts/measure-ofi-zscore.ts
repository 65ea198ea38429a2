/**
 * Quick throughput measurement of best-level OFI + rolling z-score, single thread, on the real
 * BTCUSDT USD-M bookTicker capture tiled up to 10 million updates (each tile shifted in time).
 * Not a benchmark suite and not a test: a number to check the hot path against its aim.
 *
 *   npx esbuild scripts/measure-ofi-zscore.ts --bundle --platform=node --format=esm \
 *     --outfile=scripts/.out/measure-ofi-zscore.mjs && node scripts/.out/measure-ofi-zscore.mjs
 *   (the output sits two folders below the repository so the test helpers find ../shared/data)
 */
import os from 'node:os';
import { ofi, OfiCalculator } from '../src/microstructure/ofi.js';
import { rollingZScore, RollingZScore, RollingMomentsState } from '../src/microstructure/rolling.js';
import { LocalOrderBook, topLevels } from '../src/microstructure/book.js';
import { MultiLevelOfiCalculator } from '../src/microstructure/ofi-multilevel.js';
import { readBookTickerQuotes } from '../test/helpers/binance-quotes.js';
import { readDepthAndTickers, type DepthMessage } from '../test/helpers/binance-depth.js';

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

/**
 * Best of `reps` runs, in wall time and in CPU time of this process: on a shared machine the
 * scheduler takes the CPU away at times, and CPU time tells what the code itself costs.
 */
function time(label: string, fn: () => void, reps = 5): void {
  fn(); // warm the JIT
  let best = Infinity;
  let bestCpu = Infinity;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
    const c = process.cpuUsage(c0);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1000);
  }
  const rate = (ms: number) => ((N / ms) * 1000) / 1e6;
  console.log(`${label.padEnd(62)} wall ${rate(best).toFixed(1).padStart(5)} M/s   cpu ${rate(bestCpu).toFixed(1).padStart(5)} M/s`);
}

console.log(`${N.toLocaleString()} quote updates (real BTCUSDT bookTicker, ${src.length.toLocaleString()} rows tiled), node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs`);
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

// The local book: the capture's depth diffs (tens of levels each) replayed, top 10 extracted and
// fed to 10-level OFI after every diff.
const depth = readDepthAndTickers('binance-ws/usdm/btcusdt_20240808.gz').filter((m): m is DepthMessage => m.kind !== 'ticker');
const snap = depth.find((m) => m.kind === 'snapshot')!;
const diffs = depth.filter((m) => m.kind === 'diff' && m.lastUpdateId >= snap.lastUpdateId);
const top = topLevels(10);
const reps = 50;
let levelUpdates = 0;
for (const d of diffs) levelUpdates += d.bidPrices.length + d.askPrices.length;
let bestMs = Infinity;
for (let r = 0; r < 5; r++) {
  const t0 = performance.now();
  for (let k = 0; k < reps; k++) {
    const book = new LocalOrderBook();
    const ml = new MultiLevelOfiCalculator({ levels: 10 });
    book.applySnapshot(snap);
    for (const d of diffs) {
      if (book.applyDiff(d) === 'applied') {
        book.topK(10, top);
        ml.update(top);
      }
    }
  }
  bestMs = Math.min(bestMs, performance.now() - t0);
}
const nd = diffs.length * reps;
console.log(
  `local book + top 10 + 10-level OFI: ${((nd / bestMs) * 1000).toFixed(0)} diffs/s, ${(((levelUpdates * reps) / bestMs) * 1000 / 1e6).toFixed(1)} M level updates/s (${(levelUpdates / diffs.length).toFixed(0)} levels a diff)`,
);
const heap = process.memoryUsage().heapUsed;
console.log(`heap used after the runs: ${(heap / 1e6).toFixed(1)} MB`);
