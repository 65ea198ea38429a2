#!/usr/bin/env node
// bench/simulator: events per second through the TradeSimulator alone, on the real BTCUSDT
// USD-M capture (../shared/data: 6,552 depth diffs and snapshot + 66,089 bookTicker + 21,313
// trades) repeated back to back with times and update ids shifted (each copy reconnects: its
// first diffs wait for its snapshot), fed the way a driver feeds it: one reused scratch event per
// kind, fields copied in from the decoded events. Two mixes: bookTicker + trades (the features
// bench's input, 87,402 events a copy) and all three streams (93,954). Timed, in the same run:
//   (0) the feeding loop alone (scratch copies, no simulator): the floor;
//   (a) the simulator with no order open;
//   (b) with 4 resting orders 50 and 60 ticks (5–6 bps) from the touch, 2 bids and 2 asks,
//       re-placed when filled, so every event of the symbol goes through the matching path;
//   (c) with 2 post-only orders re-quoted at the touch every second and canceled after 3 s (they
//       fill: the matching, queue, fill and accounting paths all run).
// Heap is printed before and after (a) to show no per-event allocation.
//
//   npm run build && node --expose-gc bench/simulator.mjs [--copies 100] [--reps 3]
//
// The simulator's source is bundled on the fly with esbuild (bench/out/sim.mjs), so this runs
// whether or not the package entry exports it. Prints; asserts nothing.
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values: args } = parseArgs({ options: { copies: { type: 'string', default: '100' }, reps: { type: 'string', default: '3' } } });
const copies = Number(args.copies);
const reps = Number(args.reps);

const out = join(root, 'bench/out/sim.mjs');
await build({ entryPoints: [join(root, 'src/backtest/sim/index.ts')], bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'error' });
const { TradeSimulator, ConstantLatency, MakerTakerFees, BookWalkFill, RiskAverseQueue, MarkPriceFunding } = await import(out);
const { readCapture } = await import(join(root, 'dist/io/index.js'));
const { batchToEvents, EVENT_KINDS } = await import(join(root, 'dist/index.js'));

const file = resolve(root, '../shared/data/binance-ws/usdm/btcusdt_20240808.gz');
const events = [];
for await (const { kind, batch } of readCapture(file)) for (const e of batchToEvents(kind, batch)) events.push(e);
const rank = (e) => EVENT_KINDS.indexOf(e.type);
events.sort((a, b) => a.ts - b.ts || rank(a) - rank(b));
const span = events.at(-1).ts - events[0].ts + 1000;
let minU = Infinity;
let maxU = -Infinity;
for (const e of events) if (e.type === 'depth') {
  if (e.lastUpdateId > maxU) maxU = e.lastUpdateId;
  if (e.lastUpdateId < minU) minU = e.lastUpdateId;
}
const uSpan = maxU - minU + 1;
const withDepth = events;
const noDepth = events.filter((e) => e.type !== 'depth');
let stream = noDepth;
let N = stream.length * copies;

const scratch = {
  quote: { type: 'quote', symbol: '', ts: 0, recvTs: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: 0 },
  trade: { type: 'trade', symbol: '', ts: 0, recvTs: 0, price: 0, qty: 0, side: 'buy', id: 0, firstId: 0, lastId: 0, printKind: 'MARKET' },
  depth: { type: 'depth', symbol: '', ts: 0, recvTs: 0, isSnapshot: false, firstUpdateId: 0, lastUpdateId: 0, prevUpdateId: 0, bidPrices: [], bidQtys: [], askPrices: [], askQtys: [] },
};

function newSim() {
  return new TradeSimulator(
    { latency: new ConstantLatency(10), fees: new MakerTakerFees(), fill: new BookWalkFill(), queue: new RiskAverseQueue(), funding: new MarkPriceFunding() },
    { startingCash: 10_000 },
  );
}

/** One pass over all copies; `sim` null = the feeding loop alone; `strategy(sim, quote, now)` after each quote. */
function pass(sim, strategy) {
  let sink = 0;
  const events = stream;
  for (let c = 0; c < copies; c++) {
    const shift = c * span;
    const uShift = c * uSpan;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.type === 'quote') {
        const q = scratch.quote;
        q.symbol = e.symbol; q.ts = e.ts + shift; q.recvTs = e.recvTs + shift; q.bidPrice = e.bidPrice; q.bidQty = e.bidQty; q.askPrice = e.askPrice; q.askQty = e.askQty; q.updateId = e.updateId;
        if (sim) {
          sim.onQuote(q);
          if (strategy) strategy(sim, q);
        } else sink += q.bidPrice;
      } else if (e.type === 'trade') {
        const t = scratch.trade;
        t.symbol = e.symbol; t.ts = e.ts + shift; t.recvTs = e.recvTs + shift; t.price = e.price; t.qty = e.qty; t.side = e.side; t.id = e.id; t.printKind = e.printKind;
        if (sim) sim.onTrade(t);
        else sink += t.price;
      } else if (e.type === 'depth') {
        const d = scratch.depth;
        d.symbol = e.symbol; d.ts = e.ts + shift; d.recvTs = e.recvTs + shift; d.isSnapshot = e.isSnapshot; d.firstUpdateId = e.firstUpdateId + uShift; d.lastUpdateId = e.lastUpdateId + uShift; d.prevUpdateId = e.prevUpdateId + uShift;
        d.bidPrices = e.bidPrices; d.bidQtys = e.bidQtys; d.askPrices = e.askPrices; d.askQtys = e.askQtys;
        if (sim) sim.onDepth(d);
        else sink += d.lastUpdateId;
      }
    }
  }
  return sink;
}

/** 4 orders 50 and 60 ticks away, re-placed when the market reaches them (looked at only after a fill, so the strategy's own cost stays out of the timing). */
let seenFills = -1;
function farOrders(sim, q) {
  if (sim.fills.length === seenFills) return;
  seenFills = sim.fills.length;
  if (sim.openOrders().length >= 4) return;
  const now = q.ts + 5;
  for (const k of [50, 60]) {
    sim.submit({ symbol: q.symbol, side: 'buy', type: 'limit', price: q.bidPrice - k * 0.1, qty: 0.01, timeInForce: 'GTX' }, now);
    sim.submit({ symbol: q.symbol, side: 'sell', type: 'limit', price: q.askPrice + k * 0.1, qty: 0.01, timeInForce: 'GTX' }, now);
  }
}

let lastQuote = -Infinity;
/** Post-only at the touch every second, canceled after 3 s. */
function touchOrders(sim, q) {
  const now = q.ts + 5;
  if (now - lastQuote < 1000) return;
  lastQuote = now;
  const open = sim.openOrders(q.symbol);
  for (const o of open) if (now - o.submitTs > 3000) sim.cancel(o.id, now);
  if (!open.some((o) => o.side === 'buy')) sim.submit({ symbol: q.symbol, side: 'buy', type: 'limit', price: q.bidPrice, qty: 0.01, timeInForce: 'GTX' }, now);
  if (!open.some((o) => o.side === 'sell')) sim.submit({ symbol: q.symbol, side: 'sell', type: 'limit', price: q.askPrice, qty: 0.01, timeInForce: 'GTX' }, now);
}

function time(label, fn) {
  let best = Infinity;
  let info = '';
  fn(); // warm-up: compiled code, not the JIT, is what a long run spends its time in
  for (let r = 0; r < reps; r++) {
    globalThis.gc?.();
    const t0 = process.hrtime.bigint();
    info = fn();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (s < best) best = s;
  }
  console.log(`${label.padEnd(52)} ${(N / best / 1e6).toFixed(2).padStart(7)} M events/s  (${best.toFixed(3)} s for ${(N / 1e6).toFixed(2)} M)${info ? '  ' + info : ''}`);
  return best;
}

for (const [name, evs] of [['bookTicker + trades', noDepth], ['depth + bookTicker + trades', withDepth]]) {
stream = evs;
N = stream.length * copies;
console.log(`\nBTCUSDT 2024-08-08, ${name}: ${evs.length} events × ${copies} copies = ${(N / 1e6).toFixed(2)} M events (best of ${reps}, after a warm-up pass)`);
const floor = time('(0) feeding loop alone', () => (pass(null), ''));
let heap = '';
const a = time('(a) simulator, no order open', () => {
  const sim = newSim();
  globalThis.gc?.();
  const h0 = process.memoryUsage().heapUsed;
  pass(sim, null);
  const h1 = process.memoryUsage().heapUsed;
  heap = `heap ${(h0 / 1e6).toFixed(1)} → ${(h1 / 1e6).toFixed(1)} MB`;
  return heap;
});
const b = time('(b) 4 resting orders 5–6 bps from the touch', () => {
  const sim = newSim();
  seenFills = -1;
  pass(sim, farOrders);
  return `${sim.orders.length} orders, ${sim.fills.length} fills`;
});
const c = time('(c) post-only at the touch, re-quoted each second', () => {
  const sim = newSim();
  lastQuote = -Infinity;
  pass(sim, touchOrders);
  return `${sim.orders.length} orders, ${sim.fills.length} fills`;
});
const per = (s) => ((s - floor) / N) * 1e9;
console.log(`simulator's own cost per event: (a) ${per(a).toFixed(1)} ns, (b) ${per(b).toFixed(1)} ns, (c) ${per(c).toFixed(1)} ns (each less the feeding loop)`);
}
