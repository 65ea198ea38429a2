#!/usr/bin/env node
// bench/io: rows per second of the io layer on a real capture scaled up, beside DuckDB
// reading the very same Parquet files in the same run, and the peak resident memory of a
// conversion at two input sizes (it must not grow with the input).
//
//   npm run build && node bench/io.mjs [--copies 54] [--small 6]
//
// The input is usdm/btcusdt_20240808.gz from ../shared/data repeated back to back, each copy
// shifted in time and ids (bench/lib/scale.mjs): 93,954 real messages × 54 ≈ 5.07 million.
// Prints ratios; asserts nothing (a benchmark is not a test).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scaleCapture } from './lib/scale.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const { values: args } = parseArgs({
  options: {
    copies: { type: 'string', default: '54' },
    small: { type: 'string', default: '6' },
    data: { type: 'string', default: resolve(root, '../shared/data/binance-ws/usdm/btcusdt_20240808.gz') },
    out: { type: 'string', default: join(here, 'out') },
    child: { type: 'string' },
  },
});

const io = await import(join(root, 'dist/io/index.js')).catch(() => {
  console.error('bench/io: build first (npm run build)');
  process.exit(2);
});

// ---- child: one conversion, reports rows, time and peak RSS as JSON on stdout ----
if (args.child) {
  const [input, out] = args.child.split('::');
  rmSync(out, { recursive: true, force: true });
  const t0 = performance.now();
  const s = await io.convertSources([input], { out, format: 'parquet' });
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ rows: s.written.totalRows, ms, maxRssMb: process.resourceUsage().maxRSS / 1024, files: s.written.files.length }));
  process.exit(0);
}

const copies = Number(args.copies);
const small = Number(args.small);
mkdirSync(args.out, { recursive: true });
const bigCapture = join(args.out, `btcusdt_20240808_x${copies}.gz`);
const smallCapture = join(args.out, `btcusdt_20240808_x${small}.gz`);
process.stderr.write(`scaling ${args.data} ×${copies} and ×${small} …\n`);
const lines = await scaleCapture(args.data, bigCapture, copies);
await scaleCapture(args.data, smallCapture, small);

const mrows = (rows, ms) => rows / (ms / 1000) / 1e6;
const results = { input: args.data, copies, lines, node: process.version, date: new Date().toISOString() };

// ---- 1. capture → Arrow (read only) ----
{
  let rows = 0;
  const t0 = performance.now();
  for await (const kb of io.readCapture(bigCapture)) rows += kb.batch.numRows;
  results.captureToArrow = { rows, ms: performance.now() - t0 };
}

// ---- 2. conversion, in child processes so each peak RSS is its own ----
function convertChild(input, out) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', `${input}::${out}`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`conversion child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
const dsSmall = join(args.out, 'ds-small');
const dsBig = join(args.out, 'ds-big');
results.convertSmall = convertChild(smallCapture, dsSmall);
results.convertBig = convertChild(bigCapture, dsBig);

// ---- 3. Parquet → Arrow, ours and DuckDB's, on the same files ----
const parquetFiles = (await io.openDataset(dsBig)).files().map((f) => f.path).filter((p) => p.endsWith('.parquet'));
const byKind = {};
for (const f of parquetFiles) {
  const kind = f.split('/').find((seg) => ['trade', 'quote', 'depth', 'mark'].includes(seg));
  (byKind[kind] ??= []).push(f);
}
const parquetBytes = parquetFiles.reduce((n, f) => n + statSync(f).size, 0);

async function best(reps, fn) {
  let ms = Infinity;
  let value;
  for (let i = 0; i < reps; i++) {
    globalThis.gc?.();
    const t0 = performance.now();
    value = await fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, value };
}

const ours = await best(3, async () => {
  let rows = 0;
  for (const f of parquetFiles) for await (const kb of io.readParquet(f)) rows += kb.batch.numRows;
  return rows;
});
results.parquetToArrow = { rows: ours.value, ms: ours.ms, bytes: parquetBytes };

const { DuckDBInstance } = await import('@duckdb/node-api');
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const duck = await best(3, async () => {
  let rows = 0;
  for (const [kind, files] of Object.entries(byKind)) {
    const list = files.map((f) => `'${f}'`).join(', ');
    await con.run(`CREATE OR REPLACE TABLE t_${kind} AS SELECT * FROM read_parquet([${list}])`);
    const r = await con.runAndReadAll(`SELECT count(*) FROM t_${kind}`);
    rows += Number(r.getRows()[0][0]);
  }
  return rows;
});
const threads = Number((await con.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0][0]);
results.duckdbParquetToTable = { rows: duck.value, ms: duck.ms, threads };

// ---- 4. Arrow IPC cache → Arrow ----
const cache = new io.IpcCache(join(args.out, 'ipc-cache'));
await cache.clear();
const slice = (await io.openDataset(dsBig)).slice({});
await cache.tables(slice); // miss: reads the Parquet files and writes the cache entry
const rowsOf = (tables) => Object.values(tables).reduce((n, x) => n + x.numRows, 0);
globalThis.gc?.();
const coldT0 = performance.now();
const cold = await cache.tables(slice); // a hit, read into new memory
results.ipcToArrowCold = { rows: rowsOf(cold.tables), ms: performance.now() - coldT0 };
cold.release();
const warm = await best(5, async () => {
  const s = await cache.tables(slice); // a hit, read into the buffers the last read released
  if (!s.hit) throw new Error('expected a cache hit');
  const rows = rowsOf(s.tables);
  s.release();
  return rows;
});
results.ipcToArrow = { rows: warm.value, ms: warm.ms };
// the floor of any read into new memory on this machine: touching that many fresh bytes
const ipcBytes = readdirSync(cold.path).reduce((n, f) => n + statSync(join(cold.path, f)).size, 0);
globalThis.gc?.();
const fillT0 = performance.now();
new Uint8Array(ipcBytes).fill(1);
results.freshMemory = { bytes: ipcBytes, ms: performance.now() - fillT0 };

writeFileSync(join(args.out, 'io.json'), `${JSON.stringify(results, null, 2)}\n`);

// ---- report ----
const r = results;
const fmt = (x) => `${mrows(x.rows, x.ms).toFixed(2).padStart(7)} M rows/s  (${x.rows.toLocaleString()} rows in ${(x.ms / 1000).toFixed(2)} s)`;
console.log(`bench/io — ${r.lines.toLocaleString()} real messages (btcusdt_20240808 ×${copies}), node ${process.version}`);
console.log('');
console.log(`capture → Arrow                 ${fmt(r.captureToArrow)}`);
console.log(`capture → Parquet dataset       ${fmt(r.convertBig)}`);
console.log(`Parquet → Arrow (ours)          ${fmt(r.parquetToArrow)}   ${(parquetBytes / 1e6).toFixed(1)} MB in ${parquetFiles.length} files`);
console.log(`Parquet → table (DuckDB, ${threads} thr) ${fmt(r.duckdbParquetToTable)}`);
console.log(`IPC cache → Arrow, first read  ${fmt(r.ipcToArrowCold)}   ${(r.freshMemory.bytes / 1e6).toFixed(0)} MB into new memory`);
console.log(`IPC cache → Arrow, pooled       ${fmt(r.ipcToArrow)}   into the buffers of the last read`);
console.log('');
const pqVsDuck = r.parquetToArrow.ms / r.duckdbParquetToTable.ms;
const ipcVsPq = r.parquetToArrow.ms / r.ipcToArrow.ms;
console.log(`Parquet read time / DuckDB's:   ${pqVsDuck.toFixed(2)}×   (aim ≤ 1.5×)`);
console.log(`IPC read speed-up over Parquet: ${ipcVsPq.toFixed(1)}× pooled, ${(r.parquetToArrow.ms / r.ipcToArrowCold.ms).toFixed(1)}× first read   (aim ≥ 10×)`);
console.log(
  `  (this machine touches new memory at ${(r.freshMemory.bytes / 1e6 / (r.freshMemory.ms / 1000)).toFixed(0)} MB/s: any first read of ` +
    `${(r.freshMemory.bytes / 1e6).toFixed(0)} MB takes at least ${(r.freshMemory.ms / 1000).toFixed(2)} s)`,
);
console.log(
  `peak RSS converting: ${r.convertSmall.maxRssMb.toFixed(0)} MB for ${r.convertSmall.rows.toLocaleString()} rows, ` +
    `${r.convertBig.maxRssMb.toFixed(0)} MB for ${r.convertBig.rows.toLocaleString()} rows   (aim < 500 MB, flat in the input size)`,
);
