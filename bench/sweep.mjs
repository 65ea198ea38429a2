#!/usr/bin/env node
// bench/sweep: runs per second and event-runs per second of a parameter sweep — the worker pool
// over one shared event table, stage-1 features computed once per features section and shared
// (the feature cache) or inside every run — with 1 and 2 workers, the cache on and off, side by
// side in one process, with the ratios and the aims (2 workers ≥ 1.7 × one; cache on ≥ 3 × off
// when only signal, risk and strategy parameters vary). Then where a run's time goes: stage 1
// (features) against stage 2 (signals, strategy, simulator, metrics), in this thread. With the
// cache on, a worker also runs the signal layer once per signal configuration and replays its
// signals in that configuration's next runs (SignalTapes), and reads the venue's books from the
// table's depth track and the feed times it computes once (DepthTrack, feedTimesFor); with it
// off, every run computes all of them.
//
//   npm run bench:sweep   (= npm run build && node --expose-gc bench/sweep.mjs)
//   node --expose-gc bench/sweep.mjs [--copies 8] [--runs 200] [--workers 1,2] [--repeat 3]
//
// Input: the bundled sample (data/sample: BTCUSDT and ETHUSDT USD-M captures, 2024-08-08,
// 40,391 + 37,485 real messages) repeated back to back with times and ids shifted
// (bench/lib/scale.mjs: every message a real one, moved), ×8 by default (623,008 events,
// 24 minutes of both symbols); kept in bench/out. Each worker pays a fixed start (loading its
// code, then about a second of V8 compiling it, which one worker gets on the free second core and
// two workers take from each other): over the sample × 2 that start is a fifth of a 200-run sweep
// and caps 2 workers near 1.6× one; × 8 is still far shorter than a day of data.
// The sweep: 5 buy thresholds × 5 sell thresholds × 4 stop-losses × 2 take-profits = 200 runs,
// one features section, a 70/30 train/test split on 10 s returns (a run goes through the data
// once: the train segment, then the test segment on the same market, restarted). Each worker
// mode runs --repeat times (3), rounds interleaved; the ratios take each mode's best. Around each
// pair of rounds (1 worker, then 2) the same fixed piece of pure computation is timed on one
// thread and on two (bench/lib/cores.mjs): what the two cores gave at the time, the ceiling of
// any 2-worker ratio then (on a virtual machine the second core is at times another tenant's).
//
// Timed: runPlans (the pool of runSweep) from the table already in shared memory to the last
// record; not timed: reading the files, expanding the plans, writing the scoreboard. The records
// of every mode are compared (they must be equal). "Once warm" is the rate of the runs after the
// first quarter (each worker's start and its code's first compilation fall before): what a
// longer sweep tends to. The sweep layer and its worker are bundled
// from src/ with esbuild into bench/out (the same code as dist/). Asserts nothing.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { coreProbe } from './lib/cores.mjs';
import { scaleCapture } from './lib/scale.mjs';
import { OUTSIDE, REQUIRE_SHIM } from '../scripts/bundle.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    copies: { type: 'string', default: '8' },
    runs: { type: 'string', default: '200' },
    workers: { type: 'string', default: '1,2' },
    repeat: { type: 'string', default: '3' },
    out: { type: 'string', default: join(here, 'out') },
  },
});
const copies = Number(args.copies);
const workerCounts = args.workers.split(',').map(Number);

// ---- the sweep layer, bundled from src/ ----
mkdirSync(args.out, { recursive: true });
const entry = join(args.out, 'sweep-bench-entry.ts');
const bundled = join(args.out, 'sweep-bench-lib.mjs');
{
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    entry,
    ['runs/sweep-run.js', 'sweep/index.js', 'config.js']
      .map((p) => `export * from '${join(root, 'src', p)}';`)
      .join('\n'),
  );
  const { build } = await import('esbuild');
  await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', packages: 'external', outfile: bundled, logLevel: 'error' });
  // the worker from the same source (a rebuild of dist/ during the run cannot pull it away),
  // with its packages bundled in, as tsup.config.ts builds dist/runs/sweep-worker.js
  await build({
    entryPoints: [join(root, 'src/runs/sweep-worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'node',
    external: OUTSIDE,
    banner: { js: REQUIRE_SHIM },
    outfile: join(args.out, 'sweep-worker.mjs'),
    logLevel: 'error',
  });
}
const workerUrl = pathToFileURL(join(args.out, 'sweep-worker.mjs'));
const L = await import(bundled);

// ---- data: the bundled sample scaled up ----
const inputs = [];
for (const name of ['btcusdt_20240808.gz', 'ethusdt_20240808.gz']) {
  const out = join(args.out, `sweep-x${copies}`, name);
  await scaleCapture(join(root, 'data/sample', name), out, copies);
  inputs.push(out);
}
let t = performance.now();
const { table } = await L.loadSweepTable(inputs, { cacheDir: join(args.out, 'sweep-ipc-cache') });
console.log(`data: bundled sample ×${copies} = ${table.length.toLocaleString('en-US')} events in shared memory (read in ${((performance.now() - t) / 1000).toFixed(1)} s)`);

// ---- the sweep: only signal, risk and strategy parameters vary ----
const spec = L.sweepSpec(
  {
    name: 'bench',
    base: { signal: { warmup_sec: 20, cooldown_sec: 5 }, risk: { vol_warmup: 20 } },
    parameters: {
      'signal.buy_threshold': { values: [1, 1.25, 1.5, 1.75, 2] },
      'signal.sell_threshold': { values: [1, 1.25, 1.5, 1.75, 2] },
      'strategy.stop_loss_bps': { values: [10, 15, 20, 30] },
      'strategy.take_profit_bps': { values: [20, 40] },
    },
    objective: { metric: 'sharpe' },
    validation: { scheme: 'split', train: 0.7 },
    returns_interval: '10s',
  },
  'bench sweep',
);
const plans = L.expandSweep(spec, L.defaultConfig()).slice(0, Number(args.runs));
const setup = L.sweepSetup(spec, plans, table, L.tableId(table));
console.log(`sweep: ${plans.length} runs, ${new Set(plans.map((p) => p.featureKey)).size} features section(s), ${setup.segments.length} segments; ${os.availableParallelism()} cores\n`);

// ---- the modes ----
// each mode `repeat` times, the rounds interleaved, and the best of each mode kept: on a shared
// machine a mode now and then runs at half speed (another process, or the two workers' own
// helper threads, took a core), which says nothing of the code
const modes = [];
for (let rep = 0; rep < Number(args.repeat); rep++) for (const cache of [true, false]) for (const w of workerCounts) modes.push({ cache, workers: w });
const results = [];
let reference = null;
// what the two cores give at the time of each pair of rounds (1 worker, then 2): a fixed piece of
// pure computation on one thread and on two, before the pair and after it (bench/lib/cores.mjs)
const probe = workerCounts.length > 1 ? await coreProbe() : null;
const pairs = [];
let pair = null;
for (const m of modes) {
  if (probe && m.workers === workerCounts[0]) {
    pair = { cache: m.cache, before: await probe.measure() };
    pairs.push(pair);
  }
  globalThis.gc?.();
  const records = new Array(plans.length);
  const arrived = [];
  let events = 0;
  const cpu0 = process.cpuUsage();
  t = performance.now();
  const r = await L.runPlans(plans, table, setup, {
    workers: m.workers,
    featureCache: m.cache,
    workerUrl,
    onRecord: (rec) => {
      records[plans.findIndex((p) => p.hash === rec.hash)] = rec;
      events += rec.events;
      arrived.push(performance.now());
    },
  });
  const sec = (performance.now() - t) / 1000;
  // once warm: the runs after the first quarter over the time they took (the workers' start and
  // their code's first compilation fall in the first quarter)
  const q = Math.floor(arrived.length / 4);
  const warm = arrived.length - 1 - q > 0 ? ((arrived.length - 1 - q) / (arrived[arrived.length - 1] - arrived[q])) * 1000 : NaN;
  const cpu = process.cpuUsage(cpu0);
  const cores = (cpu.user + cpu.system) / 1e6 / sec;
  const text = records.map((x) => JSON.stringify(x)).join('\n');
  const same = reference === null ? true : text === reference;
  reference ??= text;
  const failed = records.filter((x) => x.error !== null).length;
  const cpuPerRun = (cpu.user + cpu.system) / 1e3 / plans.length;
  results.push({ ...m, sec, cores, cpuPerRun, runsPerSec: plans.length / sec, warmRunsPerSec: warm, eventRunsPerSec: events / sec, featureTables: r.featureTables, failed, same });
  console.log(`  cache ${m.cache ? 'on ' : 'off'}  ${m.workers} worker${m.workers === 1 ? ' ' : 's'}  ${sec.toFixed(1).padStart(6)} s  ${(plans.length / sec).toFixed(2).padStart(7)} runs/s (${warm.toFixed(2)} once warm)  ${(events / sec / 1e6).toFixed(2).padStart(6)} M event-runs/s  ${cpuPerRun.toFixed(0).padStart(4)} CPU ms/run  ${cores.toFixed(2)} cores busy  load ${os.loadavg()[0].toFixed(1)}  feature tables ${r.featureTables}  signals computed ${r.signalTapes.recorded} / replayed ${r.signalTapes.replayed}  failed ${failed}  records ${same ? 'equal to the first mode' : 'DIFFER'}`);
  if (pair) pair[m.workers] = results[results.length - 1];
  if (pair && m.workers === workerCounts[workerCounts.length - 1]) {
    pair.after = await probe.measure();
    pair.cores = (pair.before.ratio + pair.after.ratio) / 2;
    console.log(`             the cores meanwhile: two threads of pure computation ${pair.before.ratio.toFixed(2)}× one before these rounds, ${pair.after.ratio.toFixed(2)}× after (2.00 = two free cores)`);
  }
}
await probe?.close();

// the same sweep with no worker thread at all (evaluatePlans in this thread): what a worker costs
{
  globalThis.gc?.();
  let events = 0;
  const cpu0 = process.cpuUsage();
  t = performance.now();
  const recs = L.evaluatePlans(plans, table, setup, { shareFeatures: true, onRecord: (rec) => (events += rec.events) });
  const sec = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuPerRun = (cpu.user + cpu.system) / 1e3 / plans.length;
  const same = recs.map((x) => JSON.stringify(x)).join('\n') === reference;
  results.push({ cache: true, workers: 0, sec, cpuPerRun, runsPerSec: plans.length / sec, eventRunsPerSec: events / sec, same });
  console.log(`  cache on   no worker (this thread)  ${sec.toFixed(1).padStart(6)} s  ${(plans.length / sec).toFixed(2).padStart(7)} runs/s  ${(events / sec / 1e6).toFixed(2).padStart(6)} M event-runs/s  ${cpuPerRun.toFixed(0).padStart(4)} CPU ms/run  load ${os.loadavg()[0].toFixed(1)}  records ${same ? 'equal to the first mode' : 'DIFFER'}`);
}

/** The best measurement of a mode (most runs per second). */
const find = (cache, workers) => results.filter((x) => x.cache === cache && x.workers === workers).reduce((a, b) => (a === null || b.runsPerSec > a.runsPerSec ? b : a), null);
console.log(`\n(cores busy = CPU time of this process and its workers / wall time: below the workers' count, other processes had the cores; above it, this process's other threads — the main thread, the compiler's and the garbage collector's helpers — worked beside the workers: with 1 worker on a free second core, with 2 in the workers' stead)\nratios (runs/s, the best of ${args.repeat} of each mode)`);
const [w1, w2] = [workerCounts[0], workerCounts[workerCounts.length - 1]];
for (const cache of [true, false]) {
  const a = find(cache, w1);
  const b = find(cache, w2);
  if (a && b && a !== b) console.log(`  ${w2} workers vs ${w1}, cache ${cache ? 'on ' : 'off'}: ${(b.runsPerSec / a.runsPerSec).toFixed(2)}× (CPU per run ${(b.cpuPerRun / a.cpuPerRun).toFixed(2)}× ${w1} worker's; at equal CPU per run the ratio would be the cores kept busy, ${b.cores.toFixed(2)} / ${a.cores.toFixed(2)} = ${(b.cores / a.cores).toFixed(2)}×; once warm ${(b.warmRunsPerSec / a.warmRunsPerSec).toFixed(2)}×)   (aim ≥ 1.7× for 2 vs 1, on the whole sweep)`);
}
// each pair of rounds next to each other, beside what the cores gave at the time: on a machine
// whose second core comes and goes, the best of each mode may come from different weather
const pairRatio = (p) => `${(p[w2].runsPerSec / p[w1].runsPerSec).toFixed(2)}×`;
for (const cache of [true, false]) {
  const ps = pairs.filter((p) => p.cache === cache && p[w1] && p[w2]);
  if (ps.length === 0) continue;
  const free = ps.filter((p) => p.before.ratio >= 1.9 && p.after.ratio >= 1.9);
  const onFree = free.length > 0 ? `; where both probes gave ≥ 1.90×: ${free.map(pairRatio).join(', ')}` : '; no pair had both probes ≥ 1.90×';
  console.log(`  ${w2} workers vs ${w1}, cache ${cache ? 'on ' : 'off'}, round by round: ${ps.map((p) => `${pairRatio(p)} (cores ${p.cores.toFixed(2)}×)`).join(', ')}${onFree}`);
}
if (find(true, 1)) console.log(`  1 worker vs this thread, cache on: ${(find(true, 1).runsPerSec / find(true, 0).runsPerSec).toFixed(2)}× (CPU per run ${(find(true, 0).cpuPerRun / find(true, 1).cpuPerRun).toFixed(2)}×)   (the cost of running in a worker)`);
for (const w of workerCounts) {
  const on = find(true, w);
  const off = find(false, w);
  console.log(`  cache on vs off, ${w} worker${w === 1 ? ' ' : 's'}: ${(on.runsPerSec / off.runsPerSec).toFixed(2)}× (CPU per run ${(off.cpuPerRun / on.cpuPerRun).toFixed(2)}×; once warm ${(on.warmRunsPerSec / off.warmRunsPerSec).toFixed(2)}×)   (aim ≥ 3×)`);
}
console.log('  (CPU per run moves less than wall-clock ratios with what else the machine runs, but it moves too: helper threads, caches)');

// ---- one pass against replaying each segment from the start of the data, in this thread ----
{
  const n = Math.min(40, plans.length);
  const f = L.featureTableFor(plans[0], table);
  const time = (onePass) => {
    const t0 = performance.now();
    let events = 0;
    const out = [];
    for (let k = 0; k < n; k++) {
      const r = L.evaluatePlan(plans[k], table, f, setup, { onePass });
      events += r.events;
      out.push(JSON.stringify({ ...r, events: 0 }));
    }
    return { ms: (performance.now() - t0) / n, events: events / n, text: out.join('\n') };
  };
  time(true); // warm
  const one = [];
  const rep = [];
  for (let k = 0; k < 3; k++) {
    one.push(time(true));
    rep.push(time(false));
  }
  const best = (xs) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const [o, r] = [best(one), best(rep)];
  console.log(`\none pass per run against each segment replayed from the start (shared features, this thread, ${n} plans, best of 3)`);
  console.log(`  one pass:  ${o.ms.toFixed(0).padStart(4)} ms/run  ${Math.round(o.events).toLocaleString('en-US')} events/run`);
  console.log(`  replayed:  ${r.ms.toFixed(0).padStart(4)} ms/run  ${Math.round(r.events).toLocaleString('en-US')} events/run`);
  console.log(`  → one pass ${(r.ms / o.ms).toFixed(2)}× faster; records ${o.text === r.text ? 'equal' : 'DIFFER'}`);
}

// ---- where a run's time goes, in this thread ----
console.log('\nstages of one run, in this thread (median of 5, plans 0, 1, 2, …)');
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const s1 = [];
const withF = [];
const without = [];
const recording = [];
let f = L.featureTableFor(plans[0], table); // warm
for (let k = 0; k < 5; k++) {
  const p = plans[k % plans.length];
  t = performance.now();
  f = L.featureTableFor(p, table);
  s1.push(performance.now() - t);
  t = performance.now();
  L.evaluatePlan(p, table, f, setup);
  withF.push(performance.now() - t);
  // a thread's tapes: the venue's books from the table's depth track and the feed times shared
  // (made by the first run, the warm one), the signals computed and recorded (a fresh tape)
  t = performance.now();
  L.evaluatePlan(p, table, f, setup, { tapes: new L.SignalTapes() });
  recording.push(performance.now() - t);
  t = performance.now();
  L.evaluatePlan(p, table, null, setup);
  without.push(performance.now() - t);
}
// the runs of plan 0's signal configuration after the first: they replay its signal tape
const sameSignal = plans.filter((p) => p.signalKey === plans[0].signalKey);
const tapes = new L.SignalTapes();
L.evaluatePlan(sameSignal[0], table, f, setup, { tapes });
const taped = [];
for (let k = 1; k <= 5; k++) {
  t = performance.now();
  L.evaluatePlan(sameSignal[k % sameSignal.length], table, f, setup, { tapes });
  taped.push(performance.now() - t);
}
const [a, b, c, d, e] = [median(s1), median(withF), median(without), median(taped), median(recording)];
console.log(`  stage 1, the whole table once (what the cache computes once per features section): ${a.toFixed(0)} ms`);
console.log(`  a run on shared features, nothing else shared (stage 2, ${setup.segments.length} segments in one pass): ${b.toFixed(0)} ms`);
console.log(`  the same reading the venue's books from the depth track, feed times shared:     ${e.toFixed(0)} ms  (the first run of a signal configuration in a worker)`);
console.log(`  the same replaying the signals of its signal configuration's first run:       ${d.toFixed(0)} ms  (${sameSignal.length} runs share each of the ${new Set(plans.map((p) => p.signalKey)).size} signal configurations)`);
console.log(`  a run computing its own features (stage 1 over its pass + stage 2):         ${c.toFixed(0)} ms`);
console.log(`  → the caches save ${(c - e).toFixed(0)} ms of ${c.toFixed(0)} per run with the signal layer run, ${(c - d).toFixed(0)} replaying it: ${(c / e).toFixed(2)}×, ${(c / d).toFixed(2)}× faster (aim 3×)`);
