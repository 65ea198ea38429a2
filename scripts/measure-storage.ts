/**
 * Throughput of the storage layer on real Binance quotes and trades (BTCUSDT USD-M,
 * 2024-08-08) tiled up to N rows each (each tile shifted in time past the one before), beside
 * DuckDB reading the very same Parquet files. Not a test: numbers to check the paths against
 * their aims (Parquet → Arrow within 1.5× of DuckDB; the IPC cache near memory speed).
 *
 *   npx esbuild scripts/measure-storage.ts --bundle --platform=node --format=esm --packages=external \
 *     --outfile=scripts/.out/measure-storage.mjs && node scripts/.out/measure-storage.mjs
 *   (N=4000000 by default; the output sits two folders below the repository so the test
 *   helpers find ../shared/data)
 */
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeData, RecordBatch, Struct, Table, tableFromIPC, tableToIPC, type Data } from 'apache-arrow';
import * as pq from 'parquet-wasm';
import { DuckDBInstance } from '@duckdb/node-api';
import type { KindBatch } from '../src/core/batch.js';
import { eventSchema } from '../src/core/schema.js';
import { readCapture } from '../src/io/capture.js';
import { openDataset } from '../src/io/dataset.js';
import { DatasetWriter } from '../src/io/hive.js';
import { readParquet, writeParquet } from '../src/io/parquet.js';
import { dataPath } from '../test/helpers/data.js';

const N = Number(process.env.N ?? 4_000_000);
const SHIFTED = new Set(['ts', 'recvTs', 'id', 'firstId', 'lastId', 'updateId']);

/** N rows of a kind: the real batches repeated, times and ids moved on by one span per tile. */
function tile(kind: 'quote' | 'trade', real: RecordBatch[]): RecordBatch[] {
  const span = real.reduce((m, b) => Math.max(m, ...(b.getChild('ts')!.toArray() as Float64Array)), 0) - (real[0]!.getChild('ts')!.get(0) as number) + 1;
  const out: RecordBatch[] = [];
  let rows = 0;
  for (let k = 0; rows < N; k++) {
    for (const b of real) {
      if (rows >= N) break;
      const n = Math.min(b.numRows, N - rows);
      const children = eventSchema(kind).fields.map((f, i) => {
        const d = b.data.children[i]! as Data;
        if (!SHIFTED.has(f.name)) return d.slice(0, n);
        const v = (d.values as Float64Array).slice(0, n);
        const shift = f.name === 'ts' || f.name === 'recvTs' ? k * span : k * 1e7;
        for (let j = 0; j < n; j++) v[j]! += shift;
        return makeData({ type: f.type, length: n, nullCount: 0, data: v });
      });
      out.push(new RecordBatch(eventSchema(kind), makeData({ type: new Struct(eventSchema(kind).fields), length: n, nullCount: 0, children })));
      rows += n;
    }
  }
  return out;
}

function rate(rows: number, ms: number): string {
  return `${(rows / (ms / 1000) / 1e6).toFixed(2)} M rows/s (${(ms / 1000).toFixed(2)} s)`;
}

async function best<T>(reps: number, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  let ms = Infinity;
  let value!: T;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    value = await fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, value };
}

const dir = await mkdtemp(join(tmpdir(), 'ofi-measure-'));
const real: Record<'quote' | 'trade', RecordBatch[]> = { quote: [], trade: [] };
for await (const kb of readCapture(dataPath('binance-ws/usdm/btcusdt_20240808.gz'), { batchRows: 65_536 })) {
  if (kb.kind === 'quote' || kb.kind === 'trade') real[kb.kind].push(kb.batch);
}
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();

console.log(`N = ${N.toLocaleString()} rows per kind, tiled from ${real.quote.reduce((n, b) => n + b.numRows, 0)} quotes and ${real.trade.reduce((n, b) => n + b.numRows, 0)} trades`);
for (const kind of ['quote', 'trade'] as const) {
  const batches = tile(kind, real[kind]);
  const file = join(dir, `${kind}.parquet`);
  console.log(`\n${kind} (${eventSchema(kind).fields.length} columns)`);

  const w = await best(2, () => writeParquet(file, eventSchema(kind), batches));
  console.log(`  Parquet write (ParquetWriter, zstd)        ${rate(N, w.ms)}, ${((await stat(file)).size / 1e6).toFixed(1)} MB`);

  const r = await best(3, async () => {
    let n = 0;
    for await (const kb of readParquet(file)) n += kb.batch.numRows;
    return n;
  });
  console.log(`  Parquet read (readParquet)                 ${rate(r.value, r.ms)}`);
  const p = await best(3, async () => {
    let n = 0;
    for await (const kb of readParquet(file, { columns: ['ts', kind === 'quote' ? 'bidPrice' : 'price'] })) n += kb.batch.numRows;
    return n;
  });
  console.log(`  Parquet read, 2 columns                    ${rate(p.value, p.ms)}`);
  const g = await best(3, async () => {
    const f = await pq.ParquetFile.fromFile(await openAsBlob(file));
    let n = 0;
    for (let i = 0; i < f.metadata().numRowGroups(); i++) n += tableFromIPC((await f.read({ rowGroups: [i], batchSize: 131_072 })).intoIPCStream()).numRows;
    f.free();
    return n;
  });
  console.log(`  (parquet-wasm read() per row group)        ${rate(g.value, g.ms)}`);
  const whole = await best(3, async () => tableFromIPC(pq.readParquet(await readFile(file)).intoIPCStream()).numRows);
  console.log(`  (parquet-wasm readParquet(whole file))     ${rate(whole.value, whole.ms)}`);

  for (const threads of [1, 2]) {
    await con.run(`SET threads = ${threads}`);
    const ctas = await best(3, () => con.run(`CREATE OR REPLACE TABLE t AS SELECT * FROM read_parquet('${file}')`));
    const scan = await best(3, () => con.run(`SELECT count(*), sum(ts), sum(recvTs), count(DISTINCT symbol) FROM read_parquet('${file}')`));
    console.log(`  DuckDB ${threads} thread${threads > 1 ? 's' : ' '}: into a table ${rate(N, ctas.ms)}; scan+aggregate ${rate(N, scan.ms)}`);
  }

  const ipcFile = join(dir, `${kind}.arrow`);
  const table = new Table(batches);
  await writeFile(ipcFile, tableToIPC(table, 'file'));
  const ipc = await best(5, async () => tableFromIPC(await readFile(ipcFile)).numRows);
  console.log(`  IPC read (readFile + tableFromIPC)         ${rate(ipc.value, ipc.ms)}, ${((await stat(ipcFile)).size / 1e6).toFixed(1)} MB`);
  // the same into memory already mapped: what the format itself costs, without first-touch page faults
  const size = (await stat(ipcFile)).size;
  const reused = new Uint8Array(size);
  const warm = await best(5, async () => {
    const fh = await open(ipcFile);
    for (let at = 0; at < size; ) at += (await fh.read(reused, at, size - at, at)).bytesRead;
    await fh.close();
    return tableFromIPC(reused).numRows;
  });
  console.log(`  IPC read into a reused buffer              ${rate(warm.value, warm.ms)}`);
}

// a dataset: both kinds through the writer, read back merged
const root = join(dir, 'ds');
const both: KindBatch[] = [...tile('quote', real.quote).map((batch) => ({ kind: 'quote' as const, batch })), ...tile('trade', real.trade).map((batch) => ({ kind: 'trade' as const, batch }))];
const t0 = performance.now();
const writer = new DatasetWriter(root, { maxSec: 3600 });
for (const kb of both) await writer.write(kb);
const summary = await writer.close();
console.log(`\nDatasetWriter (parquet) ${rate(summary.totalRows, performance.now() - t0)}, ${summary.files.length} parts`);
const ds = await openDataset(root);
const tt = await best(2, async () => {
  const t = await ds.slice().toTables();
  return t.quote.numRows + t.trade.numRows;
});
console.log(`Dataset toTables       ${rate(tt.value, tt.ms)}`);
const mm = await best(2, async () => {
  let n = 0;
  for await (const kb of ds.slice()) n += kb.batch.numRows;
  return n;
});
console.log(`Dataset merged stream  ${rate(mm.value, mm.ms)}`);

con.closeSync();
await rm(dir, { recursive: true, force: true });
