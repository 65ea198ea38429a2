#!/usr/bin/env node
// bench/backtest-stages: events per second of each stage of a backtest, on the real USD-M
// captures (../shared/data: BTCUSDT and ETHUSDT of 2024-08-08, all three streams) each repeated
// back to back with times and ids shifted (bench/lib/scale.mjs: nothing invented), read as one
// merged stream. Timed, in the same run:
//   read     captures → one merged table (gzip + JSON parsing + the merge)
//   ipc      a dataset slice through the Arrow IPC cache (a hit: file read + merge) → one table,
//            as a sweep gets its data
//   merge    in-memory Arrow tables → one merged table (the merge alone)
//   scan     a pass over the merged table reading kind, row and one column (memory speed)
//   stage 1  feature rows of the merged stream, columnar (and the feature set event by event)
//   stage 2  signals, strategy mode, risk and the simulator with the default strategy, from the
//            stage-1 rows; beside it the driver and simulator with a strategy that does nothing
//            (the floor) and the default strategy computing its own features (stage 1 + 2 inline)
// Each line is the best of --reps runs (after one warm-up run), so a busy machine shows less.
//
//   npm run build && node --expose-gc bench/backtest-stages.mjs [--copies 10] [--reps 3] [--no-ipc] [--mix all|bookTicker+trade]
//
// `--mix bookTicker+trade` keeps the quote and trade streams only (the features bench's input):
// depth diffs carry ~67 levels each on these captures, which the simulator's local book applies.
//
// The library's source is bundled on the fly with esbuild (bench/out/backtest-stages-lib.mjs),
// so this runs whether or not the package entries export the backtest. Prints; asserts nothing.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scaleCapture } from './lib/scale.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values: args } = parseArgs({
  options: { copies: { type: 'string', default: '10' }, reps: { type: 'string', default: '3' }, 'no-ipc': { type: 'boolean', default: false }, mix: { type: 'string', default: 'all' } },
});
const quotesTrades = args.mix === 'bookTicker+trade';
const copies = Number(args.copies);
const reps = Number(args.reps);

const entry = join(root, 'bench/out/backtest-stages-entry.ts');
const lib = join(root, 'bench/out/backtest-stages-lib.mjs');
mkdirSync(dirname(entry), { recursive: true });
writeFileSync(
  entry,
  ["export * from '../../src/backtest/index.js';", "export { DataReader, cachedEventTable } from '../../src/runs/backtest-data.js';", "export { convertSources, openDataset, IpcCache, readSource } from '../../src/node.js';"].join('\n'),
);
await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', packages: 'external', outfile: lib, logLevel: 'error' });
const L = await import(lib);

const data = resolve(root, '../shared/data/binance-ws/usdm');
const inputs = [];
for (const name of ['btcusdt_20240808', 'ethusdt_20240808']) {
  const out = join(root, `bench/out/${name}${quotesTrades ? '_bookTicker+trade' : ''}_x${copies}.gz`);
  await scaleCapture(join(data, `${name}.gz`), out, copies, quotesTrades ? { keep: /"stream":"[^"]*@(bookTicker|trade)"/ } : {});
  inputs.push(out);
}

// CPU time of this process as well as wall time: on a machine shared with other work the CPU
// time is what the stage cost; the wall time is what it took
const gc = globalThis.gc ?? (() => undefined);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// one collection before the warm-up, none between the timed runs: a collection forced right
// before a timed run leaves the heap with work that runs beside it (a third slower, on 2 cores),
// which no real run suffers
function best(fn) {
  gc();
  fn(); // warm-up
  let ms = Infinity;
  let cpu = Infinity;
  let out;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const c0 = cpuMs();
    out = fn();
    cpu = Math.min(cpu, cpuMs() - c0);
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, cpu, out };
}
async function bestAsync(fn, n = reps) {
  let ms = Infinity;
  let cpu = Infinity;
  let out;
  for (let r = 0; r < n; r++) {
    gc();
    const t0 = performance.now();
    const c0 = cpuMs();
    out = await fn();
    cpu = Math.min(cpu, cpuMs() - c0);
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, cpu, out };
}
const rate = (n, ms) => `${(n / ms / 1e3).toFixed(2).padStart(6)} M events/s`;
const line = (name, n, r, note = '') =>
  console.log(`${name.padEnd(48)} wall ${rate(n, r.ms)}  cpu ${rate(n, r.cpu)}  ${(r.ms / 1000).toFixed(2).padStart(6)} s${note ? `  ${note}` : ''}`);

console.log(`bench/backtest-stages: BTCUSDT + ETHUSDT 2024-08-08 (all streams) × ${copies}, best of ${reps}; node ${process.version}\n`);

const read = await bestAsync(async () => (await L.DataReader.open(inputs)).table(), 1);
const events = read.out;
const n = events.length;
const c = events.counts;
console.log(`${n.toLocaleString('en')} events: ${c.quote.toLocaleString('en')} quotes, ${c.trade.toLocaleString('en')} trades, ${c.depth.toLocaleString('en')} depth\n`);
line('read: captures → merged table', n, read);

if (!args['no-ipc']) {
  const ds = join(root, `bench/out/backtest-stages-ds-x${copies}`);
  const cacheDir = join(root, `bench/out/backtest-stages-ipc-x${copies}`);
  rmSync(ds, { recursive: true, force: true });
  await L.convertSources(inputs, { out: ds });
  const cache = new L.IpcCache(cacheDir);
  const slice = (await L.openDataset(ds)).slice({});
  await L.cachedEventTable(cache, slice); // fills the cache
  const ipc = await bestAsync(() => L.cachedEventTable(cache, slice));
  line('ipc: IPC cache hit → merged table', ipc.out.table.length, ipc, ipc.out.hit ? '' : '(miss!)');
  const { tables } = await cache.tables(slice);
  const merge = best(() => L.eventTableFromTables([tables]));
  line('merge: in-memory Arrow tables → merged table', merge.out.length, merge);
}

const scan = best(() => {
  let s = 0;
  const { kind, row, ts, quote } = events;
  for (let i = 0; i < n; i++) if (kind[i] === L.QUOTE) s += quote.bidPrice[row[i]] - ts[i] * 0;
  return s;
});
line('scan: merged table, kind/row/one column', n, scan);

const s1 = best(() => L.computeFeatureTable(events, {}));
line('stage 1: feature rows, columnar', n, s1, `${s1.out.length.toLocaleString('en')} rows`);
const s1s = best(() => L.computeFeatureTable(events, {}, { engine: 'streaming' }));
line('stage 1: feature set event by event', n, s1s);

const features = s1.out;
const floor = best(() => L.runBacktestSync({ stream: events, strategy: { bookLevels: 0 } }));
line('stage 2: driver + simulator, idle strategy', n, floor);
const s2 = best(() => L.runBacktestSync({ stream: events, features, config: {} }));
line('stage 2: default strategy from stage-1 rows', n, s2, `${s2.out.signals.length} signals, ${s2.out.fills.length} fills`);
const inline = best(() => L.runBacktestSync({ stream: events, strategy: new L.DefaultStrategy({}, { inline: true }) }));
line('stage 1+2 inline: default strategy, own features', n, inline);
console.log(`\nstage 1 + stage 2 on one core (read excluded): wall ${rate(n, s1.ms + s2.ms)}, cpu ${rate(n, s1.cpu + s2.cpu)}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
