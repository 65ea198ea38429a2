#!/usr/bin/env node
// bench/backtest: events per second of a whole backtest — read, features, signals, strategy,
// simulator, metrics — on a real capture scaled up, beside a naive baseline of the same run in
// the same script, and the peak resident memory of a run at two input sizes (it must not grow
// with the number of events).
//
//   npm run bench:backtest   (= npm run build && node --expose-gc bench/backtest.mjs)
//   node --expose-gc bench/backtest.mjs [--copies 107] [--small 11] [--no-naive-big]
//
// Input: usdm/btcusdt_20240808.gz from ../shared/data (93,954 real messages: depth, bookTicker,
// trade) repeated back to back with times and ids shifted (bench/lib/scale.mjs: every message a
// real one, moved): ×107 ≈ 10.05 million events, ×11 ≈ 1.03 million. Each is converted once to a
// Parquet dataset (not timed; kept in bench/out), the form a researcher backtests again and again.
//
// What is timed, each run in its own child process (so each peak RSS is its own):
//   ours   DataReader over the dataset (columnar chunks of the merged stream, bounded memory,
//          read on a worker thread while the run works on the chunks already read, as
//          `ofi-backtest backtest` does) → runBacktest with the default strategy (stage-1
//          features chunk by chunk, CoreAlgorithm, checkRisk, orders) through the TradeSimulator
//          → MetricsAggregator fed by the driver's hooks → metrics and layered metrics. Also on
//          the big input: the same with the reading on the run's own thread, the reading
//          alone (the ceiling of the first), and the Parquet decoding alone (parquet-wasm's own
//          work, with no Arrow JS batch and no merge: the floor of any reading of these files).
//   naive  the same run with per-event objects and no columnar reads: every Parquet batch turned
//          into event objects (batchToEvents), the kinds merged object by object, the default
//          strategy computing its features itself through the streaming classes one event object
//          at a time (DefaultStrategy { inline: true }); the driver takes tables, so each object is
//          copied field by field into one. Same signals, same fills (checked below).
// And in this process, on the big input held in memory (the form a parameter sweep replays):
//   the stages one by one — the merged table from the Arrow IPC cache, stage-1 features, the
//   driver + strategy + simulator on precomputed features, the metrics (the hooks' calls
//   recorded, then replayed into a fresh MetricsAggregator) — and the whole in-memory run.
//
// The backtest layer is loaded from dist/ when the package entries export it; otherwise the
// source is bundled with esbuild into bench/out (the entries are wired separately). Prints
// ratios, the time per event of compute, reading and decoding on one thread with what two
// cores sharing them perfectly could give (a ceiling), and the aim (≥ 5 M events/s end to end);
// asserts nothing (a benchmark is not a test).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scaleCapture } from './lib/scale.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    copies: { type: 'string', default: '107' },
    small: { type: 'string', default: '11' },
    data: { type: 'string', default: resolve(root, '../shared/data/binance-ws/usdm/btcusdt_20240808.gz') },
    out: { type: 'string', default: join(here, 'out') },
    'no-naive-big': { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

// ---- the library: dist/ first, the source bundled when dist does not export the backtest ----
async function loadLib() {
  const lib = await import(join(root, 'dist/index.js')).catch(() => null);
  const io = await import(join(root, 'dist/io/index.js')).catch(() => null);
  if (!lib || !io) {
    console.error('bench/backtest: build first (npm run build)');
    process.exit(2);
  }
  const L = { ...lib, ...io };
  const need = ['runBacktest', 'runBacktestSync', 'MetricsAggregator', 'DefaultStrategy', 'EventTable', 'FeatureStage', 'DataReader', 'cachedEventTable'];
  if (need.every((k) => k in L)) return { L, from: 'dist' };
  const bundled = join(args.out, 'backtest-bench-lib.mjs');
  if (!args.child) {
    const entry = join(args.out, 'backtest-bench-entry.ts');
    mkdirSync(args.out, { recursive: true });
    writeFileSync(
      entry,
      ['index.js', 'backtest/index.js', 'runs/backtest-data.js', 'node.js'].map((p) => `export * from '${join(root, 'src', p)}';`).join('\n'),
    );
    const { build } = await import('esbuild');
    await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', packages: 'external', outfile: bundled, logLevel: 'error' });
  }
  return { L: await import(bundled), from: `src/ bundled by esbuild (dist does not export ${need.filter((k) => !(k in L)).join(', ')})` };
}
const { L, from } = await loadLib();

/** What a run reports: enough to tell two runs apart. */
function digest(result, agg) {
  const m = agg.result();
  agg.layered();
  return { fills: result.fills.length, orders: result.orders.length, signals: result.signals.length, endValue: m.endValue, totalReturn: m.totalReturn, trades: m.totalTrades, sharpe: m.sharpe };
}

// ---- naive baseline: per-event objects ----
const KIND_ORDER = { depth: 0, quote: 1, trade: 2, mark: 3 };

/** Event objects of one kind's files, in file order. */
async function* kindObjects(files, kind) {
  for (const f of files) {
    for await (const kb of L.readParquet(f)) {
      for (const e of L.batchToEvents(kind, kb.batch)) yield e;
    }
  }
}

/** The kinds merged object by object: exchange time, then kind, then symbol (the stream's rule). */
async function* mergeObjects(iters) {
  const heads = [];
  for (const it of iters) {
    const r = await it.next();
    if (!r.done) heads.push({ it, e: r.value });
  }
  const before = (a, b) => a.ts < b.ts || (a.ts === b.ts && (KIND_ORDER[a.type] < KIND_ORDER[b.type] || (a.type === b.type && a.symbol < b.symbol)));
  while (heads.length > 0) {
    let k = 0;
    for (let j = 1; j < heads.length; j++) if (before(heads[j].e, heads[k].e)) k = j;
    const h = heads[k];
    yield h.e;
    const r = await h.it.next();
    if (r.done) heads.splice(k, 1);
    else h.e = r.value;
  }
}

/** Objects copied field by field into a table the driver takes (it reads tables only). */
function tableOfObjects(events) {
  const n = events.length;
  const symbols = [];
  const printKinds = [];
  const code = (list, s) => {
    let c = list.indexOf(s);
    if (c < 0) c = list.push(s) - 1;
    return c;
  };
  const by = { depth: [], quote: [], trade: [], mark: [] };
  const kind = new Uint8Array(n);
  const sym = new Uint16Array(n);
  const row = new Int32Array(n);
  const ts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const e = events[i];
    kind[i] = KIND_ORDER[e.type];
    sym[i] = code(symbols, e.symbol);
    row[i] = by[e.type].push(e) - 1;
    ts[i] = e.ts;
  }
  const f64 = (rows, k) => Float64Array.from(rows, (e) => e[k]);
  const list = (rows, k) => {
    const offsets = new Int32Array(rows.length + 1);
    for (let i = 0; i < rows.length; i++) offsets[i + 1] = offsets[i] + rows[i][k].length;
    const values = new Float64Array(offsets[rows.length]);
    for (let i = 0; i < rows.length; i++) values.set(rows[i][k], offsets[i]);
    return { offsets, values };
  };
  const base = (rows) => ({ length: rows.length, ts: f64(rows, 'ts'), recvTs: f64(rows, 'recvTs') });
  const q = by.quote;
  const t = by.trade;
  const d = by.depth;
  const m = by.mark;
  return new L.EventTable({
    length: n,
    kind,
    sym,
    row,
    ts,
    quote: { ...base(q), bidPrice: f64(q, 'bidPrice'), bidQty: f64(q, 'bidQty'), askPrice: f64(q, 'askPrice'), askQty: f64(q, 'askQty'), updateId: f64(q, 'updateId') },
    trade: {
      ...base(t),
      price: f64(t, 'price'),
      qty: f64(t, 'qty'),
      id: f64(t, 'id'),
      firstId: f64(t, 'firstId'),
      lastId: f64(t, 'lastId'),
      side: Int8Array.from(t, (e) => (e.side === 'buy' ? 1 : -1)),
      market: Uint8Array.from(t, (e) => (e.printKind === 'MARKET' ? 1 : 0)),
      print: Uint8Array.from(t, (e) => code(printKinds, e.printKind)),
    },
    depth: {
      ...base(d),
      firstUpdateId: f64(d, 'firstUpdateId'),
      lastUpdateId: f64(d, 'lastUpdateId'),
      prevUpdateId: f64(d, 'prevUpdateId'),
      isSnapshot: Uint8Array.from(d, (e) => (e.isSnapshot ? 1 : 0)),
      bidPrices: list(d, 'bidPrices'),
      bidQtys: list(d, 'bidQtys'),
      askPrices: list(d, 'askPrices'),
      askQtys: list(d, 'askQtys'),
    },
    mark: { ...base(m), markPrice: f64(m, 'markPrice'), indexPrice: f64(m, 'indexPrice'), fundingRate: f64(m, 'fundingRate'), nextFundingTime: f64(m, 'nextFundingTime') },
    symbols,
    printKinds,
  });
}

async function* naiveChunks(datasetDir, chunk = 16_384) {
  const ds = await L.openDataset(datasetDir);
  const files = ds.files().filter((f) => f.path.endsWith('.parquet'));
  const byKind = {};
  for (const f of files) (byKind[f.kind] ??= []).push(f.path);
  const iters = Object.entries(byKind).map(([kind, paths]) => kindObjects(paths, kind));
  let buf = [];
  for await (const e of mergeObjects(iters)) {
    buf.push(e);
    if (buf.length === chunk) {
      yield tableOfObjects(buf);
      buf = [];
    }
  }
  if (buf.length > 0) yield tableOfObjects(buf);
}

// ---- child: one run, reports events, time, peak RSS and the run's digest as JSON ----
if (args.child) {
  const [mode, dataset] = args.child.split('::');
  const config = L.defaultConfig();
  const agg = new L.MetricsAggregator({ startValue: config.backtest.starting_cash });
  const t0 = performance.now();
  let result;
  if (mode === 'decode') {
    // Parquet decoding alone: parquet-wasm's stream over every file of the dataset, each batch
    // freed in wasm as it comes (no Arrow JS batch, no merge) — what any program reading these
    // files through parquet-wasm pays before it has a single event in JavaScript
    const pq = await import('parquet-wasm');
    const ds = await L.openDataset(dataset);
    let events = 0;
    for (const f of ds.files().filter((x) => x.path.endsWith('.parquet'))) {
      const file = await pq.ParquetFile.fromFile(await openAsBlob(f.path));
      try {
        // batches of the size the DataReader above asks for
        for await (const b of await file.stream({ batchSize: config.dataset.batch_rows })) {
          events += b.numRows;
          b.free();
        }
      } finally {
        file.free();
      }
    }
    const ms = performance.now() - t0;
    process.stdout.write(JSON.stringify({ mode, events, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
  }
  if (mode === 'read') {
    // the reading alone, on this thread: the ceiling of a run that reads on a worker
    const reader = await L.DataReader.open([dataset], { batchRows: config.dataset.batch_rows });
    let events = 0;
    for await (const t of reader.chunks()) events += t.length;
    const ms = performance.now() - t0;
    process.stdout.write(JSON.stringify({ mode, events, ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
    process.exit(0);
  }
  if (mode === 'ours' || mode === 'ours-thread') {
    const reader = await L.DataReader.open([dataset], { batchRows: config.dataset.batch_rows, worker: mode === 'ours' });
    result = await L.runBacktest({ stream: reader.chunks(), config, hooks: agg.hooks() });
  } else {
    result = await L.runBacktest({ stream: naiveChunks(dataset), config, strategy: new L.DefaultStrategy(config, { inline: true }), hooks: agg.hooks() });
  }
  const run = digest(result, agg);
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ mode, events: result.stats.events, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, run }));
  process.exit(0);
}

// ---- inputs: scaled captures, converted once to Parquet datasets ----
const copies = Number(args.copies);
const small = Number(args.small);
mkdirSync(args.out, { recursive: true });
async function datasetOf(n) {
  const capture = join(args.out, `btcusdt_20240808_x${n}.gz`);
  const dir = join(args.out, `bt-ds-x${n}`);
  const marker = join(dir, '_done.json');
  process.stderr.write(`scaling ${args.data} ×${n} …\n`);
  const lines = await scaleCapture(args.data, capture, n);
  if (existsSync(marker) && JSON.parse(readFileSync(marker, 'utf8')).lines === lines) return { dir, lines };
  process.stderr.write(`converting ×${n} to a Parquet dataset (once) …\n`);
  rmSync(dir, { recursive: true, force: true });
  const s = await L.convertSources([capture], { out: dir, format: 'parquet' });
  writeFileSync(marker, JSON.stringify({ lines, rows: s.written.totalRows }));
  return { dir, lines };
}
const big = await datasetOf(copies);
const little = await datasetOf(small);

function child(mode, dataset) {
  process.stderr.write(`${mode} on ${dataset} …\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--out', args.out, '--child', `${mode}::${dataset}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${mode} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const results = { node: process.version, cpus: os.cpus().length, lib: from, input: args.data, copies, small, date: new Date().toISOString() };
results.oursSmall = child('ours', little.dir);
results.oursBig = child('ours', big.dir);
results.oursThreadBig = child('ours-thread', big.dir);
results.readBig = child('read', big.dir);
results.decodeBig = child('decode', big.dir);
results.naiveSmall = child('naive', little.dir);
if (!args['no-naive-big']) results.naiveBig = child('naive', big.dir);

// ---- in memory: the stages one by one on the big input (a sweep's form) ----
{
  const config = L.defaultConfig();
  const cache = new L.IpcCache(join(args.out, 'bt-ipc-cache'));
  const slice = (await L.openDataset(big.dir)).slice({});
  await L.cachedEventTable(cache, slice); // fills the cache (not timed)
  // each stage: the better of two runs back to back (the first also compiles it), after one
  // collection up front — a collection forced right before a timed run leaves the heap with
  // work that runs beside it and slows it by a third, which no real run suffers
  globalThis.gc?.();
  const best2 = async (fn) => {
    let ms = Infinity;
    let out;
    for (let k = 0; k < 2; k++) {
      const t = performance.now();
      out = await fn();
      ms = Math.min(ms, performance.now() - t);
    }
    return { ms, out };
  };
  const read = await best2(() => L.cachedEventTable(cache, slice));
  const { table } = read.out;
  const readMs = read.ms;
  const stage1 = await best2(() => new L.FeatureStage(config.features).run(table));
  const features = stage1.out;
  const featuresMs = stage1.ms;
  // the driver, strategy and simulator on the precomputed rows; the hooks' calls recorded
  const calls = [];
  const rec = {
    onEquity: (...a) => calls.push(0, ...a),
    onFill: (f, mode) => calls.push(1, f, mode, 0, 0),
    onMark: (s, ts, m) => calls.push(2, s, ts, m, 0),
    onFunding: (s, ts, x) => calls.push(3, s, ts, x, 0),
  };
  const stage2 = await best2(() => {
    calls.length = 0;
    return L.runBacktestSync({ stream: table, features, config, hooks: rec });
  });
  const r1 = stage2.out;
  const driverMs = stage2.ms;
  let t0 = performance.now();
  const agg = new L.MetricsAggregator({ startValue: config.backtest.starting_cash });
  for (let i = 0; i < calls.length; i += 5) {
    const c = calls[i];
    if (c === 0) agg.onEquity(calls[i + 1], calls[i + 2], calls[i + 3], calls[i + 4]);
    else if (c === 1) agg.onFill(calls[i + 1], calls[i + 2]);
    else if (c === 2) agg.onMark(calls[i + 1], calls[i + 2], calls[i + 3]);
    else agg.onFunding(calls[i + 1], calls[i + 2], calls[i + 3]);
  }
  for (const s of r1.signals) agg.onSignal(s.signal_type);
  const m = agg.result();
  agg.layered();
  const metricsMs = performance.now() - t0;
  // the whole in-memory run: features inside the driver, metrics fed as it streams
  const whole = await best2(() => {
    const agg2 = new L.MetricsAggregator({ startValue: config.backtest.starting_cash });
    const r2 = L.runBacktestSync({ stream: table, config, hooks: agg2.hooks() });
    return digest(r2, agg2);
  });
  const d2 = whole.out;
  const wholeMs = whole.ms;
  results.memory = {
    events: table.length,
    readMs,
    featuresMs,
    driverMs,
    metricsMs,
    metricsCalls: calls.length / 5,
    wholeMs,
    sameAsDisk: d2.fills === results.oursBig.run.fills && d2.endValue === results.oursBig.run.endValue,
    endValue: m.endValue,
  };
}

writeFileSync(join(args.out, 'backtest.json'), `${JSON.stringify(results, null, 2)}\n`);

// ---- report ----
const r = results;
const meps = (x) => x.events / (x.ms / 1000) / 1e6;
const line = (label, x) => `${label.padEnd(46)} ${meps(x).toFixed(3).padStart(7)} M events/s  (${x.events.toLocaleString()} events in ${(x.ms / 1000).toFixed(1)} s, peak RSS ${x.maxRssMb.toFixed(0)} MB)`;
console.log(`bench/backtest — btcusdt_20240808 ×${copies} and ×${small}, all streams; node ${r.node}, ${r.cpus} CPUs; library from ${r.lib}`);
console.log('');
console.log('From the Parquet dataset, bounded memory (read, features, signals, strategy, simulator, metrics):');
console.log(line(`  ours, ×${small}`, r.oursSmall));
console.log(line(`  ours, ×${copies}`, r.oursBig));
console.log(line(`  ours, read on the same thread, ×${copies}`, r.oursThreadBig));
console.log(line(`  reading alone (DataReader.chunks), ×${copies}`, r.readBig));
console.log(line(`  Parquet decoding alone (parquet-wasm), ×${copies}`, r.decodeBig));
console.log(line(`  naive (per-event objects), ×${small}`, r.naiveSmall));
if (r.naiveBig) console.log(line(`  naive (per-event objects), ×${copies}`, r.naiveBig));
const same = (a, b) => a && b && JSON.stringify(a.run) === JSON.stringify(b.run);
console.log(`  ours / naive: ${(meps(r.oursBig) / meps(r.naiveBig ?? r.naiveSmall)).toFixed(2)}×; same run: ${same(r.oursSmall, r.naiveSmall) ? 'yes' : 'NO'} (×${small})${r.naiveBig ? `, ${same(r.oursBig, r.naiveBig) ? 'yes' : 'NO'} (×${copies})` : ''} — ${r.oursBig.run.signals} signals, ${r.oursBig.run.fills} fills, ${r.oursBig.run.trades} round trips`);
console.log(`  read on a worker / on the same thread: ${(meps(r.oursBig) / meps(r.oursThreadBig)).toFixed(2)}×; same run: ${same(r.oursBig, r.oursThreadBig) ? 'yes' : 'NO'}`);
console.log(
  `  peak RSS: ${r.oursSmall.maxRssMb.toFixed(0)} MB for ${r.oursSmall.events.toLocaleString()} events, ${r.oursBig.maxRssMb.toFixed(0)} MB for ${r.oursBig.events.toLocaleString()} (×${(r.oursBig.maxRssMb / r.oursSmall.maxRssMb).toFixed(2)} for ×${(r.oursBig.events / r.oursSmall.events).toFixed(1)} the events)`,
);
const mem = r.memory;
const st = (label, ms) => `  ${label.padEnd(44)} ${(mem.events / (ms / 1000) / 1e6).toFixed(2).padStart(7)} M events/s  ${(ms / 1000).toFixed(2).padStart(6)} s`;
console.log('');
console.log(`In memory (the big input as one table, a sweep's form), stage by stage:`);
console.log(st('read: IPC cache → merged table', mem.readMs));
console.log(st('stage 1: features (columnar)', mem.featuresMs));
console.log(st('stage 2: signals, strategy, simulator', mem.driverMs));
console.log(st(`metrics (${mem.metricsCalls.toLocaleString()} hook calls replayed)`, mem.metricsMs));
console.log(st('whole run from the table (metrics streamed)', mem.wholeMs));
console.log(st('whole run incl. the read', mem.wholeMs + mem.readMs));
console.log(`  same result as the run from disk: ${mem.sameAsDisk ? 'yes' : 'NO'}`);
console.log('');
// what two cores could give if they shared the work of each event perfectly, at the measured
// time per event of its parts on one thread: a ceiling, not a forecast (nothing splits that well)
const us = (ms, n) => (ms * 1000) / n;
const computeUs = us(mem.wholeMs, mem.events);
const readUs = us(r.readBig.ms, r.readBig.events);
const decodeUs = us(r.decodeBig.ms, r.decodeBig.events);
const cores = Math.min(2, r.cpus);
console.log(`Time per event on one thread: compute (whole run from the table) ${computeUs.toFixed(3)} µs, reading ${readUs.toFixed(3)} µs, of which Parquet decoding ${decodeUs.toFixed(3)} µs`);
console.log(`  ${cores} cores sharing it perfectly: ${(cores / (computeUs + readUs)).toFixed(2)} M events/s with our reading, ${(cores / (computeUs + decodeUs)).toFixed(2)} M if reading cost no more than decoding, ${(cores / computeUs).toFixed(2)} M if it cost nothing`);
const e2e = meps(r.oursBig);
console.log(`Aim ≥ 5 M events/s end to end: ${e2e.toFixed(2)} M events/s from disk, ${(mem.events / ((mem.wholeMs + mem.readMs) / 1000) / 1e6).toFixed(2)} M from memory — ${e2e >= 5 ? 'met' : 'MISSED'}`);
