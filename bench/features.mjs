#!/usr/bin/env node
// bench/features: events per second of the microstructure calculators on a real capture scaled
// up, single thread, beside a numpy/pandas implementation of the same computation run by this
// script on the same data (bench/features_pandas.py), with the outputs of the two compared, and
// the heap across a streaming and a columnar run (no allocation per event: it must stay flat).
//
//   npm run bench:features          (= npm run build && node --expose-gc bench/features.mjs)
//   node --expose-gc bench/features.mjs [--copies 152] [--window 1000] [--reps 3] [--no-pandas]
//
// Input: the bookTicker and trade messages of usdm/btcusdt_20240808.gz from ../shared/data
// (66,089 quotes + 21,313 trades), repeated back to back with times and ids shifted
// (bench/lib/scale.mjs) and read with the library's capture reader: ×152 ≈ 10.0 million quotes
// and 13.3 million events. What is timed:
//   (a) best-level OFI per quote + rolling z-score over the last 1000 flows (ofi + rollingZScore);
//   (b) the whole feature set: fusion() with its defaults — OFI and CVD over 1 s, their two
//       60 s z-scores, the fused score, side, consistency, and divergence on 1 s samples.
// The baseline is Debian's python3-pandas, run as /usr/bin/python3 (a pyenv or /usr/local
// python3 earlier on PATH usually has no pandas); without it this script runs our side alone.
// Both sides get the input columns already in memory (pandas loads the .npy files this script
// writes; loading is not timed on either side). Prints ratios; asserts nothing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import { readNpy, writeNpy } from './lib/npy.mjs';
import { scaleCapture } from './lib/scale.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    copies: { type: 'string', default: '152' },
    window: { type: 'string', default: '1000' },
    reps: { type: 'string', default: '3' },
    stride: { type: 'string', default: '7' },
    python: { type: 'string', default: '/usr/bin/python3' },
    'no-pandas': { type: 'boolean', default: false },
    data: { type: 'string', default: resolve(root, '../shared/data/binance-ws/usdm/btcusdt_20240808.gz') },
    out: { type: 'string', default: join(here, 'out') },
  },
});
const copies = Number(args.copies);
const W = Number(args.window);
const reps = Number(args.reps);
const stride = Number(args.stride);

const lib = await import(join(root, 'dist/index.js')).catch(() => null);
const io = await import(join(root, 'dist/io/index.js')).catch(() => null);
if (!lib || !io) {
  console.error('bench/features: build first (npm run build)');
  process.exit(2);
}
const gc = globalThis.gc;
if (!gc) console.error('bench/features: run with node --expose-gc for the heap figures after collection');

// ---- input: the real capture's quotes and trades, scaled up, read with the capture reader ----
mkdirSync(args.out, { recursive: true });
const capture = join(args.out, `btcusdt_20240808_bookTicker+trade_x${copies}.gz`);
process.stderr.write(`scaling ${args.data} (bookTicker + trade) ×${copies} …\n`);
await scaleCapture(args.data, capture, copies, { keep: /"stream":"[^"]*@(?:bookTicker|trade)"/ });
process.stderr.write(`reading ${capture} …\n`);
const readT0 = performance.now();
const qParts = [];
const tParts = [];
for await (const { kind, batch } of io.readCapture(capture)) {
  if (kind === 'quote') qParts.push(lib.quoteColumns(batch));
  else if (kind === 'trade') tParts.push(lib.tradeColumns(batch));
}
function concat(parts, key) {
  const n = parts.reduce((s, p) => s + p[key].length, 0);
  const out = new parts[0][key].constructor(n);
  let at = 0;
  for (const p of parts) {
    out.set(p[key], at);
    at += p[key].length;
  }
  return out;
}
const quotes = Object.fromEntries(['ts', 'bidPrice', 'bidQty', 'askPrice', 'askQty', 'updateId'].map((k) => [k, concat(qParts, k)]));
const trades = Object.fromEntries(['ts', 'price', 'qty', 'side', 'market'].map((k) => [k, concat(tParts, k)]));
qParts.length = tParts.length = 0;
const readMs = performance.now() - readT0;
const nq = quotes.ts.length;
const nt = trades.ts.length;
const N = nq + nt;
const facts = { tsBackQuotes: 0, tsBackTrades: 0, staleIds: 0, nonMarket: 0 };
for (let i = 1; i < nq; i++) if (quotes.ts[i] < quotes.ts[i - 1]) facts.tsBackQuotes++;
for (let i = 1; i < nt; i++) if (trades.ts[i] < trades.ts[i - 1]) facts.tsBackTrades++;
for (let i = 0, hi = -Infinity; i < nq; i++) quotes.updateId[i] <= hi ? facts.staleIds++ : (hi = quotes.updateId[i]);
for (let j = 0; j < nt; j++) if (!trades.market[j]) facts.nonMarket++;

// the same columns for pandas, as .npy (written once per input)
const npyDir = join(args.out, `features-x${copies}`);
mkdirSync(npyDir, { recursive: true });
const npyMarker = join(npyDir, 'inputs.done');
if (!existsSync(npyMarker) || statSync(npyMarker).mtimeMs < statSync(capture).mtimeMs) {
  for (const [k, a] of Object.entries(quotes)) writeNpy(join(npyDir, `quote-${k}.npy`), a);
  for (const [k, a] of Object.entries(trades)) writeNpy(join(npyDir, `trade-${k}.npy`), a);
  writeFileSync(npyMarker, `${nq} ${nt}\n`);
}

// ---- measuring tools ----
const gcCount = { minor: 0, major: 0, other: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = e.detail?.kind;
    if (kind === 1) gcCount.minor++; // scavenge
    else if (kind === 2) gcCount.major++; // mark-sweep-compact
    else gcCount.other++;
    gcCount.ms += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
const flush = () => new Promise((r) => setTimeout(r, 20)); // gc entries arrive asynchronously
const used = () => v8.getHeapStatistics().used_heap_size;
const mb = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** Heap and collections across `fn` (synchronous): collected before, GCs counted during, heap after with and without a collection. */
async function heapAcross(fn) {
  gc?.();
  await flush();
  const g0 = { ...gcCount };
  const before = used();
  const value = fn();
  const after = used();
  await flush();
  const gcs = { minor: gcCount.minor - g0.minor, major: gcCount.major - g0.major, other: gcCount.other - g0.other, ms: gcCount.ms - g0.ms };
  gc?.();
  const collected = used();
  return { before, after, collected, gcs, value };
}

/** Best wall time of `reps` runs after one warm-up run, with the CPU time of that best run. */
function best(fn) {
  fn();
  let ms = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const w = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (w < ms) {
      ms = w;
      cpu = (c.user + c.system) / 1000;
    }
  }
  return { ms, cpu };
}

const results = { node: process.version, copies, quotes: nq, trades: nt, events: N, window: W, readMs, facts, loadavg: os.loadavg()[0], cpus: os.cpus().length };

// ---- (a) OFI + rolling z-score, columnar ----
process.stderr.write('(a) ofi + rollingZScore, columnar …\n');
const flow = new Float64Array(nq);
const za = new Float64Array(nq);
const runA = () => {
  lib.ofi(quotes, {}, flow);
  lib.rollingZScore(flow, { window: { events: W } }, za);
};
const heapA = await heapAcross(() => best(runA));
results.a = { events: nq, ...heapA.value, heap: { ...heapA, value: undefined } };

// ---- (b) the whole feature set, columnar ----
process.stderr.write('(b) fusion (OFI, CVD, two z-scores, score, divergence), columnar …\n');
const fout = lib.newFusionColumns(N);
let fb = null;
const runB = () => {
  fb = lib.fusion({ quotes, trades }, {}, fout);
};
const heapB = await heapAcross(() => best(runB));
results.b = { events: N, ...heapB.value, heap: { ...heapB, value: undefined } };

// ---- streaming: one event at a time, one reused scratch event per kind ----
// The drivers feed blocks of 512 events from a function entered once per block (as a loop
// over arriving messages would be), through scratch events whose numeric fields start as
// non-integers (so V8 keeps them as raw doubles and overwrites them in place), adding up in a
// typed array: the driver itself allocates nothing, and what the heap shows is the calculators'.
const BLOCK = 512;
const SAMPLE_EVERY = 2048 * BLOCK; // ≈ 1 M events
const total = new Float64Array(1);
const pos = new Float64Array(2); // next quote, next trade
const sq = { bidPrice: NaN, bidQty: NaN, askPrice: NaN, askQty: NaN, ts: NaN, updateId: NaN };
const qe = { type: 'quote', ts: NaN, bidPrice: NaN, bidQty: NaN, askPrice: NaN, askQty: NaN, updateId: NaN };
const te = { type: 'trade', ts: NaN, price: NaN, qty: NaN, side: 'buy', printKind: 'MARKET' };
function feedOfiZ(o, zs, from, to) {
  for (let i = from; i < to; i++) {
    sq.bidPrice = quotes.bidPrice[i];
    sq.bidQty = quotes.bidQty[i];
    sq.askPrice = quotes.askPrice[i];
    sq.askQty = quotes.askQty[i];
    sq.ts = quotes.ts[i];
    sq.updateId = quotes.updateId[i];
    const e = o.update(sq);
    if (e !== null) {
      const z = zs.update(e);
      if (z !== null) total[0] += z;
    }
  }
}
function streamOfiZ(limit, samples) {
  const o = new lib.OfiCalculator();
  const zs = new lib.RollingZScore({ window: { events: W } });
  for (let a = 0; a < limit; a += BLOCK) {
    feedOfiZ(o, zs, a, Math.min(limit, a + BLOCK));
    if (samples && a % SAMPLE_EVERY === 0) samples.push(used());
  }
}
function feedFusion(f, events) {
  let i = pos[0];
  let j = pos[1];
  for (let r = 0; r < events; r++) {
    let out;
    if (j >= nt || (i < nq && quotes.ts[i] <= trades.ts[j])) {
      qe.ts = quotes.ts[i];
      qe.bidPrice = quotes.bidPrice[i];
      qe.bidQty = quotes.bidQty[i];
      qe.askPrice = quotes.askPrice[i];
      qe.askQty = quotes.askQty[i];
      qe.updateId = quotes.updateId[i];
      i++;
      out = f.update(qe);
    } else {
      te.ts = trades.ts[j];
      te.price = trades.price[j];
      te.qty = trades.qty[j];
      te.side = trades.side[j] > 0 ? 'buy' : 'sell';
      te.printKind = trades.market[j] ? 'MARKET' : 'INSURANCE_FUND';
      j++;
      out = f.update(te);
    }
    if (out !== null) total[0] += out.fusion.score;
  }
  pos[0] = i;
  pos[1] = j;
}
function streamFusion(limit, samples) {
  const f = new lib.FeatureFusion();
  pos[0] = pos[1] = 0;
  for (let a = 0; a < limit; a += BLOCK) {
    feedFusion(f, Math.min(BLOCK, limit - a));
    if (samples && a % SAMPLE_EVERY === 0) samples.push(used());
  }
}
async function streaming(label, fn, n) {
  process.stderr.write(`streaming ${label} …\n`);
  fn(Math.min(n, 1_000_000)); // warm the JIT (its code and feedback live on the heap too)
  const samples = [];
  let ms = 0;
  const h = await heapAcross(() => {
    const t0 = performance.now();
    fn(n, samples);
    ms = performance.now() - t0;
  });
  return { events: n, ms, heap: { ...h, value: undefined, samples } };
}
results.streamA = await streaming('OfiCalculator + RollingZScore', streamOfiZ, nq);
results.streamB = await streaming('FeatureFusion', streamFusion, N);

// ---- the other hot paths, ours only (no pandas counterpart here): rates to watch ----
process.stderr.write('other calculators …\n');
const others = [];
function other(label, n, fn) {
  const t = best(fn);
  others.push({ label, events: n, ...t });
}
const cvdOut = { base: new Float64Array(nt), quote: new Float64Array(nt) };
other('cvd, no reset (trades)', nt, () => lib.cvd(trades, {}, cvdOut));
other('cvd, per session 00/08/16 UTC (trades)', nt, () => lib.cvd(trades, { reset: { sessions: ['00:00', '08:00', '16:00'] } }, cvdOut));
other('cvd, rolling 60 s (trades)', nt, () => lib.cvd(trades, { reset: { ms: 60_000 } }, cvdOut));
const flow1s = new Float64Array(nq); // not `flow`/`za`: those hold (a)'s outputs for the comparison
const z5s = new Float64Array(nq);
other('ofi over 1 s + z-score over 5 s (quotes)', nq, () => {
  lib.ofi(quotes, { sum: { ms: 1000 } }, flow1s);
  lib.rollingZScore(flow1s, { window: { ms: 5000 } }, z5s, quotes.ts);
});
other('bars, 1 s (quotes + trades)', N, () => lib.bars({ quotes, trades }, { bar: { ms: 1000 } }));
const CH = 65_536;
const cout = lib.newFusionColumns(2 * CH);
other(`fusion in chunks of ${CH.toLocaleString()} quotes + their trades`, N, () => {
  const f = new lib.FeatureFusion();
  const view = (c, a, b) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.subarray(a, b)]));
  for (let i = 0, j = 0; i < nq || j < nt; ) {
    const i1 = Math.min(nq, i + CH);
    const edge = i1 < nq ? quotes.ts[i1] : Infinity;
    let j1 = j;
    while (j1 < nt && trades.ts[j1] < edge) j1++;
    f.updateColumns(view(quotes, i, i1), view(trades, j, j1), cout);
    i = i1;
    j = j1;
  }
});
// the local order book: the real capture's depth diffs (tens of levels each) replayed from its
// snapshot, the top 10 levels read and fed to 10-level OFI after every diff
const readDepth = async (file) => {
  const depth = [];
  for await (const { kind, batch } of io.readCapture(file)) if (kind === 'depth') for (const e of lib.batchToEvents('depth', batch)) depth.push(e);
  const snap = depth.find((d) => d.isSnapshot);
  return { snap, diffs: depth.filter((d) => !d.isSnapshot && d.lastUpdateId >= snap.lastUpdateId) };
};
const { snap, diffs } = await readDepth(args.data);
const levelsPerDiff = diffs.reduce((s, d) => s + d.bidPrices.length + d.askPrices.length, 0) / diffs.length;
const BOOK_REPS = 10;
const top = lib.topLevels(10);
other(`local book + top 10 + 10-level OFI (diffs, ~${levelsPerDiff.toFixed(0)} levels each)`, diffs.length * BOOK_REPS, () => {
  for (let k = 0; k < BOOK_REPS; k++) {
    const book = new lib.LocalOrderBook();
    const ml = new lib.MultiLevelOfiCalculator({ levels: 10 });
    book.applySnapshot(snap);
    for (const d of diffs) {
      if (book.applyDiff(d) === 'applied') {
        book.topK(10, top);
        ml.update(top);
      }
    }
  }
});
// the book alone on the USD-M captures, one book kept across repetitions (as a run keeps its
// book; a snapshot re-syncs it), beside the least any book can do per level change: a Map per
// side with a set or delete (no order, no best, no sync rules) — the ratio is the price of order
const bookCost = [];
for (const sym of ['btcusdt', 'ethusdt']) {
  const { snap: s0, diffs: ds } = sym === 'btcusdt' ? { snap, diffs } : await readDepth(resolve(args.data, `../${sym}_20240808.gz`));
  const levels = ds.reduce((s, d) => s + d.bidPrices.length + d.askPrices.length, 0);
  const book = new lib.LocalOrderBook();
  const label = `local book alone, ${sym.toUpperCase()} (diffs, ~${(levels / ds.length).toFixed(0)} levels each)`;
  other(label, ds.length * BOOK_REPS, () => {
    for (let k = 0; k < BOOK_REPS; k++) {
      book.applySnapshot(s0);
      for (const d of ds) book.applyDiff(d);
    }
  });
  const bids = new Map();
  const asks = new Map();
  const put = (m, p, q) => {
    for (let i = 0; i < p.length; i++) q[i] === 0 ? m.delete(p[i]) : m.set(p[i], q[i]);
  };
  other(`  baseline: a Map per side, set/delete only (${sym.toUpperCase()})`, ds.length * BOOK_REPS, () => {
    for (let k = 0; k < BOOK_REPS; k++) {
      bids.clear();
      asks.clear();
      put(bids, s0.bidPrices, s0.bidQtys);
      put(asks, s0.askPrices, s0.askQtys);
      for (const d of ds) {
        put(bids, d.bidPrices, d.bidQtys);
        put(asks, d.askPrices, d.askQtys);
      }
    }
  });
  const [ours, map] = others.slice(-2);
  bookCost.push({ sym, diffs: ds.length, levels, nsPerDiff: (ours.ms * 1e6) / ours.events, nsPerLevel: (ours.ms * 1e6) / (levels * BOOK_REPS), vsMap: ours.ms / map.ms, layout: book.layout });
}
results.book = bookCost;
results.others = others;

// ---- pandas on the same columns ----
let pd = null;
if (!args['no-pandas']) {
  process.stderr.write(`pandas: ${args.python} bench/features_pandas.py (a few minutes) …\n`);
  const r = spawnSync(args.python, [join(here, 'features_pandas.py'), npyDir, '--window', String(W), '--reps', String(reps), '--stride', String(stride)], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    pd = JSON.parse(line);
  } catch {
    pd = { error: r.error ? String(r.error) : `exit ${r.status}: ${line}` };
  }
  if (pd.error) pd = { error: pd.error };
}
results.pandas = pd;

// ---- do the two agree? every `stride`-th output row, and every divergence ----
function diff(ours, theirs, idx) {
  let maxAbs = 0;
  let maxRel = 0;
  let nanMismatch = 0;
  let compared = 0;
  for (let k = 0; k < theirs.length; k++) {
    const a = ours[idx(k)];
    const b = theirs[k];
    if (a !== a || b !== b) {
      if ((a !== a) !== (b !== b)) nanMismatch++;
      continue;
    }
    compared++;
    const d = Math.abs(a - b);
    if (d > maxAbs) maxAbs = d;
    const rel = d / Math.max(Math.abs(a), Math.abs(b), 1e-300);
    if (d > 0 && rel > maxRel) maxRel = rel;
  }
  return { compared, maxAbs, maxRel, nanMismatch };
}
if (pd && !pd.error) {
  const at = (k) => k * stride;
  const cmp = { a: { z: diff(za, readNpy(join(npyDir, 'pandas-a-z.npy')), at) } };
  const P = (k) => readNpy(join(npyDir, `pandas-b-${k}.npy`));
  cmp.b = {};
  for (const k of ['ts', 'z_ofi', 'z_cvd', 'score', 'consistency']) cmp.b[k] = diff(fb[k], P(k), at);
  const pSide = P('side');
  const pDiv = P('divergence');
  const pDivs = JSON.parse(readFileSync(join(npyDir, 'pandas-divergences.json'), 'utf8'));
  let sideMismatch = 0;
  let divMismatch = 0;
  for (let k = 0; k < pSide.length; k++) {
    const r = at(k);
    const ready = fb.score[r] === fb.score[r];
    if (ready && fb.side[r] !== pSide[k]) sideMismatch++;
    const ours = fb.divergence[r] >= 0 ? fb.divergences[fb.divergence[r]] : null;
    const theirs = pDiv[k] >= 0 ? pDivs[pDiv[k]] : null;
    if ((ours === null) !== (theirs === null) || (ours && (ours.knownTs !== theirs.knownTs || ours.type !== theirs.type))) divMismatch++;
  }
  cmp.b.side = { compared: pSide.length, mismatch: sideMismatch };
  cmp.b.divergenceRows = { compared: pDiv.length, mismatch: divMismatch };
  // every divergence either side detected (ours heard from a fresh run of the same calculator)
  const all = [];
  const f = new lib.FeatureFusion();
  f.onDivergence = (d) => all.push(d);
  f.updateColumns(quotes, trades, fout);
  let same = 0;
  let strength = 0;
  let pivots = 0;
  for (let k = 0; k < Math.min(all.length, pDivs.length); k++) {
    const a = all[k];
    const b = pDivs[k];
    if (a.type === b.type && a.knownTs === b.knownTs && a.first.ts === b.first.ts && a.second.ts === b.second.ts) same++;
    strength = Math.max(strength, Math.abs(a.strength - b.strength));
    for (const p of ['first', 'second']) pivots = Math.max(pivots, Math.abs(a[p].price - b[p].price), Math.abs(a[p].flow - b[p].flow));
  }
  cmp.b.divergences = { ours: all.length, pandas: pDivs.length, same, maxStrengthDiff: strength, maxPivotDiff: pivots };
  results.compare = cmp;
}
writeFileSync(join(args.out, 'features.json'), `${JSON.stringify(results, null, 2)}\n`);

// ---- report ----
const rate = (n, ms) => n / (ms / 1000) / 1e6;
const r = results;
const line = (label, n, ms, cpu) => `${label.padEnd(62)} ${rate(n, ms).toFixed(1).padStart(6)} M events/s  (${n.toLocaleString()} in ${(ms / 1000).toFixed(3)} s${cpu !== undefined ? `, cpu ${(cpu / 1000).toFixed(3)} s` : ''})`;
console.log(`bench/features — btcusdt_20240808 bookTicker + trade ×${copies}: ${nq.toLocaleString()} quotes + ${nt.toLocaleString()} trades = ${N.toLocaleString()} real events`);
console.log(`node ${process.version}, single thread, best of ${reps} after a warm-up; load average ${r.loadavg.toFixed(2)} on ${r.cpus} CPUs; read in ${(readMs / 1000).toFixed(1)} s (not timed)`);
console.log(`input facts: ${facts.staleIds} stale update ids, ${facts.tsBackQuotes + facts.tsBackTrades} timestamps going back, ${facts.nonMarket} non-market prints`);
console.log('');
console.log(line(`(a) OFI + z-score(${W} events), ours`, r.a.events, r.a.ms, r.a.cpu));
if (pd && !pd.error) console.log(line('    same in numpy/pandas', pd.a.events, pd.a.s * 1000, pd.a.cpu_s * 1000));
console.log(line('(b) whole feature set (fusion), ours', r.b.events, r.b.ms, r.b.cpu));
if (pd && !pd.error) console.log(line('    same in numpy/pandas', pd.b.events, pd.b.s * 1000, pd.b.cpu_s * 1000));
console.log(line('streaming OfiCalculator + RollingZScore', r.streamA.events, r.streamA.ms));
console.log(line('streaming FeatureFusion', r.streamB.events, r.streamB.ms));
console.log('');
console.log('other hot paths, ours only:');
for (const o of others) console.log(line(`  ${o.label}`, o.events, o.ms, o.cpu));
for (const b of r.book) console.log(`  local book, ${b.sym.toUpperCase()}: ${b.nsPerDiff.toFixed(0)} ns per diff, ${b.nsPerLevel.toFixed(1)} ns per level change, ${b.vsMap.toFixed(2)}× the Map baseline; ladder/sparse levels bids ${b.layout.bids.ladder}/${b.layout.bids.sparse}, asks ${b.layout.asks.ladder}/${b.layout.asks.sparse}`);
console.log('');
const ra = rate(r.a.events, r.a.ms);
if (pd && !pd.error) {
  const xa = pd.a.s * 1000 / r.a.ms;
  const xb = pd.b.s * 1000 / r.b.ms;
  console.log(`(a) ${ra.toFixed(1)} M events/s (aim ≥ 25), ${xa.toFixed(1)}× pandas (aim ≥ 5×)`);
  console.log(`(b) ${xb.toFixed(1)}× pandas (aim ≥ 3×)`);
  console.log(`    pandas ${pd.pandas}, numpy ${pd.numpy}, python ${pd.python} (${pd.executable})`);
} else {
  console.log(`(a) ${ra.toFixed(1)} M events/s (aim ≥ 25); pandas ratios not measured: ${pd ? pd.error : '--no-pandas'}`);
}
console.log('');
const heapLine = (label, h, n) => {
  const spread = h.samples?.length ? `, sampled every ${(SAMPLE_EVERY / 1e6).toFixed(2)} M events: ${mb(Math.min(...h.samples))} … ${mb(Math.max(...h.samples))}` : '';
  const g = h.gcs;
  const perEvent = g.minor + g.major + g.other === 0 ? `; no collection, so at most ${((h.after - h.before) / n).toFixed(4)} bytes allocated per event` : '';
  return `${label.padEnd(30)} heap ${mb(h.before)} before, ${mb(h.after)} after (${mb(h.collected)} once collected)${spread}; GCs during: ${g.minor} minor, ${g.major} major${g.other ? `, ${g.other} other` : ''}${perEvent}`;
};
console.log(heapLine('streaming (a), one run', r.streamA.heap, r.streamA.events));
console.log(heapLine('streaming (b), one run', r.streamB.heap, r.streamB.events));
console.log(heapLine(`columnar (a), ${reps + 1} runs`, r.a.heap, r.a.events * (reps + 1)));
console.log(heapLine(`columnar (b), ${reps + 1} runs`, r.b.heap, r.b.events * (reps + 1)));
if (r.compare) {
  const c = r.compare;
  const d = (x) => `max |Δ| ${x.maxAbs.toExponential(2)} (rel ${x.maxRel.toExponential(2)}) over ${x.compared.toLocaleString()} rows, ${x.nanMismatch} NaN mismatches`;
  console.log('');
  console.log(`agreement with pandas, every ${stride}th row:`);
  console.log(`  (a) z          ${d(c.a.z)}`);
  for (const k of ['z_ofi', 'z_cvd', 'score', 'consistency']) console.log(`  (b) ${k.padEnd(11)}${d(c.b[k])}`);
  console.log(`  (b) side       ${c.b.side.mismatch} of ${c.b.side.compared.toLocaleString()} rows differ; ts ${d(c.b.ts)}`);
  console.log(`  (b) divergence ${c.b.divergenceRows.mismatch} of ${c.b.divergenceRows.compared.toLocaleString()} rows differ; detections: ours ${c.b.divergences.ours}, pandas ${c.b.divergences.pandas}, identical pivots/type/time ${c.b.divergences.same}, max strength Δ ${c.b.divergences.maxStrengthDiff.toExponential(2)}, max pivot price/flow Δ ${c.b.divergences.maxPivotDiff.toExponential(2)}`);
}
